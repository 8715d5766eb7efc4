"""Benchmark of the training engine on the standard claim model (GitHub issue 3).

The workload: MNIST-1D, 10 hidden layers of 100 units, BN before ReLU, batch 64, plain SGD,
float32, 20 seeds x 300 steps, measurement off (no probes, evaluation only at start and end).
It prints
- step-seeds per second and seconds per seed of `repro.engine.train.train` (best of --repeat, after a
  warm-up run; the spread over repeats too: the machine is shared),
- GFLOP/s from the analytic matmul FLOP count of forward + backward (2 * m * k * n per matmul),
- the fraction of this machine's float32 matmul peak, measured here two ways: a large square
  sgemm (the BLAS's best case) and the batched (K, 64, 100) @ (K, 100, 100) matmul the engine
  actually issues,
- the time of the step's matmuls alone (same GEMMs, preallocated, no elementwise work): the
  floor that no engine calling this BLAS can go under,
- the whole machine: the same seeds trained as `repro all` trains them, in chunks of at most
  10 seeds over --jobs worker processes (repro.protocol.training.train_chunk, one BLAS thread each),
- which kernels the BLAS runs, and a hint when they are OpenBLAS's AVX2 kernels on a CPU that
  has AVX-512 (repro pins those by default, repro/engine/blas.py; OpenBLAS 0.3.31 also picks them on AMD
  Zen 5, which it does not recognise: OpenMathLib/OpenBLAS#6029),
- when torch / jax are importable: the same training as a PyTorch eager per-seed loop and as a
  JAX jit(vmap(step)) loop (steady state; compile time reported separately), with ratios.

Run: `repro bench [--seeds 20] [--steps 300] [--repeat 3] [--jobs N] [--no-reference]` (or
`python -m repro bench`, or `python bench/bench_train.py` in a checkout). It lives in the package so
that an installed repro can time itself; the torch and JAX references live in a checkout's bench/
(they need packages repro does not depend on) and are skipped with a note when that is absent.
Targets (issue 3): >= 1.5x the JAX jit+vmap steady state and >= 40% of the measured matmul peak.
What the numbers were on the project's machines, and where a run's time goes: bench/README.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import importlib
import os
import sys
import time
from dataclasses import dataclass
from types import ModuleType

import numpy as np  # the package's __init__ has pinned OpenBLAS's kernels (repro/engine/blas.py), as in a real run

from .checks import check_int
from .claim import ROOT
from .engine.blas import blas_libraries, cpu_flags, describe
from .engine.data import load
from .engine.spec import ExperimentSpec
from .engine.train import BatchStream, train
from .protocol.training import chunks, train_chunk

REFERENCES = ("reference_torch", "reference_jax")  # modules of a checkout's bench/ package


def bench_spec(steps: int = 300) -> ExperimentSpec:
    """The benchmark's model: the standard claim model at depth 10, plain SGD, measurement off."""
    return ExperimentSpec(data="mnist1d", depth=10, width=100, activation="relu", norm="batch",
                          placement="before", batch_size=64, optimizer="sgd", lr=0.05, steps=steps,
                          eval_every=max(steps, 1), dtype="float32", probes=(), probe_steps=())


def workload(spec: ExperimentSpec) -> str:
    """The benchmark's model in words (for the first line of the output)."""
    norm = f"BN {spec.placement} ReLU" if spec.norm == "batch" else "no BN"
    return (f"{spec.data}, {spec.depth} hidden layers of {spec.width} {spec.activation} units, {norm}, batch "
            f"{spec.batch_size}, {spec.optimizer} at lr {spec.lr}, {spec.dtype}, {spec.steps} steps, measurement off")


def reference(name: str) -> ModuleType | None:
    """A checkout's bench/<name>.py (the torch or JAX version of the workload), or None outside a checkout.

    In a checkout whose bench/ is not importable (the console script runs from elsewhere), the
    checkout is appended to sys.path, after everything else, so it can shadow nothing.
    """
    if (ROOT / "bench" / f"{name}.py").is_file() and str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    try:
        return importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as e:
        if e.name not in ("bench", f"bench.{name}"):
            raise  # the module is there but something it imports is not: a real error
        return None


def matmul_shapes(spec: ExperimentSpec, n_in: int, n_out: int) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of every Linear, read-out included."""
    dims = [n_in] + [spec.width] * spec.depth + [n_out]
    return list(zip(dims[:-1], dims[1:]))


def flops_per_step_seed(spec: ExperimentSpec, n_in: int, n_out: int) -> int:
    """Matmul FLOPs of one SGD step for one seed: forward x@W, backward dW = x^T d and dx = d W^T
    (no dx for the first layer), 2*m*k*n each. Elementwise work (BN, ReLU, softmax) is not counted."""
    b = spec.batch_size
    total = 0
    for i, (fi, fo) in enumerate(matmul_shapes(spec, n_in, n_out)):
        total += 2 * b * fi * fo * (2 if i == 0 else 3)
    return total


@dataclass
class Timing:
    best: float
    times: list[float]

    @property
    def spread(self) -> str:
        return f"best {self.best:.3f} s, median {np.median(self.times):.3f} s, worst {max(self.times):.3f} s " \
               f"(n={len(self.times)})"


def best_of(fn, repeat: int, warmup: int = 1) -> Timing:
    """Best wall time of `repeat` calls of fn() after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return Timing(min(times), times)


def sgemm_peak(size: int, repeat: int) -> float:
    """Measured float32 GFLOP/s of a square size^3 sgemm at the current BLAS thread count."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    t = best_of(lambda: np.matmul(a, b, out=out), max(repeat, 3))
    return 2 * size ** 3 / t.best / 1e9


def matmul_peak(k: int, repeat: int, size: int = 1024) -> dict[str, float]:
    """Measured float32 GFLOP/s: square sgemm (size^3) and the engine's batched (k,64,100)@(k,100,100)."""
    square = sgemm_peak(size, repeat)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((k, 64, 100), dtype=np.float32)
    w = rng.standard_normal((k, 100, 100), dtype=np.float32)
    y = np.empty((k, 64, 100), np.float32)
    inner = 200

    def batched():
        for _ in range(inner):
            np.matmul(x, w, out=y)

    t = best_of(batched, max(repeat, 3))
    return {"square": square, "batched": inner * 2 * k * 64 * 100 * 100 / t.best / 1e9}


def gemm_floor(spec: ExperimentSpec, k: int, n_in: int, n_out: int, repeat: int) -> Timing:
    """Wall time of just the matmuls of `spec.steps` training steps for k seeds: a lower bound.

    The same (K, B, fan_in) @ (K, fan_in, fan_out) forward, x^T @ d and d @ W^T backward GEMMs
    as a step, in the same order, written into preallocated outputs, with no elementwise work at
    all. No engine that calls this BLAS for its matmuls can train faster than this.
    """
    rng = np.random.default_rng(0)
    b, f32 = spec.batch_size, np.float32
    layers = []
    for fan_in, fan_out in matmul_shapes(spec, n_in, n_out):
        w = rng.standard_normal((k, fan_in, fan_out), dtype=f32) / np.sqrt(fan_in, dtype=f32)
        x = rng.standard_normal((k, b, fan_in), dtype=f32)
        d = rng.standard_normal((k, b, fan_out), dtype=f32)
        layers.append((w, x, d, np.empty((k, b, fan_out), f32), np.empty_like(w), np.empty_like(x)))

    def steps():
        for _ in range(spec.steps):
            for w, x, _, out, _, _ in layers:
                np.matmul(x, w, out=out)
            for i in range(len(layers) - 1, -1, -1):
                w, x, d, _, dw, dx = layers[i]
                np.matmul(np.swapaxes(x, -1, -2), d, out=dw)
                if i > 0:
                    np.matmul(d, np.swapaxes(w, -1, -2), out=dx)

    return best_of(steps, repeat)


def whole_machine(spec: ExperimentSpec, parts: list[tuple[int, ...]], jobs: int, repeat: int) -> Timing:
    """Wall time of training the seed chunks `parts` (training.chunks) as the runner does, over `jobs` processes.

    The pool is started and warmed up (imports, data) before timing, as it is in a long run.
    """
    with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
        def run():
            list(pool.map(train_chunk, [spec] * len(parts), parts))
        return best_of(run, repeat)


def batch_indices(spec: ExperimentSpec, seeds, n_train: int) -> np.ndarray:
    """The engine's own minibatch order (steps, K, B), so the references see the same batches."""
    stream = BatchStream(seeds, n_train, spec.batch_size)
    return np.stack([stream.next() for _ in range(spec.steps)])


def step_loop(spec: ExperimentSpec, params: dict, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Just the training steps (no evaluation, no divergence bookkeeping), as the references do."""
    from repro.engine.model import loss_and_grads
    from repro.engine.optim import Optimizer

    p = {n: v.copy() for n, v in params.items()}
    opt = Optimizer(spec, p)
    for b in idx:
        loss, grads, _ = loss_and_grads(spec, p, x[b], y[b], train=True)
        opt.step(p, grads, spec.lr)
    return loss


AVX512_KERNELS = {"SkylakeX", "Cooperlake", "SapphireRapids"}  # OpenBLAS's x86-64 AVX-512 targets
AVX512_FLAGS = {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}  # what its SkylakeX kernels use


def kernel_hint(libraries: list[dict], flags: set[str]) -> str | None:
    """Advice when OpenBLAS runs its AVX2 kernels on a CPU that has AVX-512, else None."""
    if not AVX512_FLAGS <= flags:
        return None
    slow = [i for i in libraries if i["internal_api"] == "openblas" and i.get("architecture") not in AVX512_KERNELS]
    if not slow:
        return None
    return (f"note: this CPU has AVX-512 but OpenBLAS runs its {slow[0].get('architecture')} (AVX2) kernels: repro "
            f"pins them so that a seed gives the same numbers on every x86-64 machine with AVX2 (repro/engine/blas.py). "
            f"OPENBLAS_CORETYPE=SkylakeX in the environment selects the AVX-512 kernels instead: faster matmuls, "
            f"every number changed at rounding level (bench/README.md, Performance).")


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m repro bench", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=20, help="seeds trained together (default 20)")
    p.add_argument("--steps", type=int, default=300, help="SGD steps (default 300)")
    p.add_argument("--repeat", type=int, default=3, help="timed repeats; the best is reported (default 3)")
    p.add_argument("--peak-size", type=int, default=1024, help="square sgemm size for the peak (default 1024)")
    p.add_argument("--threads", type=int, default=1, help="BLAS / torch / XLA threads (default 1, as one runner "
                   "job uses; more threads on these small matmuls is slower on a shared machine)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes for the whole-machine run, as `repro all --jobs` (default: cores)")
    p.add_argument("--no-reference", action="store_true", help="skip the torch / jax comparisons")
    args = p.parse_args(argv)
    for name in ("seeds", "steps", "repeat", "peak_size", "threads", "jobs"):
        try:
            check_int(f"--{name.replace('_', '-')}", getattr(args, name), 1)
        except ValueError as e:
            p.error(str(e))
    return args


def main(argv=None) -> int:
    """Run the benchmark and print the results; returns the exit code (0)."""
    args = parse(sys.argv[1:] if argv is None else argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read by the torch reference
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
                          if args.threads == 1 else "")
    from threadpoolctl import threadpool_limits
    with threadpool_limits(args.threads):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    spec = bench_spec(args.steps)
    seeds = tuple(range(args.seeds))
    data = load(spec.data)
    n_train, n_in = data.x_train.shape
    flops = flops_per_step_seed(spec, n_in, data.n_classes)
    work = args.steps * args.seeds

    print(f"repro benchmark: {workload(spec)}")
    libraries = blas_libraries()
    print(f"{args.seeds} seeds x {args.steps} steps; {os.cpu_count()} cores, --threads {args.threads}; "
          f"BLAS: {', '.join(describe(libraries)) or 'unknown'}")
    hint = kernel_hint(libraries, cpu_flags())
    if hint:
        print(hint)
    print(f"matmul FLOPs per step and seed: {flops / 1e6:.2f} M (forward + backward)")
    peak = matmul_peak(args.seeds, args.repeat, args.peak_size)
    if args.threads == 1:
        peak["one_thread"] = peak["square"]
    else:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1):
            peak["one_thread"] = sgemm_peak(args.peak_size, args.repeat)
    print(f"measured float32 matmul peak: {peak['square']:.1f} GFLOP/s (sgemm {args.peak_size}^3), "
          f"{peak['batched']:.1f} GFLOP/s (batched ({args.seeds},64,100)@({args.seeds},100,100))")

    t = best_of(lambda: train(spec, seeds), args.repeat)
    rate = work / t.best
    gflops = work * flops / t.best / 1e9
    print(f"\nrepro (numpy, all seeds batched): {t.spread}")
    print(f"  {rate:,.0f} step-seeds/s, {t.best / args.seeds:.4f} s per seed, {gflops:.1f} GFLOP/s = "
          f"{gflops / peak['square']:.0%} of sgemm peak, {gflops / peak['batched']:.0%} of batched-matmul peak")
    floor = gemm_floor(spec, args.seeds, n_in, data.n_classes, args.repeat)
    print(f"  its matmuls alone (same GEMMs in the same order, preallocated, no elementwise work): "
          f"{floor.spread}; {work * flops / floor.best / 1e9:.1f} GFLOP/s, {floor.best / t.best:.0%} of train()")
    idx = batch_indices(spec, seeds, n_train)
    x = data.x_train.astype(np.float32)
    y = data.y_train
    from repro.engine.model import init_params
    params = init_params(spec, seeds, n_in, data.n_classes)
    loop = best_of(lambda: step_loop(spec, params, x, y, idx), args.repeat)
    print(f"  step loop only (loss_and_grads + SGD, the references' work): {loop.spread}; "
          f"{work / loop.best:,.0f} step-seeds/s, {work * flops / loop.best / 1e9:.1f} GFLOP/s")

    parts = chunks(seeds)
    used = min(args.jobs, len(parts))
    whole = whole_machine(spec, parts, args.jobs, args.repeat)
    print(f"\nrepro, whole machine (as `repro all` trains: {len(parts)} chunk(s) of <= {max(map(len, parts))} seeds "
          f"over {args.jobs} worker process(es), one BLAS thread each): {whole.spread}")
    print(f"  {work / whole.best:,.0f} step-seeds/s, {work * flops / whole.best / 1e9:.1f} GFLOP/s = "
          f"{work * flops / whole.best / 1e9 / (used * peak['one_thread']):.0%} of {used} x the one-thread "
          f"sgemm peak; {t.best / whole.best:.2f}x the speed of train() above")
    if args.no_reference:
        return 0
    for name in REFERENCES:
        module = reference(name)
        if module is None:
            print(f"\n{name}: not found (bench/{name}.py is in a checkout of repro, not in the package)")
            continue
        if not module.available():
            print(f"\n{module.LABEL}: not installed ({module.INSTALL})")
            continue
        res = module.run(spec, params, x, y, idx, repeat=args.repeat)
        ref = res["timing"]
        line = f"\n{module.LABEL}: {ref.spread}"
        if "compile_s" in res:
            line += f"; compile {res['compile_s']:.2f} s (excluded)"
        print(line)
        print(f"  {work / ref.best:,.0f} step-seeds/s, {work * flops / ref.best / 1e9:.1f} GFLOP/s; "
              f"repro's step loop runs at {ref.best / loop.best:.2f}x its speed (train() incl. evaluation: "
              f"{ref.best / t.best:.2f}x; whole machine, incl. evaluation: {ref.best / whole.best:.2f}x)")
        if name == "reference_jax":
            print(f"  the 1.5x target means the whole step loop in {ref.best / 1.5:.3f} s; "
                  f"its matmuls alone take {floor.best:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
