"""Provenance of a run: versions, git state, machine, profile, seeds, timings, cache keys."""
from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from ..engine.blas import blas_libraries, describe
from ..claim import ROOT
PACKAGES = ("numpy", "scipy", "matplotlib", "jinja2", "weasyprint", "threadpoolctl")


def versions() -> dict[str, str]:
    """Python and the versions of the packages that shape the numbers and the report."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state(root: Path = ROOT) -> dict:
    """Commit hash and whether the working tree had uncommitted changes (None outside a checkout)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def machine() -> dict:
    """Platform, cores and the BLAS numpy uses (from threadpoolctl)."""
    import numpy  # noqa: F401 - loads the BLAS so that threadpoolctl can see it
    blas = describe(blas_libraries())
    return {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
            "blas": blas or ["unknown (threadpoolctl found no BLAS)"],
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}


def command_line(argv: list[str] | None = None) -> str:
    """The command as the user typed it: `repro all --quick` for the console script, `python -m repro
    all` for the module (sys.argv[0] is then the path of __main__.py), `python -m pytest ...` likewise."""
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    first = Path(argv[0])
    if first.name == "__main__.py":
        program = f"python -m {first.parent.name}"
    elif first.name in ("-c", ""):
        program = "python -c ..."
    else:
        program = first.name
    return " ".join([program, *(shlex.quote(a) for a in argv[1:])])


def collect(*, profile: str, seeds: dict, runtimes: dict, cache_keys: dict, started: datetime.datetime,
            wall_time_s: float, **extra) -> dict:
    """The provenance dict of a RunResult (JSON-ready)."""
    return {"versions": versions(), "git": git_state(), "machine": machine(), "command": command_line(),
            "profile": profile, "started": started.isoformat(timespec="seconds"),
            "wall_time_s": round(wall_time_s, 3), "seeds": seeds, "claim_runtime_s": runtimes,
            "cache_keys": cache_keys, **extra}
