"""The replication check: the confirmatory run's first seeds, retrained bit for bit.

The full confirmatory run (rate search, then up to four looks of up to 96 seeds) takes about 1.5
hours on two cores, too long for a CI job. Its first seeds are cheap and say almost as much:
training is deterministic (every random stream derives from the seed index, BLAS kernels pinned),
so retraining seeds 0-2 of every condition at the rate the run selected must give the same bytes
as the run's own first rows. `repro record` writes those rows' per-seed digests, with each
condition's selected rate, into claims/replication.json; the pytest plugin retrains them and
compares (repro.pytest_plugin). Equal digests show that the engine, the claim's declaration and the
data give the recorded run's numbers; they do not re-check the rate search (`--repro-full` does).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..claim import Claim
from ..engine.spec import ExperimentSpec
from .cache import Cache, atomic_write
from .integrity import seed_digests
from .results import ClaimResult
from .training import Training
from .tuning import PROTOCOL_VERSION

REPLICATION_FILE = "replication.json"
SEEDS = (0, 1, 2)


class ReplicationError(ValueError):
    """The replication file is missing, unreadable or does not cover a claim's conditions."""


def block(results: Sequence[ClaimResult], kernels: str) -> dict:
    """The replication file's content for a confirmatory run: per claim and condition, the rate it
    trained at, its cache key for SEEDS and the digests of its first rows."""
    claims = {}
    for cr in results:
        conditions = {}
        for cond, record in cr.records.items():
            if tuple(record.seeds[:len(SEEDS)]) != SEEDS:
                raise ReplicationError(f"claim {cr.claim.id}, condition {cond!r}: its record starts with seeds "
                                       f"{list(record.seeds[:len(SEEDS)])}, not {list(SEEDS)}")
            values = {name: v[:len(SEEDS)] for name, v in record.values.items()}
            spec = cr.specs[cond]
            conditions[cond] = {"lr": spec.lr, "key": spec.key(SEEDS), "digests": seed_digests(values, len(SEEDS))}
        claims[cr.claim.id] = conditions
    return {"about": "written by `repro record` from the confirmatory run; checked by `python -m pytest` "
                     "(repro.protocol.replication)",
            "protocol": PROTOCOL_VERSION, "kernels": kernels, "seeds": list(SEEDS), "claims": claims}


def write(path: Path, content: dict) -> bool:
    """Write the replication file; True if it changed."""
    text = json.dumps(content, indent=1, sort_keys=True) + "\n"
    if path.is_file() and path.read_text() == text:
        return False
    atomic_write(path, text)
    return True


def load(path: Path) -> dict:
    try:
        content = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ReplicationError(f"no replication file {path}; run `repro all`, then `repro record`") from None
    except (OSError, ValueError) as e:
        raise ReplicationError(f"replication file {path} is unreadable ({e}); rewrite it with `repro record`") from None
    if not isinstance(content, dict) or not isinstance(content.get("claims"), dict):
        raise ReplicationError(f"replication file {path} has no 'claims' table; rewrite it with `repro record`")
    return content


def specs(claim: Claim, content: dict) -> dict[str, ExperimentSpec]:
    """Each condition's spec at its recorded rate (the rate search is not repeated)."""
    recorded = content["claims"].get(claim.id)
    if recorded is None:
        raise ReplicationError(f"claim {claim.id} is not in the replication file; run `repro record`")
    missing = sorted(set(claim.conditions) - set(recorded))
    if missing:
        raise ReplicationError(f"claim {claim.id}: condition(s) {missing} are not in the replication file; "
                               f"run `repro record`")
    return {cond: spec.replace(lr=recorded[cond]["lr"]) if claim.is_tuned(cond) else spec
            for cond, spec in claim.conditions.items()}


def replicate(claims: Sequence[Claim], content: dict, training: Training) -> dict[str, list[str]]:
    """Retrain SEEDS of every claim's conditions and compare them with the recorded digests:
    claim id -> its problems (empty when every row matches; ReplicationError text when it cannot run)."""
    seeds = tuple(content.get("seeds", SEEDS))
    problems: dict[str, list[str]] = {}
    requests, wanted = [], {}
    for claim in claims:
        try:
            for cond, spec in specs(claim, content).items():
                requests.append((claim.id, cond, spec, seeds))
                wanted[(claim.id, cond)] = spec
        except ReplicationError as e:
            problems[claim.id] = [str(e)]
    done = training.fill(requests, f"replication: {len(requests)} conditions at seeds {list(seeds)}")
    for (claim_id, cond), spec in wanted.items():
        exp = done[spec.key(seeds)]
        recorded = content["claims"][claim_id][cond]
        found = problems.setdefault(claim_id, [])
        if exp.error:
            found.append(f"condition {cond!r} failed to train:\n{exp.error}")
            continue
        got = seed_digests(exp.record.values, len(seeds))
        bad = [s for s, a, b in zip(seeds, got, recorded["digests"]) if a != b]
        if bad:
            why = "" if spec.key(seeds) == recorded["key"] else (
                " (its spec or the engine changed since the recorded run: the cache key differs)")
            found.append(f"condition {cond!r} at lr {spec.lr:g}: seed(s) {bad} differ from the recorded run{why}")
    return problems


def replication_file(claims_dir: Path) -> Path:
    return Path(claims_dir) / REPLICATION_FILE


def kernels_differ(content: dict, cache: Cache) -> str | None:
    """Why the digests cannot match on this machine's kernels, or None when they can."""
    if content.get("kernels") and content["kernels"] != cache.kernels:
        return (f"the replication digests were recorded with {content['kernels']}; this machine trains with "
                f"{cache.kernels}")
    return None
