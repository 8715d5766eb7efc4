"""pytest plugin: every claim module is one test item (registered as the `pytest11` entry point
`repro.pytest_plugin`, so it is active wherever repro is installed; `-p repro.pytest_plugin` loads it
by hand, `-p no:repro.pytest_plugin` turns it off).

Claim files are the `*.py` files (not starting with `_`) of a directory named `claims`, or of the
directory given by --repro-claims: `python -m pytest` in a checkout collects claims/ (testpaths),
`python -m pytest --repro-claims shipped` the claims shipped in the installed package, from any
directory (`--pyargs repro.claims` cannot name them: they are data, not an importable package).

The first claim item to run trains all selected claims together, once per session, through the same
runner and cache as the CLI (--repro-cache, default OUT/cache with OUT = --repro-out, default
<rootdir>/output; jobs = cores). What each item then checks depends on the mode:

- default (about 15 minutes on two cores): the claim runs to a verdict in the quick profile and draws
  its figures, and the first seeds of every condition, retrained at the rates the confirmatory run
  selected, give the recorded run's numbers bit for bit (repro.protocol.replication);
- `--repro-full` (about 1 h 50 min on two cores): the whole confirmatory run, rate search and looks,
  reproduces each claim's recorded verdict and every part's estimate within the recorded interval's
  half-width (a regression test of the confirmatory run, not a prediction); the Holm family is every
  claim of the selected claims' directories, as in the CLI;
- `--repro-quick`: only the quick-profile run and its figures.

A figure that cannot be drawn fails its claim in every mode. On failure an item prints what differs,
formatted as the report formats it. The plugin writes no report.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import repro  # noqa: F401 - first, so that repro.engine.blas pins OpenBLAS's kernels before a test imports numpy

RUN_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("repro")
    group.addoption("--repro-quick", action="store_true",
                    help="run the claims in the quick (smoke) profile; only checks that each claim reaches a verdict")
    group.addoption("--repro-full", action="store_true",
                    help="run the whole confirmatory protocol (about 1 h 50 min on two cores) and check every claim "
                         "against its recorded result")
    group.addoption("--repro-jobs", type=int, default=None, help="worker processes for the claims (default: cores)")
    group.addoption("--repro-out", type=Path, default=None, metavar="DIR",
                    help="output directory of the claims' run (default: <rootdir>/output); its cache is DIR/cache")
    group.addoption("--repro-cache", type=Path, default=None, metavar="DIR",
                    help="cache of trained experiments (default: the output directory's cache/)")
    group.addoption("--repro-claims", default=None, metavar="DIR",
                    help="also collect the *.py files of DIR as claims, whatever its name; 'shipped': the claims "
                         "installed with repro")


def claims_option(config: pytest.Config) -> Path | None:
    value = config.getoption("--repro-claims")
    if value is None:
        return None
    if value == "shipped":
        from repro.claim import CLAIMS_DIR
        return CLAIMS_DIR.resolve()
    return Path(value).resolve()


def mode(config: pytest.Config) -> str:
    """'full', 'quick' or 'replicate' (the default): what the claim items check."""
    if config.getoption("--repro-full"):
        return "full"
    return "quick" if config.getoption("--repro-quick") else "replicate"


def pytest_configure(config: pytest.Config) -> None:
    """--repro-claims DIR: collect DIR besides the paths given (not the rootdir's testpaths: only DIR)."""
    if config.getoption("--repro-full") and config.getoption("--repro-quick"):
        raise pytest.UsageError("--repro-full and --repro-quick exclude each other; give one (or neither: the "
                                "default replicates the recorded run's first seeds)")
    extra = claims_option(config)
    if extra is None:
        return
    if not extra.is_dir():
        raise pytest.UsageError(f"--repro-claims {config.getoption('--repro-claims')}: {extra} is not a directory; "
                                f"give a directory of claim files or 'shipped'")
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.append(str(extra))
    else:  # no paths given: only the claims, not the testpaths or the current directory
        config.args[:] = [str(extra)]


def is_claim_file(path: Path, config: pytest.Config) -> bool:
    if path.suffix != ".py" or path.name.startswith("_"):
        return False
    extra = claims_option(config)
    return path.parent.name == "claims" or (extra is not None and path.parent.resolve() == extra)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if is_claim_file(file_path, parent.config):
        return ClaimFile.from_parent(parent, path=file_path)
    return None


def cache_dir(config: pytest.Config) -> Path:
    out = config.getoption("--repro-out") or config.rootpath / "output"
    return config.getoption("--repro-cache") or Path(out) / "cache"


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
    """The primary test's statistics in one line, numbers formatted as in the report."""
    from repro.report.text import design_lines, num, test_view
    if not cr.tests:
        return "no statistics (the claim errored)"
    t = cr.tests[0]
    v = test_view(t)
    if t.kind == "threshold" and v["estimate_rel"]:  # the measured value, with its distance beyond tau
        v["estimate"] = f"{v['estimate']} ({v['estimate_rel']}; {v['effects'][0]})"
    return (f"{v['name']} [{v['kind']}]: estimate {v['estimate']}, {v['ci_label']} {v['ci']}, "
            f"p {v['p']}, Holm p {v['p_adjusted'] or 'n/a'}, {', '.join(design_lines(t))}, "
            f"stopped at {num(t.n_seeds)} seeds, diverged {num(t.n_diverged)}")


def recorded_line(rec) -> str:
    from repro.report.text import num
    return (f"recorded (protocol {rec.protocol}, {rec.date}): {rec.verdict}, estimate {num(rec.estimate)}, "
            f"CI [{num(rec.ci[0])}, {num(rec.ci[1])}], {rec.n_seeds} seeds")


def declared_claims(items) -> list:
    """Every loadable claim of the directories the selected claim items come from (the Holm family)."""
    from repro.claimfiles import load_claims_with_broken
    family: dict = {}
    for directory in dict.fromkeys(i.path.parent for i in items):
        for claim in load_claims_with_broken(directory)[0]:
            family.setdefault(claim.id, claim)
    for item in items:
        family.setdefault(item.claim.id, item.claim)
    return list(family.values())


def _run_all(session: pytest.Session) -> dict:
    """Train and test every collected claim item together, once per session: {"results": claim id ->
    ClaimResult, "holm": how the Holm family was formed}."""
    if RUN_KEY not in session.stash:
        from repro.protocol.cache import Cache
        from repro.protocol.runner import run
        items = [i for i in session.items if isinstance(i, ClaimItem)]
        config = session.config
        jobs = config.getoption("--repro-jobs") or os.cpu_count() or 1
        cache = Cache(cache_dir(config))
        with cache.lock(on_wait=lambda: print(f"\nrepro: waiting for another run using the cache {cache.root}",
                                                file=sys.__stderr__)):
            result = run([i.claim for i in items], quick=mode(config) != "full", jobs=jobs, cache=cache,
                         family=declared_claims(items))
            replicated = replicate(items, cache, jobs) if mode(config) == "replicate" else {}
        session.stash[RUN_KEY] = {"results": {cr.claim.id: cr for cr in result.claims},
                                  "holm": result.provenance["holm_family"]["note"],
                                  "figure_errors": figure_errors(result, cache.root / "figures"),
                                  "replication": replicated}
    return session.stash[RUN_KEY]


def replicate(items, cache, jobs: int) -> dict[str, list[str] | str]:
    """Claim id -> the replication's problems (a list), or why it cannot run here (a str: the item skips)."""
    from repro.protocol import replication
    from repro.protocol.progress import Progress
    from repro.protocol.training import LazyPool, Training
    out: dict = {}
    for directory in dict.fromkeys(i.path.parent for i in items):
        claims = [i.claim for i in items if i.path.parent == directory]
        try:
            content = replication.load(replication.replication_file(directory))
        except replication.ReplicationError as e:
            out.update({c.id: [str(e)] for c in claims})
            continue
        if (why := replication.kernels_differ(content, cache)) is not None:
            out.update({c.id: why for c in claims})
            continue
        pool = LazyPool(jobs)
        try:
            out.update(replication.replicate(claims, content, Training(cache, pool, Progress(enabled=False))))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def figure_errors(result, figure_cache: Path) -> dict[str, list[str]]:
    """Claim id -> the errors of its figures that cannot be drawn (drawn as the report draws them,
    into the report's figure cache): a figure that cannot be drawn fails its claim."""
    from repro.report import figures
    from repro.report.drawing import figure_errors as errors_of
    figures.reset_colors([list(cr.claim.conditions) for cr in result.claims])
    return {cr.claim.id: errors_of(cr, figure_cache) for cr in result.claims}


class ClaimItem(pytest.Item):
    def __init__(self, *, claim, **kwargs):
        super().__init__(**kwargs)
        self.claim = claim

    def runtest(self) -> None:
        from repro.claim import compare_recorded
        run = _run_all(self.session)
        cr, holm = run["results"][self.claim.id], run["holm"]
        self.user_properties.append(("holm_family", holm))
        if cr.verdict == "error":
            raise ClaimMismatch(f"claim {self.claim.id} errored:\n{cr.error}")
        figure_problems = run["figure_errors"].get(self.claim.id)
        if figure_problems:
            raise ClaimMismatch(f"claim {self.claim.id}: " + "\n  ".join(figure_problems))
        if mode(self.config) == "quick":
            return  # smoke profile: reaching a verdict is the check
        if mode(self.config) == "replicate":
            found = run["replication"].get(self.claim.id, [])
            if isinstance(found, str):
                pytest.skip(f"replication not checked: {found}")
            if found:
                raise ClaimMismatch(f"claim {self.claim.id} does not replicate the recorded run's first seeds:\n  "
                                    + "\n  ".join(found))
            return
        rec = self.claim.recorded
        if rec is None:
            raise ClaimMismatch(f"claim {self.claim.id} has no recorded result; run `repro all` and "
                                f"record what it found\n  found: {cr.verdict}, {primary_line(cr)}\n  {holm}")
        problems = compare_recorded(rec, cr)
        if problems:
            raise ClaimMismatch(f"claim {self.claim.id} does not reproduce its recorded result: "
                                f"{'; '.join(problems)}\n  {recorded_line(rec)}\n  found: {cr.verdict}, "
                                f"{primary_line(cr)}\n  {holm}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimMismatch):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"claim {self.claim.id} ({self.claim.title})"
