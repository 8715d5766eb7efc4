"""repro: settle the 2018 batch-norm discussion with seeded experiments and pre-declared tests."""
from .engine.blas import pin_openblas_kernels

pin_openblas_kernels()  # before anything imports numpy: see repro/engine/blas.py

from .claim import (Claim, Equivalence, Figure, Identity, Metric, NonInferiority, Recorded,  # noqa: E402
                    Superiority, Threshold, Trend, load_claims)
from .engine.spec import ExperimentSpec, SpecError  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Claim", "Equivalence", "ExperimentSpec", "Figure", "Identity", "Metric", "NonInferiority",
           "Recorded", "SpecError", "Superiority", "Threshold", "Trend", "load_claims", "__version__"]
