"""Data sets, all generated or shipped locally (never downloaded), fixed across seeds unless a draw is asked for.

Every data set has three splits: train, validation and test. The validation split is carved out
of the training data (a fixed 1/8 of it, drawn with DATA_SEED) and is what learning rates are
selected on and plateaus judged by; the test set is never used to choose anything.

- "mnist1d": MNIST-1D (Greydanus 2020) from the `mnist1d` package's `make_dataset` with its
  default arguments (seed 42): 4000 train (3500 train + 500 validation) / 1000 test, 40
  features, 10 classes; features are standardized with the training split's mean and std.
  `load("mnist1d", draw=i)` is seed i's own draw: make_dataset with a seed derived from (DATA_SEED, i),
  train and test sets both new (spec.resample_data; Bouthillier et al. 2021: sample the data too).
- "digits": scikit-learn's `load_digits` (1797 8x8 handwritten digits, shipped inside the package):
  a fixed quarter is the test set (449), the rest 1180 train + 168 validation, 64 features
  standardized with the training split's mean and std (pixels constant in it stay 0). Needs the
  `repro[thorough]` extra.
- "gaussian": the blog post's random N(0, 1) input, 100 features, with random labels (only
  the init-time distributions matter for the claims that use it).
- "teacher": N(0, 1) inputs labelled by a fixed random two-layer tanh teacher (a task with a
  known, reachable optimum).
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

N_CLASSES = 10
DATA_SEED = 20180219  # the blog post's date; fixes the synthetic data sets and the validation split
VALIDATION_FRACTION = 1 / 8


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # (N, D) float64
    y_train: np.ndarray  # (N,) int64
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = N_CLASSES

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


RESAMPLABLE = ("mnist1d",)  # the data sets with a per-seed draw


def load(name: str, draw: int | None = None) -> Dataset:
    """The data set called `name` (float64; the engine casts to the spec's dtype); `draw`, a seed
    index, asks for that seed's own draw of a generated data set (None: the fixed one)."""
    if name not in _MAKERS:
        raise ValueError(f"data={name!r} is not a known data set; choose one of {', '.join(map(repr, _MAKERS))}")
    if draw is not None and name not in RESAMPLABLE:
        raise ValueError(f"data={name!r} has no per-seed draws; only {', '.join(map(repr, RESAMPLABLE))} has")
    if draw is not None and (not isinstance(draw, int) or draw < 0):
        raise ValueError(f"draw={draw!r} must be a seed index (an integer >= 0) or None")
    return _load_cached(name) if draw is None else _load_draw(name, draw)


@lru_cache(maxsize=None)
def _load_cached(name: str) -> Dataset:
    return _MAKERS[name]()


@lru_cache(maxsize=128)  # about 2 MB a draw; a worker trains a few seeds at a time
def _load_draw(name: str, draw: int) -> Dataset:
    return _mnist1d(seed=draw_seed(draw))


def draw_seed(draw: int) -> int:
    """The generator seed of seed index `draw`'s data draw, independent of every training stream."""
    return int(np.random.SeedSequence([DATA_SEED, draw]).generate_state(1)[0])


def _split(name: str, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
           standardize: bool = False) -> Dataset:
    """Carve the validation split out of the training data (a fixed random subset), then
    standardize every split with the remaining training split's statistics if asked."""
    n_val = int(round(len(x) * VALIDATION_FRACTION))
    order = np.random.default_rng(DATA_SEED).permutation(len(x))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    x_train, x_val = x[train], x[val]
    if standardize:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)  # a feature constant in the training split stays constant
        x_train, x_val, x_test = ((v - mean) / std for v in (x_train, x_val, x_test))
    return Dataset(name, x_train, y[train], x_val, y[val], x_test, y_test)


def _mnist1d(seed: int | None = None) -> Dataset:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    if seed is not None:
        args.seed = seed
    with contextlib.redirect_stdout(io.StringIO()):  # make_dataset prints progress
        raw = make_dataset(args)
    return _split("mnist1d", raw["x"].astype(np.float64), raw["y"].astype(np.int64),
                  raw["x_test"].astype(np.float64), raw["y_test"].astype(np.int64), standardize=True)


def _gaussian(n_train: int = 1000, n_test: int = 1000, dim: int = 100) -> Dataset:
    rng = np.random.default_rng(DATA_SEED)
    x = rng.standard_normal((n_train + n_test, dim))
    y = rng.integers(0, N_CLASSES, n_train + n_test)
    return _split("gaussian", x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def _teacher(n_train: int = 4000, n_test: int = 1000, dim: int = 40, hidden: int = 64) -> Dataset:
    rng = np.random.default_rng(DATA_SEED + 1)
    x = rng.standard_normal((n_train + n_test, dim))
    w1 = rng.standard_normal((dim, hidden)) / np.sqrt(dim)
    w2 = rng.standard_normal((hidden, N_CLASSES)) / np.sqrt(hidden)
    y = np.argmax(np.tanh(x @ w1 * 2.0) @ w2, axis=1)
    return _split("teacher", x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def _digits(test_fraction: float = 1 / 4) -> Dataset:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("data='digits' needs scikit-learn: pip install 'repro[thorough]'") from None
    raw = load_digits()
    x, y = raw.data.astype(np.float64), raw.target.astype(np.int64)
    order = np.random.default_rng(DATA_SEED + 2).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return _split("digits", x[train], y[train], x[test], y[test], standardize=True)


_MAKERS = {"mnist1d": _mnist1d, "gaussian": _gaussian, "teacher": _teacher, "digits": _digits}
