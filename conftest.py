"""pytest plugin: every claim module in claims/ is one test item.

`python -m pytest` collects tests/ as usual and each claims/*.py as a ClaimItem. The first claim
item to run trains all selected claims together, once per session, through the same runner and
cache as the CLI (output/cache, default profile, jobs = cores); each item then checks that the
claim reproduces its recorded result (the verdict, and the primary estimate within the recorded
interval's half-width): a regression test of the confirmatory run, not a prediction. On failure it
prints the recorded and the new numbers. `--repro-quick` runs the smoke profile, whose numbers are
not confirmatory: its items only check that each claim runs to a verdict.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import repro  # noqa: F401 - first, so that repro.blas pins OpenBLAS's kernels before a test imports numpy

RUN_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("repro")
    group.addoption("--repro-quick", action="store_true",
                    help="run the claims in the quick (smoke) profile; only checks that each claim reaches a verdict")
    group.addoption("--repro-jobs", type=int, default=None, help="worker processes for the claims (default: cores)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if (file_path.suffix == ".py" and file_path.parent.name == "claims" and not file_path.name.startswith("_")):
        return ClaimFile.from_parent(parent, path=file_path)
    return None


class ClaimFile(pytest.File):
    def collect(self):
        from repro.claimfiles import BrokenClaim, load_one
        claim = load_one(self.path)
        if isinstance(claim, BrokenClaim):  # one failing item; the other claim files still collect and run
            yield BrokenClaimItem.from_parent(self, name=self.path.stem, broken=claim)
        else:
            yield ClaimItem.from_parent(self, name=claim.id, claim=claim)


class BrokenClaimItem(pytest.Item):
    """A claim file that does not load: fails with its file, line and message in one line."""

    def __init__(self, *, broken, **kwargs):
        super().__init__(**kwargs)
        self.broken = broken

    def runtest(self) -> None:
        raise ClaimMismatch(f"broken claim file {self.broken}")

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, (self.broken.line or 1) - 1, f"broken claim file {self.path.name}"


class ClaimMismatch(AssertionError):
    """The claim did not reproduce its recorded result."""


def primary_line(cr) -> str:
    """The primary test's statistics in one line."""
    if not cr.tests:
        return "no statistics (the claim errored)"
    t = cr.tests[0]
    p_adj = "n/a" if t.p_adjusted is None or t.p_adjusted != t.p_adjusted else f"{t.p_adjusted:.3g}"
    power = "n/a" if t.power is None else f"{t.power:.0%}"
    return (f"{t.name} [{t.kind}]: estimate {t.estimate:.4g} {t.unit}".rstrip() +
            f", {t.ci_level:.0%} CI [{t.ci[0]:.4g}, {t.ci[1]:.4g}], p {t.p:.3g}, Holm p {p_adj}, "
            f"margin {t.margin}, stopped at {t.n_seeds} seeds, diverged {t.n_diverged}, power {power}")


def recorded_line(rec) -> str:
    return (f"recorded (protocol {rec.protocol}, {rec.date}): {rec.verdict}, estimate {rec.estimate:.4g}, "
            f"CI [{rec.ci[0]:.4g}, {rec.ci[1]:.4g}], {rec.n_seeds} seeds")


def _run_all(session: pytest.Session) -> dict:
    """Train and test every collected claim item together, once per session."""
    if RUN_KEY not in session.stash:
        from repro.cache import Cache
        from repro.runner import run
        items = [i for i in session.items if isinstance(i, ClaimItem)]
        config = session.config
        out = config.rootpath / "output"
        jobs = config.getoption("--repro-jobs") or os.cpu_count() or 1
        cache = Cache(out / "cache")
        with cache.lock(on_wait=lambda: print(f"\nrepro: waiting for another run using the cache {cache.root}",
                                                file=sys.__stderr__)):
            result = run([i.claim for i in items], quick=config.getoption("--repro-quick"), jobs=jobs, cache=cache)
        session.stash[RUN_KEY] = {cr.claim.id: cr for cr in result.claims}
    return session.stash[RUN_KEY]


class ClaimItem(pytest.Item):
    def __init__(self, *, claim, **kwargs):
        super().__init__(**kwargs)
        self.claim = claim

    def runtest(self) -> None:
        from repro.claim import compare_recorded
        cr = _run_all(self.session)[self.claim.id]
        if cr.verdict == "error":
            raise ClaimMismatch(f"claim {self.claim.id} errored:\n{cr.error}")
        if self.config.getoption("--repro-quick"):
            return  # smoke profile: reaching a verdict is the check
        rec = self.claim.recorded
        if rec is None:
            raise ClaimMismatch(f"claim {self.claim.id} has no recorded result; run `python -m repro all` and "
                                f"record what it found\n  found: {cr.verdict}, {primary_line(cr)}")
        problems = compare_recorded(rec, cr.tests[0])
        if problems:
            raise ClaimMismatch(f"claim {self.claim.id} does not reproduce its recorded result: "
                                f"{'; '.join(problems)}\n  {recorded_line(rec)}\n  found: {cr.verdict}, "
                                f"{primary_line(cr)}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"claim {self.claim.id} ({self.claim.title})"
