"""Record: everything one experiment measured, for every seed.

`values` arrays all have a leading seed axis (K, ...). `axes` holds the shared coordinate
arrays (e.g. the steps at which evaluations happened), without a seed axis.

Names the engine writes (L = depth, the hidden layers; L+1 counts the read-out Linear too):
  axes["eval_step"] (E,)                 values["train_loss"|"test_loss"|"train_acc"|"test_acc"] (K, E)
  values["diverged"] (K,) bool           values["diverged_step"] (K,) int, -1 if never
  axes["probe_step"] (P,)                values["probe/<name>"] (K, P, ...)   (see repro.probes)
  axes["geometry_step"] (G,)             values["geometry/<name>"] (K, G, ...) (see repro.geometry)
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

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"record has no value {name!r}; it has: {', '.join(sorted(self.values))}") from None

    def select(self, seed_positions) -> "Record":
        """A record restricted to some seeds (positions along the seed axis)."""
        pos = np.asarray(seed_positions)
        return Record(self.spec, tuple(np.asarray(self.seeds)[pos].tolist()),
                      {k: v[pos] for k, v in self.values.items()}, dict(self.axes), self.runtime_s)
