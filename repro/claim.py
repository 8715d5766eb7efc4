"""How a claim is declared: data, not machinery.

A claim module in `claims/` defines `CLAIM = Claim(...)`: the quote, a testable hypothesis
(the quote's prediction, written before any run), named conditions (experiment specs),
pre-declared tests on metrics of those conditions, which conditions keep a fixed learning rate
(the others are tuned, repro.protocol.tuning), the figures to draw, and `recorded`: what the
confirmatory run found (a regression reference, not a prediction).

`parts` are the co-primary tests of the hypothesis: one per arm, setting or quantity it names.
Each runs at the one sequential design (DESIGN_LOOKS) at alpha, and the claim's verdict follows
from all of them by the intersection-union rule (repro.protocol.decision): supported only if every
part is. A claim without `parts` has one: the first of its `tests`. The other tests are secondary:
each setting of a grid, robustness checks, the opposite orientation of a part.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Mapping, Sequence, Union

import numpy as np

from . import stats
from .checks import ClaimError, check_int
from .engine.record import Record
from .engine.spec import ExperimentSpec
from .recorded import VERDICTS, Recorded, RecordedPart, compare_recorded  # noqa: F401 - claim files import them here

#: The one sequential design of every claim's parts, declared before the confirmatory run: looks at
#: 12, 24, 48 and 96 seeds with O'Brien-Fleming alpha spending (repro.stats.SequentialDesign).
DESIGN_LOOKS = (12, 24, 48, 96)
ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """`claims` or `templates`: inside the installed package (a wheel ships them as repro/claims and
    repro/templates, see pyproject.toml), else the checkout's top-level directory."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else ROOT / name


CLAIMS_DIR = shipped_dir("claims")

Conditions = Union[str, Sequence[str]]


NONFINITE = ("error", "worst", "drop")


@dataclass(frozen=True)
class Metric:
    """One number per seed, computed from a record. `higher_is_better` orients the tests.

    A seed whose value is NaN or infinite (a diverged or degenerate run) is an outcome, counted as the
    metric declares: `nonfinite="error"` (the default) makes it an error of the claim, naming the
    seeds; "worst" counts it as `worst` (e.g. chance accuracy); "drop" leaves the seed out of the
    test, which reports how many it left out. A metric that is NaN for every seed is always an error.
    """

    name: str
    fn: Callable[[Record], np.ndarray]
    unit: str = ""
    higher_is_better: bool = True
    nonfinite: str = "error"
    worst: float | None = None

    def __post_init__(self) -> None:
        if self.nonfinite not in NONFINITE:
            raise ClaimError(f"metric {self.name!r}: nonfinite={self.nonfinite!r} must be one of {', '.join(NONFINITE)}")
        if (self.nonfinite == "worst") != (self.worst is not None):
            raise ClaimError(f"metric {self.name!r}: give worst=<value> together with nonfinite='worst' (the value "
                             f"a non-finite seed counts as), and only then")
        if self.worst is not None and not (isinstance(self.worst, (int, float)) and math.isfinite(self.worst)):
            raise ClaimError(f"metric {self.name!r}: worst={self.worst!r} must be a finite number")

    def __call__(self, record: Record) -> np.ndarray:
        values = np.asarray(self.fn(record), dtype=float)
        if values.shape != (record.n_seeds,):
            raise ValueError(f"metric {self.name!r} returned shape {values.shape}, expected ({record.n_seeds},)")
        if values.size and np.all(np.isnan(values)):
            raise ValueError(f"metric {self.name!r} is NaN for every seed: it cannot be computed from this record "
                             "(check the metric's probe names and steps)")
        bad = ~np.isfinite(values)
        if bad.any() and self.nonfinite == "error":
            seeds = [record.seeds[i] for i in np.flatnonzero(bad)]
            raise ValueError(f"metric {self.name!r} is not finite for seed(s) {seeds}: a diverged or degenerate run "
                             "is an outcome; declare how it counts: Metric(..., nonfinite='worst', worst=<value>) "
                             "or nonfinite='drop' (the test leaves those seeds out and reports how many)")
        return np.where(bad, self.worst, values) if bad.any() and self.nonfinite == "worst" else values


def _as_tuple(conditions: Conditions) -> tuple[str, ...]:
    return (conditions,) if isinstance(conditions, str) else tuple(conditions)


def _pooled(metric: Metric, records: Mapping[str, Record], conditions: Conditions) -> np.ndarray:
    """Per-seed metric averaged over one or more conditions (the seeds are paired across them)."""
    return np.mean([metric(records[c]) for c in _as_tuple(conditions)], axis=0)


def _n_diverged(records: Mapping[str, Record], *groups: Conditions) -> int:
    flags = [records[c]["diverged"] for g in groups for c in _as_tuple(g)]
    return int(np.any(flags, axis=0).sum())


@dataclass(frozen=True)
class Test:
    """Base of the declared tests. `name` labels the row in the report; `why` is the one sentence that
    ties its margin (or tau) to the quote's wording (prose: not part of the registered declarations)."""

    name: str
    why: str = field(default="", kw_only=True)
    sequential: ClassVar[bool] = True   # can decide a part at the design's looks (t-based boundaries)

    def conditions(self) -> tuple[str, ...]:
        raise NotImplementedError

    def evaluate(self, records: Mapping[str, Record], alpha: float) -> stats.TestResult:
        raise NotImplementedError

    @property
    def kind(self) -> str:
        return type(self).__name__.lower()


def _check_margin(test: Test, positive: bool = False) -> None:
    """Declarations fail when loaded, before any training: a margin is a finite number >= 0 (> 0 for
    equivalence, which cannot be shown inside a zero-width band)."""
    m = test.margin
    ok = isinstance(m, (int, float)) and not isinstance(m, bool) and math.isfinite(m) and (m > 0 if positive else m >= 0)
    if not ok:
        need = "a finite number > 0" if positive else "a finite number >= 0"
        raise ClaimError(f"test {test.name!r}: margin={m!r} must be {need} (in the metric's unit)")


@dataclass(frozen=True)
class _PairedTest(Test):
    """A paired comparison of A against B on a metric; `kind` names the stats function that decides it.

    Oriented tests flip the metric's sign when lower is better, so the stats function always
    asks whether A is better; equivalence is symmetric and is left as measured.
    """

    metric: Metric = None
    a: Conditions = ()
    b: Conditions = ()
    margin: float = 0.0
    oriented: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_margin(self, positive=self.kind == "equivalence")
        if not isinstance(self.metric, Metric):
            raise ClaimError(f"test {self.name!r}: metric={self.metric!r} must be a Metric (see repro.metrics)")

    def conditions(self):
        return _as_tuple(self.a) + _as_tuple(self.b)

    @classmethod
    def each(cls, name: str, pairs: Mapping[str, tuple[Conditions, Conditions]], **kwargs) -> tuple[Test, ...]:
        """The same test on each (a, b) pair, in order: `name` has one '{}', filled with the pair's label.

        `Superiority.each("BN wins ({})", {"ReLU": ("BN, ReLU", "no BN, ReLU")}, metric=m, margin=0.0)`
        """
        if name.count("{}") != 1:
            raise ClaimError(f"{cls.__name__}.each: name={name!r} must contain '{{}}' exactly once "
                             "(where each pair's label goes)")
        if not pairs:
            raise ClaimError(f"{cls.__name__}.each({name!r}): pairs must name at least one (a, b) pair")
        return tuple(cls(name.replace("{}", label), a=a, b=b, **kwargs) for label, (a, b) in pairs.items())

    def evaluate(self, records, alpha):
        sign = -1.0 if self.oriented and not self.metric.higher_is_better else 1.0
        decide = getattr(stats, self.kind)
        return decide(sign * _pooled(self.metric, records, self.a), sign * _pooled(self.metric, records, self.b),
                      margin=self.margin, alpha=alpha, name=self.name, metric=self.metric.name,
                      unit=self.metric.unit, n_diverged=_n_diverged(records, self.a, self.b))


@dataclass(frozen=True)
class Superiority(_PairedTest):
    """A is better than B on the metric (paired seeds). Refuted if B is better, or if the
    difference is shown to lie inside (-margin, margin)."""


@dataclass(frozen=True)
class Equivalence(_PairedTest):
    """A and B are equivalent within +-margin (TOST, paired seeds)."""

    oriented: ClassVar[bool] = False


@dataclass(frozen=True)
class NonInferiority(_PairedTest):
    """A is not worse than B by more than the margin (one-sided TOST, paired seeds)."""


@dataclass(frozen=True)
class Interaction(Test):
    """The interaction of a 2x2 factorial: is a factor's effect the same at two levels of another?

    `a` and `b` are (with the factor, without it) at the two levels of the other factor; per seed
    the tested quantity is (a[0] - a[1]) - (b[0] - b[1]). `test="equivalence"` asks whether the two
    effects add up (the interaction lies within +-margin); `test="superiority"` whether the factor
    does more at level a than at level b by more than the margin.
    """

    metric: Metric = None
    a: tuple[str, str] = ()
    b: tuple[str, str] = ()
    margin: float = 0.0
    test: str = "equivalence"

    def __post_init__(self) -> None:
        _check_margin(self, positive=self.test == "equivalence")
        if self.test not in ("equivalence", "superiority"):
            raise ClaimError(f"Interaction {self.name!r}: test={self.test!r} must be 'equivalence' or 'superiority'")
        for side in ("a", "b"):
            pair = getattr(self, side)
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(c, str) for c in pair)):
                raise ClaimError(f"Interaction {self.name!r}: {side}={pair!r} must be a (with, without) pair of "
                                 f"condition names")

    @property
    def kind(self) -> str:
        return self.test

    def conditions(self):
        return self.a + self.b

    def effects(self, records: Mapping[str, Record]) -> tuple[np.ndarray, np.ndarray]:
        """Per seed, the factor's effect at each level (oriented so positive = better)."""
        sign = 1.0 if self.metric.higher_is_better or self.test == "equivalence" else -1.0
        def effect(pair):
            return sign * (self.metric(records[pair[0]]) - self.metric(records[pair[1]]))
        return effect(self.a), effect(self.b)

    def evaluate(self, records, alpha):
        decide = getattr(stats, self.test)
        return decide(*self.effects(records), margin=self.margin, alpha=alpha, name=self.name,
                      metric=f"interaction on {self.metric.name}", unit=self.metric.unit,
                      n_diverged=_n_diverged(records, self.a, self.b))


@dataclass(frozen=True)
class Threshold(Test):
    """The metric of condition(s) `a` lies below (or above) tau; `log` tests log10 of it.

    Several conditions are pooled per seed by their mean (`pool="mean"`), or by the worst of them
    (`pool="worst"`: the largest value when the claim is 'below', the smallest when 'above'), which
    tests that every condition is beyond tau: one arm's failure cannot hide in the others' mean."""

    metric: Metric = None
    a: Conditions = ()
    tau: float = 0.0
    direction: str = "below"
    log: bool = False
    pool: str = "mean"

    def __post_init__(self) -> None:
        if not (isinstance(self.tau, (int, float)) and not isinstance(self.tau, bool) and math.isfinite(self.tau)):
            raise ClaimError(f"test {self.name!r}: tau={self.tau!r} must be a finite number")
        if self.direction not in ("below", "above"):
            raise ClaimError(f"test {self.name!r}: direction={self.direction!r} must be 'below' or 'above'")
        if self.log and self.tau <= 0:
            raise ClaimError(f"test {self.name!r}: log=True needs tau > 0, got tau={self.tau!r}")
        if self.pool not in ("mean", "worst"):
            raise ClaimError(f"test {self.name!r}: pool={self.pool!r} must be 'mean' or 'worst'")

    def conditions(self):
        return _as_tuple(self.a)

    def per_seed(self, records: Mapping[str, Record]) -> np.ndarray:
        """The per-seed values tested: one condition's metric, or the conditions pooled by `pool`."""
        if self.pool == "mean":
            return _pooled(self.metric, records, self.a)
        values = np.stack([self.metric(records[c]) for c in _as_tuple(self.a)])
        return values.max(axis=0) if self.direction == "below" else values.min(axis=0)

    def evaluate(self, records, alpha):
        return stats.threshold(self.per_seed(records), tau=self.tau, direction=self.direction,
                               log=self.log, alpha=alpha, name=self.name, metric=self.metric.name,
                               unit=self.metric.unit, n_diverged=_n_diverged(records, self.a))


@dataclass(frozen=True)
class Trend(Test):
    """The metric changes monotonically with a swept variable x (levels: x -> condition)."""

    metric: Metric = None
    levels: Mapping[float, str] = field(default_factory=dict)
    direction: str = "increasing"
    margin: float = 0.0
    log2_x: bool = True

    def __post_init__(self) -> None:
        _check_margin(self)
        if self.direction not in ("increasing", "decreasing"):
            raise ClaimError(f"test {self.name!r}: direction={self.direction!r} must be 'increasing' or 'decreasing'")

    def conditions(self):
        return tuple(self.levels.values())

    def evaluate(self, records, alpha):
        xs = np.array(list(self.levels), dtype=float)
        ys = np.stack([self.metric(records[c]) for c in self.levels.values()], axis=1)  # (K, n_levels)
        return stats.trend(np.log2(xs) if self.log2_x else xs, ys, direction=self.direction, margin=self.margin,
                           alpha=alpha, name=self.name, metric=self.metric.name, unit=self.metric.unit,
                           n_diverged=_n_diverged(records, tuple(self.levels.values())))


@dataclass(frozen=True)
class Identity(Test):
    """Quantity of A equals that of B (or zero when b is None) to within a rounding tolerance,
    per seed. `quantity` returns an array with a leading seed axis; `unit` is the quantity's unit
    (e.g. "nats" for a loss), printed beside its differences."""

    quantity: Callable[[Record], np.ndarray] = None
    quantity_name: str = ""
    a: str = ""
    b: str | None = None
    tol: float = 1e-10
    unit: str = ""

    def conditions(self):
        return (self.a,) if self.b is None else (self.a, self.b)

    def evaluate(self, records, alpha):
        qa = np.asarray(self.quantity(records[self.a]), dtype=float)
        qb = np.zeros_like(qa) if self.b is None else np.asarray(self.quantity(records[self.b]), dtype=float)
        diff = np.abs(qa - qb).reshape(len(qa), -1)
        scale = np.maximum(np.abs(qa), np.abs(qb)).reshape(len(qa), -1).max(axis=1)
        return stats.identity(diff.max(axis=1), tol=self.tol, scale=scale, name=self.name,
                              metric=self.quantity_name, unit=self.unit, n_diverged=_n_diverged(records, self.conditions()))


@dataclass(frozen=True)
class Figure:
    """A figure of the claim's section: `kind` names a function in repro.report.figures.FIGURES."""

    kind: str
    title: str
    caption: str = ""
    conditions: tuple[str, ...] = ()
    options: Mapping = field(default_factory=dict)

    @classmethod
    def profile(cls, title: str, value: str, *, step: int = -1, logy: bool = False,
                conditions: Sequence[str] = (), caption: str = "") -> Figure:
        """A per-layer probe value (e.g. "probe/act_std") at one probe step (0: at init, -1: the last)."""
        options = {"value": value, "step": step, **({"logy": True} if logy else {})}
        return cls("layer_profile", title, caption, tuple(conditions), options)


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    quote: str
    speaker: str
    hypothesis: str
    conditions: Mapping[str, ExperimentSpec]
    tests: tuple[Test, ...] = ()            # secondary tests (without `parts`: the first is the one part)
    parts: tuple[Test, ...] = ()            # the co-primary parts of the hypothesis (intersection-union)
    looks: tuple[int, ...] = DESIGN_LOOKS   # seed counts of the parts' sequential looks
    seeds: int | None = None                # a fixed design: looks=(seeds,) (the shipped claims: identity only)
    fixed_rate: tuple[str, ...] = ()        # conditions that keep their spec's lr (not tuned)
    recorded: Recorded | None = None
    figures: tuple[Figure, ...] = ()
    method: str = ""        # the design in words: why these conditions, this metric, this margin
    literature: str = ""    # what published work found (docs/science.md)
    caveats: str = ""
    settle: str = ""        # what would settle it, if the verdict is inconclusive
    number: int = 0         # the claim's number in docs/science.md, for ordering
    source: str = field(default="", compare=False, repr=False)  # the module's text (set on loading)

    def __post_init__(self) -> None:
        where = f"claim {self.id!r}"
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.id or ""):
            raise ClaimError(f"{where}: id must be lowercase words joined by '-'")
        if not self.parts and not self.tests:
            raise ClaimError(f"{where}: declare its parts (the co-primary tests that decide the verdict)")
        if not self.parts:
            object.__setattr__(self, "parts", tuple(self.tests[:1]))
            object.__setattr__(self, "tests", tuple(self.tests[1:]))
        object.__setattr__(self, "parts", tuple(self.parts))
        object.__setattr__(self, "tests", tuple(self.tests))
        for t in self.parts + self.tests:
            if not isinstance(t, Test):
                raise ClaimError(f"{where}: parts and tests must be tests (Superiority, Threshold, ...), got {t!r}")
        for t in self.parts:
            if not t.sequential:
                raise ClaimError(f"{where}: {type(t).__name__} {t.name!r} cannot be a part (the looks' boundaries "
                                 "are for t tests); declare it in tests=")
        if self.seeds is not None:
            object.__setattr__(self, "seeds", check_int("seeds", self.seeds, 2, where=where, error=ClaimError))
            object.__setattr__(self, "looks", (self.seeds,))
        looks = self.looks
        if (not isinstance(looks, tuple) or not looks or any(not isinstance(n, int) or n < 2 for n in looks)
                or list(looks) != sorted(set(looks))):
            raise ClaimError(f"{where}: looks={looks!r} must be a tuple of strictly increasing seed counts >= 2")
        unknown = [c for c in self.fixed_rate if c not in self.conditions]
        if unknown:
            raise ClaimError(f"{where}: fixed_rate names unknown conditions {unknown}; known: {', '.join(self.conditions)}")
        if self.recorded is not None and not isinstance(self.recorded, Recorded):
            raise ClaimError(f"{where}: recorded must be a Recorded(...) or None")
        for name, spec in self.conditions.items():
            if not isinstance(spec, ExperimentSpec):
                raise ClaimError(f"{where}: condition {name!r} must be an ExperimentSpec")
        names = [t.name for t in self.all_tests]
        if len(set(names)) != len(names):
            raise ClaimError(f"{where}: test names must be unique, got {names}")
        for item in list(self.all_tests) + list(self.figures):
            used, label = (item.conditions(), item.name) if isinstance(item, Test) else (item.conditions, item.title)
            missing = [c for c in used if c not in self.conditions]
            if missing:
                raise ClaimError(f"{where}: {type(item).__name__} {label!r} "
                                 f"uses unknown conditions {missing}; known: {', '.join(self.conditions)}")

    @property
    def primary(self) -> Test:
        """The first part (the one part of a single-part claim)."""
        return self.parts[0]

    @property
    def all_tests(self) -> tuple[Test, ...]:
        """The parts, then the secondary tests: the order of ClaimResult.tests."""
        return self.parts + self.tests

    def part_conditions(self, parts: Sequence[Test] | None = None) -> tuple[str, ...]:
        """The conditions the parts (default: all of them) compare, in declaration order."""
        names = [c for t in (self.parts if parts is None else parts) for c in t.conditions()]
        return tuple(dict.fromkeys(names))

    @property
    def max_seeds(self) -> int:
        return self.looks[-1]

    def is_tuned(self, condition: str) -> bool:
        """Whether a condition gets its learning rate from the validation grid (repro.protocol.tuning)."""
        return self.conditions[condition].steps > 0 and condition not in self.fixed_rate


def common_seeds(records: Mapping[str, Record], conditions: Sequence[str]) -> dict[str, Record]:
    """The records of `conditions` cut to the seeds they all have (later looks add seeds only to
    the primary test's conditions, so a secondary test pairs the seeds its arms share)."""
    n = min(records[c].n_seeds for c in conditions)
    return {c: records[c].head(n) for c in conditions}


def load_claims(directory: Path = CLAIMS_DIR) -> list[Claim]:
    """Every claim file of `directory`, ordered by claim number then id (repro.claimfiles is the loader)."""
    from .claimfiles import load_claims as load
    return load(directory)


def load_claim_file(path: Path) -> Claim:
    """One claim file's CLAIM (repro.claimfiles is the loader)."""
    from .claimfiles import load_claim_file as load
    return load(Path(path))
