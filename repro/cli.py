"""The command line: repro all | list | run ID... | report [ID...] | bench, each with its own options
and --help, and `repro --version`.

Usage errors (unknown claim id, an option the command does not take, bad --seeds/--jobs, unwritable
--out or --cache, unreachable --scheduler, missing cache entries for `report`) print one line saying
what is wrong and what to do, exit 2 and write nothing: everything is validated before any directory
is created. Exit 1 when a claim errored or a claim file is broken (it is named in one line, the other
claims still run), 0 otherwise (verdicts are results, not failures).

The full report (report.html/.pdf, results.json/.csv, per_seed.csv) lives in --out and is only
written by a run over every declared claim. A subset run (`run ID...`, `report ID...`) writes its own
report to --out/subset/<ids>/ and never touches the full one; its Holm family is still every declared
claim, the others' primary results taken from the cache (the output says how the family was formed).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

from .claim import CLAIMS_DIR, Claim, ClaimError
from .claimfiles import BrokenClaim, load_claims_with_broken
from .protocol.lock import LockTimeout
from .protocol.settings import THOROUGH

COMMANDS = ("all", "list", "run", "report", "register", "record", "docs", "verify", "new", "bench")
OWN_PARSERS = ("new", "bench")   # commands that parse their own options (repro.scaffold, repro.benchmark)
CONNECT_TIMEOUT_S = 5
# --seeds cap: a merged record keeps every seed's curves and probes in the parent (~100 KB per seed and condition),
# so 10 000 seeds is ~1 GB per condition and days of training (1e9 seeds tried to allocate ~40 GB up front).
MAX_SEEDS = 10_000
SUBSET_DIR = "subset"   # --out/subset/<ids>/: a subset run's report, never the full one


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise UsageError(f"{message} (see {self.prog} --help)")


def version() -> str:
    try:
        return importlib.metadata.version("repro")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _add_claims_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--claims-dir", type=Path, default=CLAIMS_DIR, metavar="DIR",
                   help="a directory of claim files to run instead of the shipped claims (see `repro new` and "
                   "docs/writing-a-claim.md)")


def _add_profile(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, default=None, help="seeds per claim (default: each claim's own)")
    p.add_argument("--quick", action="store_true", help="smoke profile: 1/10 of the steps, at most 4 seeds; "
                   "verdicts are not confirmatory")
    p.add_argument("--profile", choices=("default", "thorough"), default="default",
                   help="thorough: also run each claim's primary test in every setting of the robustness matrix "
                   "(other data, widths; hours on 2 cores, meant for a cluster)")
    p.add_argument("--settings", default=None, metavar="NAMES",
                   help="with --profile thorough: only these settings, comma-separated (default: all of "
                   f"{', '.join(s.name for s in THOROUGH)})")


def _add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("output"), help="output directory (default: ./output)")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="cache of trained experiments (default: OUT/cache)")
    p.add_argument("--no-pdf", action="store_true", help="write report.html only")
    p.add_argument("--lock-timeout", type=float, default=None, metavar="SECONDS",
                   help="wait at most this long for another run that holds the cache, then exit 2 (default: wait)")


def _add_workers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, default=None, help="local worker processes (default: number of cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="train on a Dask cluster, e.g. tcp://host:8786")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="repro", description="Test the claims of the 2018 batch-norm discussion and write a report.")
    p.add_argument("--version", action="version", version=f"repro {version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    full = sub.add_parser("all", help="run every claim and write the full report to OUT",
                          description="Run every claim and write the full report (report.html, report.pdf, "
                          "results.json, results.csv, per_seed.csv) to OUT.")
    listing = sub.add_parser("list", help="show the claims", description="Show the declared claims.")
    some = sub.add_parser("run", help="run some claims; their report goes to OUT/subset/<ids>/",
                          description="Run some claims. Their report goes to OUT/subset/<ids>/, never over the "
                          "full report; Holm still adjusts over every declared claim (the others from the cache).")
    some.add_argument("ids", nargs="*", metavar="ID", help="claim ids (see `repro list`)")
    report = sub.add_parser("report", help="re-render the report from the cache (no training)",
                            description="Re-render the report from the cache, training nothing. With claim ids, "
                            "a subset report in OUT/subset/<ids>/.")
    report.add_argument("ids", nargs="*", metavar="ID", help="only these claims (default: every claim)")
    register = sub.add_parser("register", help="register the claims' declarations before a confirmatory run",
                              description="Write DIR/registration.json: a hash of every declaration that decides "
                              "a verdict (hypothesis, parts, tests, margins, conditions, looks, the protocol's "
                              "rules), with the date and the git commit. Commit it before the confirmatory run; "
                              "every run compares the claim files with it.")
    register.add_argument("--force", action="store_true",
                          help="replace an existing registration (a new protocol version: say so in the history)")
    register.add_argument("--amend", nargs="+", metavar="ID", default=None,
                          help="register only these claims anew, before their own confirmatory run; the others "
                          "keep their registration (needs --reason)")
    register.add_argument("--reason", default="", help="why the amended claims are declared anew (kept in the file)")
    record = sub.add_parser("record", help="write the cached confirmatory run's results into the claim files",
                            description="Replay the full run from the cache (nothing is trained) and rewrite each "
                            "claim file's recorded=Recorded(...) with its verdict and every part's estimate, "
                            "interval and seeds; the claims' pytest items then check that a run reproduces them.")
    docs = sub.add_parser("docs", help="redraw docs/forest.png and the README's verdict table from the recorded run",
                          description="Replay the full run from the cache, check that it reproduces what the claim "
                          "files record, then write docs/forest.png, docs/figures.json and the README's verdict "
                          "table (a checkout only).")
    sub.add_parser("new", add_help=False, help="write a claim file skeleton that runs as it is "
                   "(repro new ID [--dir DIR]; its options: repro new --help)")
    from .protocol import verify as verify_cmd
    verify_cmd.add_arguments(sub.add_parser(
        "verify", help="re-train a sample of the cache and compare it bit for bit",
        description="Re-train a declared, seeded sample of the cached experiments (or --all, or those behind "
        "the given claims) and compare them bit for bit with the cache; names every entry that differs and "
        "records the check in the cache (the report's provenance shows it). Exit 1 if any entry differs."))
    sub.add_parser("bench", add_help=False, help="time the engine (its options: repro bench --help)")
    for cmd in (full, some, report, record, docs):
        _add_profile(cmd)
        _add_output(cmd)
    for cmd in (full, some):
        _add_workers(cmd)
    for cmd in (full, listing, some, report, register, record, docs):
        _add_claims_dir(cmd)
    return p


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parsed arguments; an option the command does not take is a usage error naming the command."""
    args, extra = build_parser().parse_known_args(list(argv))
    if extra:
        raise UsageError(f"`{args.command}` does not take {' '.join(extra)} (see repro {args.command} --help)")
    return args


def check_writable_dir(option: str, path: Path) -> None:
    """`path` must be (or be creatable as) a writable directory; checked without creating anything."""
    path = Path(path).resolve()
    probe = path
    while not probe.exists():
        probe = probe.parent
    if probe == path and not path.is_dir():
        raise UsageError(f"{option} {path} exists and is not a directory; choose a directory path")
    if not probe.is_dir():
        raise UsageError(f"{option} {path}: {probe} is not a directory; choose another path")
    if probe == path and not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path} is not a writable directory; choose a directory you can write to")
    try:  # os.access is not enough (root, read-only mounts, /proc): try a file that deletes itself
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot write in {probe} ({e.strerror}); choose a directory you can "
                         f"write to") from None


def check_out_dir(out: Path, cache: Path | None = None) -> None:
    """--out and the cache (default OUT/cache) must be writable directories, or creatable as ones."""
    check_writable_dir("--out", out)
    check_writable_dir("--cache", Path(out) / "cache" if cache is None else cache)


def subset_dir(out: Path, ids: Sequence[str]) -> Path:
    """Where a subset run's report goes: OUT/subset/<id>+<id>... (a short hash when the name is long)."""
    name = "+".join(ids)
    if len(name) > 100 or not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
        name = f"{len(ids)}-claims-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return Path(out) / SUBSET_DIR / name


def select(claims: list[Claim], ids: Sequence[str], broken: Sequence[BrokenClaim] = ()) -> list[Claim]:
    known = {c.id: c for c in claims}
    unknown = [i for i in ids if i not in known]
    if unknown:
        also = f" (broken claim files, not loaded: {', '.join(b.name for b in broken)})" if broken else ""
        raise UsageError(f"unknown claim id {', '.join(map(repr, unknown))}; known ids: {', '.join(known)}{also}")
    return [known[i] for i in dict.fromkeys(ids)]


def connect(address: str):
    """A watched executor on the Dask scheduler (repro.protocol.cluster); UsageError when dask is missing or no
    scheduler answers at the address within CONNECT_TIMEOUT_S (the connect has a hard deadline)."""
    from .protocol.cluster import ClusterError, connect as cluster_connect
    try:
        return cluster_connect(address, timeout=CONNECT_TIMEOUT_S)
    except ClusterError as e:
        raise UsageError(str(e)) from None


def own_parser(command: str, argv: list[str]) -> int:
    """`repro new ARGS` (repro.scaffold) and `repro bench ARGS` (repro.benchmark) parse their own options."""
    if command == "new":
        from .scaffold import main as command_main
    else:
        from .benchmark import main as command_main
    return int(command_main(argv) or 0)


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


def report_dir(args: argparse.Namespace, claims: Sequence[Claim], selected: Sequence[Claim]) -> Path:
    """OUT for a run over every declared claim, OUT/subset/<ids>/ for a subset."""
    if {c.id for c in selected} == {c.id for c in claims}:
        return args.out
    return subset_dir(args.out, [c.id for c in selected])


def execute(args: argparse.Namespace) -> int:
    """Validate everything, then run (or re-render) and write the report."""
    if args.command == "list":
        claims, broken = load(args.claims_dir)
        return list_claims(claims, broken)
    if args.command == "register":
        return register(args)
    if args.command == "verify":
        from .protocol import verify as verify_cmd
        require_text_paths(args)
        keys = None
        if args.ids:
            from .protocol.cache import Cache
            from .protocol.runner import MissingCacheError, entries_of
            declared, broken = load(args.claims_dir)
            cache = Cache(args.out / "cache" if args.cache is None else args.cache)
            try:
                keys = entries_of(select(declared, args.ids, broken), cache, seeds=args.seeds, quick=args.quick)
            except MissingCacheError as e:
                raise UsageError(f"{e}; verify the claims with the --quick/--seeds of the run that cached them") from None
        try:
            return verify_cmd.main(args, keys)
        except verify_cmd.VerifyUsageError as e:
            raise UsageError(str(e)) from None
    if args.lock_timeout is not None and not args.lock_timeout >= 0:
        raise UsageError(f"--lock-timeout {args.lock_timeout:g}: must be a number of seconds >= 0")
    if args.seeds is not None and not 2 <= args.seeds <= MAX_SEEDS:
        raise UsageError(f"--seeds {args.seeds}: must be an integer from 2 (paired tests need at least 2 seeds) "
                         f"to {MAX_SEEDS} (memory and run time grow with every seed)")
    args.setting_list = thorough_settings(args.profile, args.settings)
    jobs = getattr(args, "jobs", None)
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs {jobs}: must be a positive integer (default: {os.cpu_count()} cores)")
    ids = getattr(args, "ids", [])
    if args.command == "run" and not ids:
        raise UsageError("`run` needs at least one claim id; see `repro list`")
    declared, broken = load(args.claims_dir)
    claims = select(declared, ids, broken) if ids else declared
    for b in broken:
        print(f"repro: warning: broken claim file {b}; running the other claims", file=sys.stderr)
    if not claims:
        print("repro: error: no claim could be loaded; fix the claim files above", file=sys.stderr)
        return 1
    out = report_dir(args, declared, claims)
    cache_root = args.out / "cache" if args.cache is None else args.cache
    require_text_paths(args)
    check_out_dir(args.out, cache_root)
    from .protocol.cache import Cache
    cache = Cache(cache_root)
    executor = None
    if args.command in ("report", "record", "docs"):
        if not cache.root.is_dir():
            raise UsageError(f"no cache in {cache.root}; run `repro all` (with the same --cache, --seeds and "
                             f"--quick) first, or pass --cache DIR")
    elif args.scheduler:
        executor = connect(args.scheduler)
        if (kernels := executor.kernels()) is not None:  # the cluster's kernels name the records it makes
            cache = Cache(cache_root, kernels=kernels)
    if args.command == "record":
        return record_results(args, declared, broken, cache)
    if args.command == "docs":
        return write_docs(args, declared, broken, cache)
    return run_and_report(args, claims, declared, broken, cache, executor, out)


def record_results(args, declared, broken, cache) -> int:
    """`repro record`: the full run replayed from the cache, its results written into the claim files."""
    from .protocol.recording import RecordingError, recorded_source, rewrite
    result = replay_confirmatory(args, declared, broken, cache)
    errors = [cr.claim.id for cr in result.claims if cr.verdict == "error"]
    if errors:
        raise UsageError(f"claims in error, nothing recorded: {', '.join(errors)}; see `repro report`")
    changed = [c for c, e in result.registration["claims"].items() if e["status"] != "unchanged"]
    if changed:
        raise UsageError(f"declarations differ from the registration for {', '.join(changed)}: a result of "
                         f"changed declarations is not confirmatory; nothing recorded")
    from .protocol import replication
    try:
        for cr in result.claims:
            path = claim_path(Path(args.claims_dir), cr.claim)
            if rewrite(path, recorded_source(cr)):
                print(f"recorded {cr.claim.id}: {cr.verdict} in {path}")
        content = replication.block(result.claims, cache.kernels)
    except (RecordingError, replication.ReplicationError) as e:
        raise UsageError(str(e)) from None
    target = replication.replication_file(Path(args.claims_dir))
    if replication.write(target, content):
        print(f"recorded the first seeds' digests of every condition in {target}")
    return 0


def replay_confirmatory(args, declared, broken, cache):
    """The full default run replayed from the cache (nothing trained), for `record` and `docs`."""
    from .protocol.runner import MissingCacheError, run
    if broken or args.quick or args.seeds is not None or args.setting_list:
        raise UsageError(f"`{args.command}` needs every claim file loading and the default profile (no --quick, "
                         "--seeds or --profile thorough): it works on the confirmatory run")
    try:
        return run(declared, cache=cache, cache_only=True, family=declared,
                   registration_file=Path(args.claims_dir) / "registration.json")
    except MissingCacheError as e:
        raise UsageError(f"{e}; run `repro all` with the same --cache first") from None


def write_docs(args, declared, broken, cache) -> int:
    """`repro docs`: docs/forest.png and the README's verdict table, from a run that reproduces the records."""
    from . import docsync
    from .claim import compare_recorded
    if not docsync.README.is_file():
        raise UsageError(f"`docs` writes the checkout's README.md and docs/; no README at {docsync.README}")
    result = replay_confirmatory(args, declared, broken, cache)
    stale = [f"{cr.claim.id}: {'; '.join(p)}" for cr in result.claims
             if cr.claim.recorded is None or (p := compare_recorded(cr.claim.recorded, cr) or [])]
    missing = [cr.claim.id for cr in result.claims if cr.claim.recorded is None]
    if missing or stale:
        raise UsageError("the cached run does not reproduce the recorded results (run `repro record` first): "
                         + "; ".join(missing + stale))
    paths = docsync.write_images(result, declared)
    changed = docsync.sync_readme(declared)
    print("wrote " + ", ".join(map(str, paths)) + (f", {docsync.README}" if changed else ""))
    return 0


def claim_path(directory: Path, claim: Claim) -> Path:
    """The file in `directory` that declares `claim` (its text is the claim's source)."""
    for path in sorted(directory.glob("*.py")):
        if path.read_text() == claim.source:
            return path
    raise UsageError(f"no file in {directory} holds claim {claim.id}")


def register(args: argparse.Namespace) -> int:
    """`repro register`: write the claims' registration (refusing to replace one without --force), or
    with --amend register some claims anew."""
    from .protocol import registration
    claims, broken = load(args.claims_dir)
    if broken:
        raise UsageError(f"cannot register with broken claim files ({', '.join(b.name for b in broken)}); fix them first")
    check_writable_dir("--claims-dir", Path(args.claims_dir))
    try:
        print(registration.register(claims, Path(args.claims_dir), force=args.force, amend=args.amend,
                                    reason=args.reason))
    except registration.RegistrationError as e:
        raise UsageError(str(e)) from None
    return 0


def thorough_settings(profile: str, names: str | None) -> tuple:
    """The settings --profile/--settings ask for (none in the default profile)."""
    if profile != "thorough":
        if names is not None:
            raise UsageError(f"--settings {names}: only with --profile thorough")
        return ()
    if names is None:
        return THOROUGH
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    known = {s.name: s for s in THOROUGH}
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        raise UsageError(f"--settings {names}: unknown setting(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(known)}")
    return tuple(known[n] for n in dict.fromkeys(chosen))


def load(directory: Path) -> tuple[list[Claim], list[BrokenClaim]]:
    try:
        return load_claims_with_broken(directory)
    except ClaimError as e:
        raise UsageError(str(e)) from None


def run_and_report(args, claims, declared, broken, cache, executor, out: Path) -> int:
    """Train (or read the cache), then write the report set into `out` as one set."""
    from .protocol.cluster import ClusterError
    from .protocol.progress import Progress, summary_table
    from .report.publish import OutputError, publish
    from .report.render import write_report
    from .protocol.runner import MissingCacheError, run

    from .protocol.lock import waiting_message

    def waiting(holder=None) -> None:
        print(f"repro: {waiting_message(cache.root, holder, args.lock_timeout)}", file=sys.stderr, flush=True)

    with cache.lock(on_wait=waiting, timeout=args.lock_timeout):  # one run per cache; the 2nd reuses its work
        try:
            result = run(claims, seeds=args.seeds, quick=args.quick, jobs=getattr(args, "jobs", None),
                         executor=executor, cache=cache, progress=Progress(), cache_only=args.command == "report",
                         scheduler=getattr(args, "scheduler", None), family=declared, settings=args.setting_list,
                         registration_file=Path(args.claims_dir) / "registration.json")
        except MissingCacheError as e:
            raise UsageError(f"{e}; run `repro all` with the same --cache/--seeds/--quick/--profile first") from None
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
        from .report.drawing import mark_figure_errors
        mark_figure_errors(result, cache.root / "figures")  # a figure that cannot be drawn is an error of its claim
        try:  # staged, then moved into place as one set (repro.report.publish)
            paths = publish(out, lambda staging: write_report(result, staging, pdf=not args.no_pdf,
                                                                figure_cache=cache.root / "figures"))
        except OutputError as e:
            print(f"repro: error: {e}", file=sys.stderr)
            return 1
    print(summary_table(result))
    print(result.provenance["holm_family"]["note"])
    print(result.design.get("note", ""))
    from .protocol.registration import problems as registration_problems
    for line in registration_problems(result.registration):
        print(f"repro: warning: {line} (its verdict is exploratory; see the report)", file=sys.stderr)
    for cr in result.claims:
        if cr.verdict == "error":
            lines = (cr.error or "").strip().splitlines() or ["?"]
            for line in [x for x in lines if "cannot be drawn" in x] or lines[-1:]:
                print(f"error in {cr.claim.id}: {line} (details in the report)", file=sys.stderr)
    if out != args.out:
        print(f"subset of {len(claims)} of {len(declared)} claims: the full report in {args.out} is unchanged")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 1 if broken or any(cr.verdict == "error" for cr in result.claims) else 0


def require_text_paths(args: argparse.Namespace) -> None:
    """--out and --cache must be UTF-8 (the report writes them into UTF-8 files): else a usage error now."""
    from .protocol.paths import PathNotText, require_utf8
    try:
        require_utf8(args.out, "--out")
        if args.cache is not None:
            require_utf8(args.cache, "--cache")
    except PathNotText as e:
        raise UsageError(str(e)) from None


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m repro` and the `repro` console script; returns the exit code."""
    warnings.formatwarning = _one_line_warning
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        if argv[:1] and argv[0] in OWN_PARSERS:
            return own_parser(argv[0], argv[1:])
        return execute(parse(argv))
    except SystemExit as e:  # --help and --version print and exit 0
        return e.code if isinstance(e.code, int) else 0
    except (UsageError, LockTimeout) as e:  # a user mistake, or another run kept the cache past --lock-timeout
        print(f"repro: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `repro list | head`: the reader left, nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        from .protocol.workers import exit_on_next_interrupt
        exit_on_next_interrupt()  # a second Ctrl-C now exits at once
        print("repro: interrupted: rerun the same command to resume (finished experiments are cached)",
              file=sys.stderr)
        return 130
