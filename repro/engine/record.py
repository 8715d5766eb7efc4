"""Record: everything one experiment measured, for every seed.

`values` arrays all have a leading seed axis (K, ...). `axes` holds the shared coordinate
arrays (e.g. the steps at which evaluations happened), without a seed axis.

Names the engine writes (L = depth = hidden blocks; "L+1" counts the read-out Linear too;
S = 256 sampled values; P probe steps; G geometry steps; E evaluations):
  axes["eval_step"] (E,)    steps 0, eval_every, ..., steps (the last step always included)
  (the three evaluation pairs below for each split in spec.eval_splits; tuning runs have only "val_*")
  values["train_loss"|"train_acc"] (K, E)  on a fixed 1000-example training subset, eval mode
  values["val_loss"|"val_acc"] (K, E)      on the validation split (carved from the training data)
  values["test_loss"|"test_acc"] (K, E)    on the test set, eval mode (BN running statistics)
  values["batch_loss"] (K, steps)          the loss of each SGD minibatch, train mode
  values["diverged"] (K,) bool, values["diverged_step"] (K,) int (-1 if never)
  axes["probe_step"] (P,) = spec.probe_steps; probes use a fixed 512-example probe batch in
  train mode (its own batch statistics), without touching running statistics:
    "activations": values["probe/{site}_mean"|"probe/{site}_std"] (K, P, L),
                   values["probe/{site}_pct"] (K, P, L, 5) at percentiles 5/15/50/85/95,
                   values["probe/{site}_sample"] (K, P, L, S) fixed positions, for histograms;
                   site in "linear" (Linear output), "norm" (norm output; only with a norm),
                   "act" (activation output)
    "gradients":   values["probe/grad_w_norm"] (K, P, L+1) Frobenius norm of dLoss/dW_i,
                   values["probe/weight_norm"] (K, P, L+1),
                   values["probe/grad_act_norm"] (K, P, L) norm of dLoss/d(block output),
                   values["probe/grad_act_sample"] (K, P, L, S)
    "units":       values["probe/dead_frac"|"probe/linear_frac"] (K, P, L): fraction of units
                   whose activation input is <= 0 for every probe example (dead) or > 0 for
                   every one (always active, i.e. linear)
                   values["probe/within_share"] (K, P, L): within-unit share of the variance of
                   each layer's post-activation values (Page's measure, repro.engine.probes)
    "units_eval":  values["probe/dead_frac_eval"|"probe/linear_frac_eval"|"probe/within_share_eval"]
                   (K, P, L): the same with the norm in evaluation mode (running statistics)
    "bn_params":   values["probe/gamma"|"probe/beta"] (K, P, L, width)
    "unit_percentiles": values["probe/unit_pct"] (K, P, L, 3, 3): units 0..2 of each layer,
                   15/50/85th percentiles of their activation input (Ioffe & Szegedy fig. 1)
    "final_params": values["final/<param name>"] (K, ...) the parameters after training
  axes["geometry_step"] (G,) = spec.geometry_steps:
    values["geometry/<name>"] (K, G, ...) as documented in repro.engine.geometry
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .spec import ExperimentSpec


@dataclass
class Record:
    spec: ExperimentSpec
    seeds: tuple[int, ...]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    axes: dict[str, np.ndarray] = field(default_factory=dict)
    runtime_s: float = 0.0
    kernels: str = ""  # the BLAS kernels that trained it (repro.engine.blas.loaded_kernels); "" if unknown

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def head(self, n: int) -> "Record":
        """The record of the first n seeds (a paired test uses the seeds its arms share)."""
        if n == self.n_seeds:
            return self
        if not 1 <= n <= self.n_seeds:
            raise ValueError(f"n={n!r} must be in [1, {self.n_seeds}]")
        return Record(self.spec, self.seeds[:n], {k: v[:n] for k, v in self.values.items()}, dict(self.axes),
                      runtime_s=self.runtime_s, kernels=self.kernels)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"record has no value {name!r}; it has: {', '.join(sorted(self.values))}") from None
