"""The command line: python -m repro all | list | run ID... | report | bench.

Usage errors (unknown claim id, bad --seeds/--jobs, unwritable --out, unreachable --scheduler,
missing cache entries for `report`) print one line saying what is wrong and what to do, exit 2
and write nothing: everything is validated before any directory is created. Exit 1 when a claim
errored or a claim file is broken (it is named in one line, the other claims still run), 0 otherwise
(verdicts are results, not failures).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

from .claim import CLAIMS_DIR, ROOT, Claim, ClaimError
from .claimfiles import BrokenClaim, load_claims_with_broken

COMMANDS = ("all", "list", "run", "report", "bench")
CONNECT_TIMEOUT_S = 5
# --seeds cap: a merged record keeps every seed's curves and probe samples in the parent (estimated ~100 KB
# per seed and condition for the probe-heavy claims), so 10 000 seeds is ~1 GB per condition and days
# of training; paired tests are decided long before (1e9 seeds tried to allocate ~40 GB up front).
MAX_SEEDS = 10_000


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise UsageError(f"{message} (see python -m repro --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="repro", description="Test the claims of the 2018 batch-norm discussion and write a report.")
    p.add_argument("command", choices=COMMANDS, help="all: run every claim; list: show the claims; run ID...: run "
                   "some claims; report: re-render from the cache (no training); bench: time the engine "
                   "(its options: python -m repro bench --help)")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (for run; see `python -m repro list`)")
    p.add_argument("--seeds", type=int, default=None, help="seeds per claim (default: each claim's own)")
    p.add_argument("--jobs", type=int, default=None, help="local worker processes (default: number of cores)")
    p.add_argument("--quick", action="store_true", help="smoke profile: 1/10 of the steps, at most 4 seeds; "
                   "verdicts are not confirmatory")
    p.add_argument("--out", type=Path, default=Path("output"), help="output directory (default: ./output)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="train on a Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--no-pdf", action="store_true", help="write report.html only")
    p.add_argument("--claims-dir", type=Path, default=CLAIMS_DIR, help=argparse.SUPPRESS)
    return p


def check_out_dir(out: Path) -> None:
    """--out must be (or be creatable as) a writable directory; checked without creating anything."""
    path = out.resolve()
    probe = path
    while not probe.exists():
        probe = probe.parent
    if probe == path and not path.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory; choose a directory path")
    if not probe.is_dir():
        raise UsageError(f"--out {out}: {probe} is not a directory; choose another output path")
    try:  # os.access is not enough (root, read-only mounts, /proc): try a file that deletes itself
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise UsageError(f"--out {out}: cannot write in {probe} ({e.strerror}); choose a directory you can "
                         f"write to") from None
    cache = path / "cache"
    if cache.exists() and not (cache.is_dir() and os.access(cache, os.W_OK | os.X_OK)):
        raise UsageError(f"--out {out}: {cache} is not a writable directory; remove it or choose another --out")


def select(claims: list[Claim], ids: Sequence[str], broken: Sequence[BrokenClaim] = ()) -> list[Claim]:
    known = {c.id: c for c in claims}
    unknown = [i for i in ids if i not in known]
    if unknown:
        also = f" (broken claim files, not loaded: {', '.join(b.name for b in broken)})" if broken else ""
        raise UsageError(f"unknown claim id {', '.join(map(repr, unknown))}; known ids: {', '.join(known)}{also}")
    return [known[i] for i in dict.fromkeys(ids)]


def connect(address: str):
    """A watched executor on the Dask scheduler (repro.cluster); UsageError when dask is missing or no
    scheduler answers at the address within CONNECT_TIMEOUT_S (the connect has a hard deadline)."""
    from .cluster import ClusterError, connect as cluster_connect
    try:
        return cluster_connect(address, timeout=CONNECT_TIMEOUT_S)
    except ClusterError as e:
        raise UsageError(str(e)) from None


def bench(argv: list[str]) -> int:
    """`repro bench ARGS`: the benchmark parses its own options (--steps, --repeat, ...)."""
    sys.path.insert(0, str(ROOT))
    try:
        from bench.bench_train import main as bench_main
    except ImportError as e:
        raise UsageError(f"the benchmark bench/bench_train.py is not available ({e}); run from a checkout "
                         f"that has bench/") from None
    return int(bench_main(argv) or 0)


def list_claims(claims: list[Claim], broken: Sequence[BrokenClaim] = ()) -> int:
    """The claims table; a broken file is a row saying where and why (exit 1 if there is one)."""
    width = max([len(c.id) for c in claims] + [len(b.name) for b in broken] + [2])
    print(f"{'id'.ljust(width)}  looks (seeds)  recorded      title")
    for c in claims:
        looks = "/".join(map(str, c.looks))
        recorded = c.recorded.verdict if c.recorded else "(none)"
        print(f"{c.id.ljust(width)}  {looks:<13}  {recorded:<12}  {c.title}")
    for b in broken:
        print(f"{b.name.ljust(width)}  {'-':<13}  {'BROKEN':<12}  {b}")
    return 1 if broken else 0


def execute(args: argparse.Namespace) -> int:
    """Validate everything, then run (or re-render) and write the report."""
    if args.seeds is not None and not 2 <= args.seeds <= MAX_SEEDS:
        raise UsageError(f"--seeds {args.seeds}: must be an integer from 2 (paired tests need at least 2 seeds) "
                         f"to {MAX_SEEDS} (memory and run time grow with every seed)")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: must be a positive integer (default: {os.cpu_count()} cores)")
    if args.command in ("all", "list") and args.ids:
        raise UsageError(f"`{args.command}` takes no claim ids; use `python -m repro run {' '.join(args.ids)}`")
    if args.command == "run" and not args.ids:
        raise UsageError("`run` needs at least one claim id; see `python -m repro list`")
    try:
        claims, broken = load_claims_with_broken(args.claims_dir)
    except ClaimError as e:
        raise UsageError(str(e)) from None
    if args.command == "list":
        return list_claims(claims, broken)
    if args.ids:
        claims = select(claims, args.ids, broken)
    for b in broken:
        print(f"repro: warning: broken claim file {b}; running the other claims", file=sys.stderr)
    if not claims:
        print("repro: error: no claim could be loaded; fix the claim files above", file=sys.stderr)
        return 1
    check_out_dir(args.out)
    from .cache import Cache
    from .progress import Progress, summary_table
    from .publish import OutputError, publish
    from .report import write_report
    from .cluster import ClusterError
    from .runner import MissingCacheError, run

    cache = Cache(args.out / "cache")
    executor = None
    if args.command == "report":
        if not cache.root.is_dir():
            raise UsageError(f"no cache in {cache.root}; run `python -m repro all` (with the same --out, --seeds "
                             f"and --quick) first")
    elif args.scheduler:
        executor = connect(args.scheduler)
    def waiting() -> None:
        print(f"repro: waiting for another run using the cache {cache.root} to finish (then reusing its results)",
              file=sys.stderr, flush=True)

    with cache.lock(on_wait=waiting):  # one run per cache: a second run reuses the first's work
        try:
            result = run(claims, seeds=args.seeds, quick=args.quick, jobs=args.jobs, executor=executor, cache=cache,
                         progress=Progress(), cache_only=args.command == "report", scheduler=args.scheduler)
        except MissingCacheError as e:
            raise UsageError(f"{e}; run `python -m repro all` with the same --seeds/--quick first") from None
        except ClusterError as e:  # lost mid-run: not a usage error, and no report from a partial run
            print(f"repro: error: {e}", file=sys.stderr)
            return 1
        except OSError as e:  # e.g. a full disk while caching a record
            print(f"repro: error: could not write the cache in {cache.root} ({e.strerror or e}: {e.filename}); "
                  f"finished experiments are cached, free space and rerun to resume", file=sys.stderr)
            return 1
        finally:
            if executor is not None:
                executor.shutdown()
        if broken:  # shown in the report's provenance and results.json: the run is not the full set
            result.provenance["broken_claim_files"] = [str(b) for b in broken]
        try:  # staged, then moved into place as one set (repro.publish)
            paths = publish(args.out, lambda staging: write_report(result, staging, pdf=not args.no_pdf,
                                                                     figure_cache=cache.root / "figures"))
        except OutputError as e:
            print(f"repro: error: {e}", file=sys.stderr)
            return 1
    print(summary_table(result))
    for cr in result.claims:
        if cr.verdict == "error":
            last = (cr.error or "").strip().splitlines()[-1:] or ["?"]
            print(f"error in {cr.claim.id}: {last[0]} (full traceback in the report)", file=sys.stderr)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 1 if broken or any(cr.verdict == "error" for cr in result.claims) else 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m repro` and the `repro` console script; returns the exit code."""
    warnings.formatwarning = _one_line_warning
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        if argv[:1] == ["bench"]:
            return bench(argv[1:])
        return execute(build_parser().parse_args(argv))
    except UsageError as e:
        print(f"repro: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("repro: interrupted; finished experiments are cached, rerun to resume", file=sys.stderr)
        return 130
