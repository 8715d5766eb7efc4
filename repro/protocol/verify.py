"""`repro verify`: check the cache by recomputation.

What the checksums give, and what only recomputation gives:
- Each entry's json holds the sha256 of its arrays and a digest of each seed's rows
  (repro.protocol.cache, repro.protocol.integrity). They protect against accidents: a torn or
  half-written file, bit rot, a truncated copy, rows swapped or cut. They use no secret, so they
  do not protect against anyone who can write the cache: such a writer can change a number and
  recompute every digest (e.g. through Cache.put), and the entry then loads as valid.
- Recomputation does: training is deterministic (same code, same kernels: bit-identical numbers),
  so an entry re-trained from its spec and seeds must equal the cached one bit for bit. Whoever
  changed a number cannot also change what the code computes. This module re-trains a declared,
  seeded sample of the entries (or all of them, or those behind given claims), compares every array
  exactly, names every entry that differs, and records the verification in <cache>/.verified.json
  (date, kernels, entries checked, entries differing) for the report's provenance
  (`last_verification`, `describe`). A sample of a fraction f catches one forged entry with
  probability about f per verification; --all makes it certain.

Only entries of this process's kernel set are checked (another set's numbers cannot be recomputed
here); entries that do not load (damaged) are named too.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime
import json
import math
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .cache import Cache, atomic_write
from .training import CHUNK_SEEDS, chunks, merge, train_chunk
from .workers import Pool, stop_on_interrupt
from ..claim import CLAIMS_DIR
from ..engine.record import Record
from ..engine.spec import ExperimentSpec

VERIFIED_FILE = ".verified.json"
DEFAULT_SAMPLE = 0.10
HISTORY = 20  # verifications kept in the file


@dataclass
class Outcome:
    """The result of one verification."""

    checked: list[str] = field(default_factory=list)            # keys re-trained and compared
    differing: dict[str, str] = field(default_factory=dict)     # key -> what differs (or why it did not load)
    skipped: dict[str, str] = field(default_factory=dict)       # key -> why it was not checked
    total: int = 0                                              # entries of this kernel set in the cache

    @property
    def ok(self) -> bool:
        return not self.differing


def entry_keys(cache: Cache) -> list[str]:
    """Every complete entry (json present) in the cache's namespace for its kernel set, sorted."""
    d = cache.directory()
    return sorted(p.stem for p in d.glob("*.json") if not p.name.startswith(".")) if d.is_dir() else []


def sample(keys: Sequence[str], fraction: float, seed: int) -> list[str]:
    """A seeded random sample of ceil(fraction * n) keys (at least 1 when there are any), sorted."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r}: must be in (0, 1]")
    keys = sorted(keys)
    n = min(len(keys), max(1, math.ceil(fraction * len(keys)))) if keys else 0
    return sorted(random.Random(seed).sample(keys, n))


def compare(cached: Record, fresh: Record) -> str | None:
    """None if the two records are bit-identical (names, dtypes, shapes, bytes), else what differs first."""
    for kind, a, b in (("value", cached.values, fresh.values), ("axis", cached.axes, fresh.axes)):
        if set(a) != set(b):
            return f"{kind} names differ: {sorted(set(a) ^ set(b))}"
        for name in sorted(a):
            x, y = np.asarray(a[name]), np.asarray(b[name])
            if x.dtype != y.dtype or x.shape != y.shape:
                return f"{kind} {name!r}: {x.dtype}{x.shape} cached, {y.dtype}{y.shape} recomputed"
            if x.tobytes() != y.tobytes():
                if kind == "value" and x.ndim >= 1 and len(x) == len(cached.seeds):
                    rows = [cached.seeds[i] for i in range(len(x)) if x[i].tobytes() != y[i].tobytes()]
                    return f"value {name!r} differs for seed(s) {rows}"
                return f"{kind} {name!r} differs"
    return None


def _load(cache: Cache, key: str) -> tuple[ExperimentSpec, tuple[int, ...], str | None] | str:
    """(spec, seeds, kernels) of an entry from its json, or why it cannot be read."""
    try:
        meta = json.loads(cache.paths(key)[1].read_text())
        return ExperimentSpec.from_dict(meta["spec"]), tuple(int(s) for s in meta["seeds"]), meta.get("kernels")
    except Exception as e:  # noqa: BLE001 - a damaged json is a finding, not a crash
        return f"unreadable entry ({type(e).__name__}: {e})"


def verify(cache: Cache, keys: Sequence[str], *, executor: cf.Executor | None = None,
           chunk_seeds: int = CHUNK_SEEDS, log=lambda _msg: None) -> Outcome:
    """Re-train the entries `keys` of `cache` and compare each with the cache bit for bit."""
    out = Outcome(total=len(entry_keys(cache)))
    executor = executor or Pool(1)
    jobs: dict[str, tuple[Record, list[cf.Future]]] = {}
    try:
        for key in keys:
            loaded = _load(cache, key)
            if isinstance(loaded, str):
                out.differing[key] = loaded
                continue
            spec, seeds, kernels = loaded
            if kernels is not None and kernels != cache.kernels:
                out.skipped[key] = f"made with the kernels {kernels!r}, this process has {cache.kernels!r}"
                continue
            cached = cache.get(spec, seeds)
            if cached is None:
                out.differing[key] = "damaged: does not load (see the warning above)"
                continue
            jobs[key] = (cached, [executor.submit(train_chunk, spec, part) for part in chunks(seeds, chunk_seeds)])
        for i, (key, (cached, futures)) in enumerate(jobs.items(), 1):
            parts = [f.result() for f in futures]
            fresh = merge(parts) if len(parts) > 1 else parts[0]
            out.checked.append(key)
            diff = compare(cached, fresh)
            if diff is not None:
                out.differing[key] = diff
            log(f"[{i}/{len(jobs)}] {key}: {'DIFFERS: ' + diff if diff else 'identical'}")
    except KeyboardInterrupt:
        stop_on_interrupt(executor)
        raise
    return out


def record(cache: Cache, outcome: Outcome, *, selection: str, seed: int | None) -> dict:
    """Add this verification to <cache>/.verified.json (the latest first); returns the entry written."""
    entry = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "kernels": cache.kernels, "selection": selection, "sample_seed": seed,
             "entries_in_cache": outcome.total, "entries_checked": len(outcome.checked),
             "entries_differing": len(outcome.differing), "differing": dict(sorted(outcome.differing.items())),
             "skipped": len(outcome.skipped)}
    history = [entry] + (read_history(cache.root))[:HISTORY - 1]
    atomic_write(cache.root / VERIFIED_FILE, json.dumps({"verifications": history}, indent=1) + "\n")
    return entry


def read_history(cache_root: str | os.PathLike) -> list[dict]:
    try:
        data = json.loads((Path(cache_root) / VERIFIED_FILE).read_text())
        return [v for v in data.get("verifications", []) if isinstance(v, dict)]
    except (OSError, ValueError, AttributeError):
        return []


def last_verification(cache_root: str | os.PathLike) -> dict | None:
    """The latest verification recorded in the cache (see `record`), or None if it was never verified."""
    history = read_history(cache_root)
    return history[0] if history else None


def describe(verification: dict | None) -> str:
    """One line for the report's provenance, e.g. "2026-12-02T23:40:00+00:00: 5 of 48 entries re-trained
    (sample 10%, seed 7), 0 differed"."""
    if verification is None:
        return "never verified by recomputation (repro verify)"
    v = verification
    return (f"{v.get('date')}: {v.get('entries_checked')} of {v.get('entries_in_cache')} entries re-trained "
            f"({v.get('selection')}), {v.get('entries_differing')} differed")


# --- the command line (wired into repro.cli by `verify` subcommand) ---

def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `repro verify`."""
    which = p.add_mutually_exclusive_group()
    which.add_argument("--sample", type=float, default=None, metavar="FRACTION",
                       help=f"re-train a random FRACTION of the entries (default {DEFAULT_SAMPLE:g}, at least one)")
    which.add_argument("--all", action="store_true", help="re-train every entry")
    p.add_argument("--sample-seed", type=int, default=None, metavar="N",
                   help="seed of the sample (default: a fresh one, printed and recorded)")
    p.add_argument("ids", nargs="*", metavar="ID", help="only the entries behind these claims (with the same "
                   "--quick/--seeds as the run that made them)")
    p.add_argument("--quick", action="store_true", help="with claim ids: the claims' quick-profile entries")
    p.add_argument("--seeds", type=int, default=None, help="with claim ids: the entries of a --seeds run")
    p.add_argument("--out", type=Path, default=Path("output"), help="output directory whose cache to verify "
                   "(default: ./output)")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR", help="the cache (default: OUT/cache)")
    p.add_argument("--jobs", type=int, default=None, help="local worker processes (default: number of cores)")
    p.add_argument("--claims-dir", type=Path, default=CLAIMS_DIR, help=argparse.SUPPRESS)
    p.add_argument("--lock-timeout", type=float, default=None, metavar="SECONDS",
                   help="wait at most this long for a run that holds the cache")


class VerifyUsageError(ValueError):
    """A mistake on `repro verify`'s command line (repro.cli prints it as a usage error)."""


def _usage(message: str) -> Exception:
    return VerifyUsageError(message)


def selected_keys(args: argparse.Namespace, cache: Cache, claim_keys: Sequence[str] | None = None
                  ) -> tuple[list[str], str, int | None]:
    """(keys to verify, how they were chosen, sample seed) from the command line; `claim_keys`: the
    entries behind the claims named by args.ids (repro.cli replays them: repro.protocol.runner.entries_of)."""
    if args.ids:
        keys = sorted(claim_keys or [])
        scope = f"the entries of {', '.join(args.ids)}"
    else:
        keys, scope = entry_keys(cache), "the cache"
    if args.all:
        return keys, f"all of {scope}", None
    fraction = DEFAULT_SAMPLE if args.sample is None else args.sample
    if not 0 < fraction <= 1:
        raise _usage(f"--sample {fraction:g}: must be a fraction in (0, 1], e.g. 0.1 (or use --all)")
    seed = args.sample_seed if args.sample_seed is not None else random.SystemRandom().randrange(2**31)
    return sample(keys, fraction, seed), f"sample {fraction:.0%} of {scope}, seed {seed}", seed


def main(args: argparse.Namespace, claim_keys: Sequence[str] | None = None) -> int:
    """`repro verify`: 0 if every checked entry is identical when re-trained, 1 if any differs; a usage
    mistake raises VerifyUsageError. `claim_keys`: the entries behind the claims named by args.ids."""
    jobs = args.jobs or os.cpu_count() or 1
    if jobs < 1:
        raise _usage(f"--jobs {args.jobs}: must be a positive integer")
    if args.lock_timeout is not None and args.lock_timeout < 0:
        raise _usage(f"--lock-timeout {args.lock_timeout:g}: must be a number of seconds >= 0")
    cache = Cache(args.out / "cache" if args.cache is None else args.cache)
    if not cache.root.is_dir():
        raise _usage(f"no cache in {cache.root}; pass --cache DIR or --out OUT of a run")
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    from .lock import LockTimeout, waiting_message
    try:
        with cache.lock(on_wait=lambda h: say("repro: " + waiting_message(cache.root, h, args.lock_timeout)),
                        timeout=args.lock_timeout, command="repro verify"):
            keys, selection, seed = selected_keys(args, cache, claim_keys)
            say(f"repro verify: re-training {len(keys)} entr{'y' if len(keys) == 1 else 'ies'} ({selection}) "
                f"of {cache.directory()}, kernels {cache.kernels or 'unknown'}")
            pool = Pool(jobs)
            try:
                outcome = verify(cache, keys, executor=pool, log=say)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            entry = record(cache, outcome, selection=selection, seed=seed)
    except LockTimeout as e:
        raise _usage(str(e)) from None
    for key, why in sorted(outcome.differing.items()):
        print(f"DIFFERS {key}: {why}")
    for key, why in sorted(outcome.skipped.items()):
        print(f"skipped {key}: {why}")
    print(f"verified {entry['entries_checked']} of {entry['entries_in_cache']} entries ({selection}): "
          f"{entry['entries_differing']} differ" + ("" if outcome.ok else " (named above); delete them and rerun "
                                                   "to retrain them, and find out who wrote them"))
    return 0 if outcome.ok else 1
