"""Data sets, all generated locally (never downloaded) and fixed across seeds.

Every data set has three splits: train, validation and test. The validation split is carved out
of the training data (a fixed 1/8 of it, drawn with DATA_SEED) and is what learning rates are
selected on and plateaus judged by; the test set is never used to choose anything.

- "mnist1d": MNIST-1D (Greydanus 2020) from the `mnist1d` package's `make_dataset` with its
  default arguments (seed 42): 4000 train (3500 train + 500 validation) / 1000 test, 40
  features, 10 classes; features are standardized with the training split's mean and std.
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


def load(name: str) -> Dataset:
    """The data set called `name` (float64; the engine casts to the spec's dtype)."""
    if name not in _MAKERS:
        raise ValueError(f"data={name!r} is not a known data set; choose one of {', '.join(map(repr, _MAKERS))}")
    return _load_cached(name)


@lru_cache(maxsize=None)
def _load_cached(name: str) -> Dataset:
    return _MAKERS[name]()


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
        x_train, x_val, x_test = ((v - mean) / std for v in (x_train, x_val, x_test))
    return Dataset(name, x_train, y[train], x_val, y[val], x_test, y_test)


def _mnist1d() -> Dataset:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
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


_MAKERS = {"mnist1d": _mnist1d, "gaussian": _gaussian, "teacher": _teacher}
