"""A hash of the engine's source: part of every cache key, so an edit to the engine never reuses stale results.

ENGINE_MODULES are the repro modules whose code decides the numbers of a Record: everything
`train.train` imports from repro, directly or indirectly (tests/test_cache_integrity.py checks
this list against what a training run actually imports), each named by its path in the repro
package without ".py": engine/<name> for the modules below but __init__, which stands for both
repro/__init__.py and repro/engine/__init__.py (the engine package, imported before its modules):
  spec      the spec's fields and defaults (and `quick`)
  data      the data sets (generated locally, fixed seeds)
  init      weight inits and the per-seed random streams
  layers    forward/backward of every layer, activation and loss
  model     the network, `loss_and_grads`, BN running statistics
  optim     optimizers and the learning-rate schedule
  probes    the probe batch and what is measured on it
  geometry  the optimization-geometry measures (imported only by runs that ask for them)
  train     the training loop, evaluation steps, divergence rule
  record    the Record container
  blas      pins the OpenBLAS kernels and flushes subnormals in training (both change float32 numbers)
  __init__  runs the BLAS pinning before numpy loads
Not included: the runner (orchestration; per-seed numbers do not depend on chunking or job
count), cache, claims, stats, report, figures: they consume records but do not produce them.
Any byte change counts, comments included: a spurious retrain is cheap, a stale result is not.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ENGINE_MODULES = ("__init__", "engine/__init__", "engine/blas", "engine/data", "engine/geometry", "engine/init",
                  "engine/layers", "engine/model", "engine/optim", "engine/probes", "engine/record", "engine/spec",
                  "engine/train")


def source_hash(directory: Path = PACKAGE_DIR, modules: tuple[str, ...] = ENGINE_MODULES) -> str:
    """sha256 over the (name, bytes) of each module's source file in `directory` (the repro package)."""
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(name.encode() + b"\0")
        h.update((directory / f"{name}.py").read_bytes())
        h.update(b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """The engine's source hash, read once per process (the files do not change under a running run)."""
    return source_hash()[:16]
