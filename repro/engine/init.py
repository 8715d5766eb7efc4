"""Weight initialisation and the engine's random streams.

Every random draw comes from `stream(seed_index, purpose, *key)`: a
numpy.random.SeedSequence(entropy=ROOT_SEED, spawn_key=(seed_index, purpose, *key)).
So seed i of two conditions shares its data order and the standard-normal draws of every
weight matrix of the same shape (paired designs), and no number depends on K or on which
other seeds run alongside. Uniform weights are made from the same normal draws through the
normal CDF (u = 2 Phi(z) - 1), so uniform and normal conditions are paired too.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from .spec import CHOICES

ROOT_SEED = 20180219  # the blog post's date

# purposes (the second entry of the spawn key)
INIT, DATA, NOISE, PROBE_NOISE, NORM_NOISE = 0, 1, 2, 3, 4
SHARED = 2**31 - 1  # "seed index" of streams shared by all seeds (probe batch, sample positions)

INITS = CHOICES["init"]


def stream(seed_index: int, purpose: int, *key: int) -> np.random.Generator:
    """The random generator for (seed index, purpose, *key); independent of everything else."""
    ss = np.random.SeedSequence(entropy=ROOT_SEED, spawn_key=(int(seed_index), int(purpose), *map(int, key)))
    return np.random.default_rng(ss)


def init_std(init: str, fan_in: int, fan_out: int, *, scale: float = 1.0, leaky_slope: float = 0.0) -> float:
    """Standard deviation of the weights of one layer under `init` (uniform ones too: Var = a^2/3).

    normal: scale; uniform: scale/sqrt(3) (U(-scale, scale)); xavier*: scale*sqrt(2/(fan_in+fan_out));
    he*: scale*sqrt(2/((1+a^2) fan_in)) with a = leaky_slope (0 for anything but leaky ReLU).
    """
    if init == "normal":
        return scale
    if init == "uniform":
        return scale / np.sqrt(3.0)
    if init in ("xavier", "xavier_uniform"):
        return scale * np.sqrt(2.0 / (fan_in + fan_out))
    if init in ("he", "he_uniform"):
        return scale * np.sqrt(2.0 / ((1.0 + leaky_slope**2) * fan_in))
    raise ValueError(f"init={init!r} is not allowed; choose one of {', '.join(map(repr, INITS))}")


def init_weight(init: str, seeds, layer: int, fan_in: int, fan_out: int, *, scale: float = 1.0,
                leaky_slope: float = 0.0, dtype=np.float32) -> np.ndarray:
    """Weights (K, fan_in, fan_out) of layer `layer` for the given seed indices.

    Drawn in float64 from each seed's own stream, then cast to dtype.
    """
    std = init_std(init, fan_in, fan_out, scale=scale, leaky_slope=leaky_slope)
    z = np.stack([stream(s, INIT, layer).standard_normal((fan_in, fan_out)) for s in seeds])
    if init in ("uniform", "xavier_uniform", "he_uniform"):
        w = (2.0 * ndtr(z) - 1.0) * (std * np.sqrt(3.0))  # U(-a, a), a = sqrt(3) std
    else:
        w = z * std
    return w.astype(dtype, copy=False)
