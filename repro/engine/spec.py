"""Experiment specs: frozen, validated, hashable descriptions of one training run.

A spec says everything that determines the numbers of a run except the seed indices.
Its content hash (plus the seeds) is the cache key, so two claims that need the same
experiment share it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from .data import RESAMPLABLE
from .fingerprint import engine_fingerprint

# Bump when a change to the engine changes the numbers a spec produces (the source hash in key() also
# catches every edit to the engine's files; the version stays for changes outside them, e.g. data packages).
ENGINE_VERSION = 7  # 4: validation split carved from the training data; 5: chunked evaluation, eval_splits;
                    # 6: float32 subnormals flushed to zero, mean-only/scale-only/noisy BN, within-unit share probe;
                    # 7: the digits data set, per-seed data draws (resample_data); earlier specs' numbers unchanged

CHOICES: dict[str, tuple] = {
    "data": ("mnist1d", "gaussian", "teacher", "digits"),
    "activation": ("relu", "leaky_relu", "tanh", "sigmoid", "identity"),
    "norm": ("none", "batch", "units", "mean_only", "scale_only", "noisy_batch"),
    "placement": ("before", "after"),
    "init": ("normal", "uniform", "xavier", "xavier_uniform", "he", "he_uniform"),
    "loss": ("xent", "mse", "noise"),
    "optimizer": ("sgd", "momentum", "adam"),
    "schedule": ("constant", "cosine"),
    "dtype": ("float32", "float64"),
}

BATCH_NORMS = ("batch", "mean_only", "scale_only", "noisy_batch")  # batch statistics, running statistics

PROBES = (
    "activations",  # per-layer mean/std/percentiles and samples at each site (linear, norm, act)
    "gradients",    # per-layer weight-gradient and activation-gradient norms (+ samples)
    "units",        # dead / always-active unit fractions on the probe batch
    "units_eval",   # the same with the norm in evaluation mode (running statistics), as the net predicts
    "bn_params",    # gamma and beta of every BN layer
    "unit_percentiles",  # 15/50/85th percentiles of a few chosen units' pre-activations
    "final_params",  # the trained parameters themselves (for exact-identity checks)
)
EVAL_SPLITS = ("train", "val", "test")  # a fixed 1000-example training subset, validation, test
GEOMETRY = (
    "ics",          # Santurkar et al. internal covariate shift, per layer
    "smoothness",   # gradient predictiveness and effective beta-smoothness along -g
    "interaction",  # joint update loss change vs the sum of per-layer ones (claim 9)
)


class SpecError(ValueError):
    """An experiment spec has an invalid field; the message names the field and the fix."""


@dataclass(frozen=True)
class ExperimentSpec:
    """One training run of a fully connected network, minus the seeds.

    The model is `depth` hidden blocks of `width` units, each Linear -> [norm] -> activation
    (placement="before") or Linear -> activation -> [norm] (placement="after"), then a Linear
    read-out. `steps=0` means: initialise and probe, do not train.
    """

    # data
    data: str = "mnist1d"
    resample_data: bool = False  # True: each seed trains and is tested on its own draw of the data set
    # model
    depth: int = 4
    width: int = 100
    activation: str = "relu"
    leaky_slope: float = 0.01
    norm: str = "batch"
    placement: str = "before"
    bias: bool = True
    affine: bool = True
    train_gamma: bool = True
    train_beta: bool = True
    # False freezes every Linear's weights and biases at their init, the read-out's included, so only
    # gamma and beta train (Frankle et al. 2021, "Training BatchNorm and only BatchNorm")
    train_weights: bool = True
    init: str = "he"
    init_scale: float = 1.0  # std for "normal", half-width for "uniform", a gain multiplier otherwise
    # the read-out Linear's init ("" = the same as `init`, at the same scale; otherwise at scale 1)
    readout_init: str = ""
    bn_eps: float = 1e-5
    bn_momentum: float = 0.1
    # norm="noisy_batch" (Santurkar et al. 2018): BN whose output is, in training steps only, scaled by
    # U(1 - noise_scale, 1 + noise_scale) and shifted by U(-noise_shift, noise_shift), drawn per unit
    # and per step; evaluation and probes see the plain BN net
    noise_shift: float = 0.5
    noise_scale: float = 0.5
    # optimisation
    loss: str = "xent"
    optimizer: str = "sgd"
    lr: float = 0.1
    # learning-rate multiplier of the hidden weights W0..W{depth-1}, the ones BN makes scale-invariant
    # (Ioffe & Szegedy 3.3: their effective rate goes as 1/|W|^2); read-out, biases, gamma, beta keep lr
    hidden_lr_scale: float = 1.0
    # L2 weight decay of the Linear weights W0..W{depth} (g += weight_decay * W before the update, as
    # torch.optim.SGD does); biases, gamma and beta are not decayed. With BN it keeps the scale-invariant
    # hidden weights from growing, so they forget their init scale (van Laarhoven 2017)
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "constant"
    batch_size: int = 64
    steps: int = 1000
    dtype: str = "float32"
    # measurement
    eval_every: int = 100
    eval_splits: tuple[str, ...] = ("train", "val", "test")  # tuning runs need only "val"
    probes: tuple[str, ...] = ()
    probe_steps: tuple[int, ...] = (0,)
    geometry: tuple[str, ...] = ()
    geometry_steps: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SpecError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")
        positive_ints = ("depth", "width", "batch_size", "eval_every")
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SpecError(f"{name}={value!r} must be a positive integer")
        if not isinstance(self.steps, int) or self.steps < 0:
            raise SpecError(f"steps={self.steps!r} must be an integer >= 0 (0 = probe at init only)")
        for name in ("lr", "init_scale", "bn_eps", "hidden_lr_scale"):
            if not getattr(self, name) > 0:
                raise SpecError(f"{name}={getattr(self, name)!r} must be > 0")
        if not (isinstance(self.weight_decay, (int, float)) and 0 <= self.weight_decay < 1):
            raise SpecError(f"weight_decay={self.weight_decay!r} must be a number in [0, 1) (0: no decay)")
        if not 0 <= self.momentum < 1:
            raise SpecError(f"momentum={self.momentum!r} must be in [0, 1)")
        if not 0 < self.bn_momentum <= 1:
            raise SpecError(f"bn_momentum={self.bn_momentum!r} must be in (0, 1]")
        if not 0 <= self.noise_shift:
            raise SpecError(f"noise_shift={self.noise_shift!r} must be >= 0")
        if not 0 <= self.noise_scale < 1:
            raise SpecError(f"noise_scale={self.noise_scale!r} must be in [0, 1) (a scale factor must stay positive)")
        if not isinstance(self.resample_data, bool):
            raise SpecError(f"resample_data={self.resample_data!r} must be True or False")
        if self.resample_data and self.data not in RESAMPLABLE:
            raise SpecError(f"resample_data=True needs a data set with per-seed draws ({', '.join(map(repr, RESAMPLABLE))}), "
                            f"not data={self.data!r}")
        if not 0 <= self.leaky_slope < 1:
            raise SpecError(f"leaky_slope={self.leaky_slope!r} must be in [0, 1)")
        if self.readout_init not in ("",) + CHOICES["init"]:
            raise SpecError(f"readout_init={self.readout_init!r} is not allowed; choose '' (the same as init) "
                            f"or one of {', '.join(map(repr, CHOICES['init']))}")
        if not self.train_weights and not (self.has_norm and self.affine and self.train_gamma and self.train_beta):
            raise SpecError("train_weights=False trains only gamma and beta: it needs a norm (not 'none') "
                            "with affine=True and train_gamma=train_beta=True")
        for name, allowed in (("probes", PROBES), ("geometry", GEOMETRY), ("eval_splits", EVAL_SPLITS)):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                raise SpecError(f"{name} must be a tuple, got {type(value).__name__}")
            unknown = [p for p in value if p not in allowed]
            if unknown:
                raise SpecError(f"{name} has unknown entries {unknown}; choose from {', '.join(allowed)}")
        if not self.eval_splits or list(self.eval_splits) != [s for s in EVAL_SPLITS if s in self.eval_splits]:
            raise SpecError(f"eval_splits={self.eval_splits!r} must be a non-empty subset of {EVAL_SPLITS}, in that order")
        for name in ("probe_steps", "geometry_steps"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or any(not isinstance(s, int) or not 0 <= s <= self.steps for s in value):
                raise SpecError(f"{name}={value!r} must be a tuple of integers in [0, steps={self.steps}]")
            if list(value) != sorted(set(value)):
                raise SpecError(f"{name}={value!r} must be strictly increasing")
        if self.norm == "none" and (not self.affine or not self.train_gamma or not self.train_beta):
            raise SpecError("affine/train_gamma/train_beta only apply with a norm; leave them at True for norm='none'")
        if self.geometry and self.norm not in ("batch", "none"):
            raise SpecError(f"geometry measures are defined for norm='batch' or 'none', not {self.norm!r}")

    def replace(self, **changes) -> "ExperimentSpec":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ExperimentSpec":
        d = dict(d)
        for name in ("probes", "probe_steps", "geometry", "geometry_steps", "eval_splits"):
            if name in d:
                d[name] = tuple(d[name])
        return cls(**d)

    def key(self, seeds: tuple[int, ...]) -> str:
        """Content hash of this spec, the engine version, the engine's source and the seed indices: the cache key."""
        payload = json.dumps({"spec": self.to_dict(), "seeds": list(seeds), "engine": ENGINE_VERSION,
                              "engine_source": engine_fingerprint()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]

    @property
    def has_norm(self) -> bool:
        return self.norm != "none"

    @property
    def batch_stats(self) -> bool:
        """Whether the norm uses batch statistics in training (and running statistics in evaluation)."""
        return self.norm in BATCH_NORMS

    def describe(self) -> str:
        """The spec in words, for the report's method paragraphs."""
        act = self.activation if self.activation != "leaky_relu" else f"leaky ReLU (slope {self.leaky_slope:g})"
        act = {"relu": "ReLU"}.get(act, act)
        if self.norm == "none":
            block = f"Linear{'+bias' if self.bias else ''} -> {act}"
        else:
            norm = {"batch": "BN", "units": "per-example unit norm (the blog's axis)",
                    "mean_only": "mean-only BN (centred, not scaled)",
                    "scale_only": "scale-only BN (divided by the batch std, not centred)",
                    "noisy_batch": (f"noisy BN (output scaled by U({1 - self.noise_scale:g}, {1 + self.noise_scale:g}) "
                                    f"and shifted by U(-{self.noise_shift:g}, {self.noise_shift:g}) per unit, "
                                    "redrawn every step)")}[self.norm]
            if not self.affine:
                norm += " (no affine)"
            elif not self.train_weights:
                norm += " (only gamma and beta trained; every weight frozen at its init)"
            elif not (self.train_gamma and self.train_beta):
                frozen = [n for n, t in (("gamma", self.train_gamma), ("beta", self.train_beta)) if not t]
                norm += f" ({' and '.join(frozen)} frozen)"
            lin = f"Linear{'+bias' if self.bias else ''}"
            block = f"{lin} -> {norm} -> {act}" if self.placement == "before" else f"{lin} -> {act} -> {norm}"
        init = {
            "normal": f"N(0, {self.init_scale:g}^2)",
            "uniform": f"U(-{self.init_scale:g}, {self.init_scale:g})",
            "xavier": "Xavier normal", "xavier_uniform": "Xavier uniform",
            "he": "He normal", "he_uniform": "He uniform",
        }[self.init]
        if self.init in ("xavier", "xavier_uniform", "he", "he_uniform") and self.init_scale != 1:
            init += f" x {self.init_scale:g}"
        if self.readout_init:
            init += f" (read-out: {self.readout_init.replace('_', ' ').replace('he', 'He').replace('xavier', 'Xavier')})"
        data = {"mnist1d": "MNIST-1D (3500 train + 500 validation / 1000 test, 40 features)",
                "gaussian": "random Gaussian input (the blog's)",
                "teacher": "a random teacher network",
                "digits": "scikit-learn's 8x8 digits (1180 train + 168 validation / 449 test, 64 features)"}[self.data]
        if self.resample_data:
            data += ", drawn anew for every seed"
        opt = {"sgd": "SGD", "momentum": f"SGD with momentum {self.momentum:g}", "adam": "Adam"}[self.optimizer]
        if self.steps == 0:
            train = "not trained (measured at initialisation)"
        else:
            lr = f"learning rate {self.lr:g}"
            if self.hidden_lr_scale != 1:
                lr += f" ({self.lr * self.hidden_lr_scale:g} for the hidden weights)"
            train = (f"{opt}, {lr}{' (cosine schedule)' if self.schedule == 'cosine' else ''}, "
                     f"batch {self.batch_size}, {self.steps} steps, {self.dtype}")
        return (f"{self.depth} hidden layers of {self.width} units, each {block}; init {init}; "
                f"data {data}; {train}.")


QUICK_STEP_FRACTION = 10   # the smoke profile trains 1/10 of the steps
QUICK_MAX_SEEDS = 4


def quick(spec: ExperimentSpec) -> ExperimentSpec:
    """The smoke-profile version of a spec: a tenth of the steps, measurement steps rescaled,
    evaluations a third as frequent.

    Verdicts from it are marked non-confirmatory: it exists to check the pipeline quickly.
    """
    if spec.steps == 0:
        return spec
    steps = max(10, spec.steps // QUICK_STEP_FRACTION)

    def rescale(points: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted({min(steps, round(p * steps / spec.steps)) for p in points}))

    # a third as many evaluations: at a tenth of the steps they would otherwise cost more than training
    eval_every = max(1, min(steps, 3 * spec.eval_every // QUICK_STEP_FRACTION))
    return spec.replace(steps=steps, eval_every=eval_every,
                        probe_steps=rescale(spec.probe_steps), geometry_steps=rescale(spec.geometry_steps))
