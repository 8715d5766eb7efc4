"""The engine benchmark, run from a checkout: `python bench/bench_train.py [options]` is `repro bench`.

The benchmark itself lives in the package (repro/benchmark.py) so that an installed repro can run
it; this file keeps the checkout's old entry point and the names bench/reference_*.py import.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from repro.benchmark import (AVX512_FLAGS, AVX512_KERNELS, Timing, bench_spec, best_of,  # noqa: E402,F401
                             flops_per_step_seed, kernel_hint, main)

if __name__ == "__main__":
    raise SystemExit(main())
