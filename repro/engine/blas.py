"""Pin OpenBLAS to its AVX2 kernels on x86-64, so a seed gives the same numbers on AVX-512 machines too.

OpenBLAS picks its matmul kernels by CPU at load time: AVX2 ("Haswell") kernels on most x86-64
machines, AVX-512 ("SkylakeX", "Cooperlake") kernels on the CPUs it recognises as having
AVX-512. The two round differently, float32 training amplifies the difference, and a verdict
near its boundary can follow (claim 4 does; see its caveats). repro therefore asks for the
Haswell kernels wherever the CPU has AVX2 and FMA, before numpy loads OpenBLAS. An
OPENBLAS_CORETYPE already in the environment is left alone: setting it (e.g. to SkylakeX) is
how a user trades this reproducibility for speed. Every Record names the kernels that trained it.

Training also runs with float32 subnormals flushed to zero (`flush_subnormals`): a deep net whose
activations underflow (the post's 0.01*N(0,1) init without BN at depth 50) otherwise computes on
subnormal numbers, which x86 CPUs process about 100x slower, for values that are zero to any
measurement. GPUs and PyTorch's `set_flush_denormal` make the same trade.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import sys
from pathlib import Path

KERNELS = "Haswell"
NEEDS = {"avx2", "fma"}


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none, e.g. macOS)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def pin_openblas_kernels() -> str | None:
    """Set OPENBLAS_CORETYPE=Haswell if nothing chose kernels yet; return the value now in effect.

    Does nothing once numpy is imported (OpenBLAS has chosen by then), when the variable is
    already set, off x86-64, or on a CPU without AVX2/FMA (where those kernels cannot run).
    """
    if "OPENBLAS_CORETYPE" in os.environ or "numpy" in sys.modules:
        return os.environ.get("OPENBLAS_CORETYPE")
    if platform.machine().lower() not in ("x86_64", "amd64") or not NEEDS <= cpu_flags():
        return None
    os.environ["OPENBLAS_CORETYPE"] = KERNELS  # inherited by worker processes too
    return KERNELS


def blas_libraries() -> list[dict]:
    """threadpoolctl's description of each BLAS library this process has loaded."""
    from threadpoolctl import threadpool_info
    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def describe(libraries: list[dict]) -> list[str]:
    """One sorted line per library: name, version, kernel family, threads."""
    return sorted(f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture') or 'unknown'} kernels, "
                  f"{i.get('num_threads')} threads)" for i in libraries)


def loaded_kernels() -> str:
    """The kernels of the OpenBLAS libraries this process has loaded, e.g. "OpenBLAS Haswell".

    "" when there is none (numpy on MKL or Accelerate). Recorded with every trained Record, so a
    cached result says which kernels computed it even when the report is rendered elsewhere.
    """
    found = sorted({str(i.get("architecture")) for i in blas_libraries() if i.get("internal_api") == "openblas"})
    return f"OpenBLAS {'/'.join(found)}" if found else ""


_MXCSR_FTZ_DAZ = 0x8040  # flush-to-zero (bit 15) and denormals-are-zero (bit 6) of the SSE control register


def _libm():
    """glibc's libm on x86-64 Linux (its fenv_t is 8 uint32 words, MXCSR the last), else None."""
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    except OSError:
        return None


@contextlib.contextmanager
def flush_subnormals():
    """Run the block with subnormal floats flushed to zero (in this thread) and BLAS in this thread only.

    Yields whether the flag could be set (x86-64 Linux with glibc; elsewhere the block runs with the
    platform's default, which changes numbers only in nets whose values underflow). The previous
    floating-point environment is restored on exit, exceptions included.
    """
    from threadpoolctl import threadpool_limits  # BLAS worker threads would not inherit the flag

    libm = _libm()
    saved = (ctypes.c_uint32 * 8)()
    if libm is None or libm.fegetenv(ctypes.byref(saved)) != 0:
        with threadpool_limits(limits=1, user_api="blas"):
            yield False
        return
    flushed = (ctypes.c_uint32 * 8)(*saved)
    flushed[7] |= _MXCSR_FTZ_DAZ
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            libm.fesetenv(ctypes.byref(flushed))
            yield True
    finally:
        libm.fesetenv(ctypes.byref(saved))
