"""Declared before the data, and provably so: the claims' registration.

Everything that decides a verdict is registered before the confirmatory run, in a committed file
(claims/registration.json): per claim, a hash of each declaration (hypothesis, parts, secondary
tests, metrics, margins, conditions, fixed rates, looks) and of the protocol's rules (alpha, the
rate search, the convergence check), with the protocol version, the date and the commit the
declarations were read from. Prose (method, literature, caveats, a margin's `why`) and the recorded
result are not declarations: editing them changes no verdict.

Every run compares the claim files with the registration (`check`); a declaration changed after
registration is named (claim and field) in the CLI, results.json and the report. `repro register`
writes the file; registering again is a new protocol version, and git keeps the old one.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any, Sequence

from ..claim import CLAIMS_DIR, Claim, Metric, Test
from . import tuning

FILENAME = "registration.json"
PROTOCOL_VERSION = tuning.PROTOCOL_VERSION
PROSE_FIELDS = ("why",)


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _metric(metric: Metric) -> dict:
    rule = {} if metric.nonfinite == "error" else {"nonfinite": metric.nonfinite, "worst": metric.worst}
    return {"name": metric.name, "unit": metric.unit, "higher_is_better": metric.higher_is_better, **rule}


def test_declaration(test: Test) -> dict:
    """A declared test as plain data: its type and every field that decides its verdict."""
    out: dict[str, Any] = {"type": type(test).__name__, "kind": test.kind}
    for f in dataclasses.fields(test):
        if f.name in PROSE_FIELDS:
            continue
        value = getattr(test, f.name)
        if isinstance(value, Metric):
            value = _metric(value)
        elif callable(value):
            value = getattr(value, "__name__", type(value).__name__)
        elif isinstance(value, dict):
            value = {str(k): v for k, v in value.items()}
        out[f.name] = value
    return json.loads(json.dumps(out, default=str))


def protocol_rules(alpha: float) -> dict:
    """The protocol-wide rules every claim is decided by (part of each claim's registration)."""
    plan = tuning.DEFAULT_PLAN
    return {"version": PROTOCOL_VERSION, "alpha": alpha, "spending": "obrien-fleming",
            "decision": "intersection-union over parts; Holm across claims on the largest part p",
            "rate_search": {"grid": list(plan.grid), "stage1_seeds": plan.stage1_seeds,
                            "stage1_fraction": plan.stage1_fraction, "keep": plan.keep,
                            "stage2_seeds": plan.stage2_seeds, "widen": tuning.WIDEN_RULE},
            "convergence": tuning.CONVERGENCE_RULE}


def declarations(claim: Claim, alpha: float = 0.05) -> dict[str, Any]:
    """Field -> declared value, for every declaration of the claim that decides its verdict."""
    fields: dict[str, Any] = {"hypothesis": claim.hypothesis, "looks": list(claim.looks),
                              "fixed_rate": list(claim.fixed_rate), "protocol": protocol_rules(alpha)}
    for i, t in enumerate(claim.parts):
        for key, value in test_declaration(t).items():
            fields[f"part {i + 1} ({t.name}).{key}"] = value
    for i, t in enumerate(claim.tests):
        fields[f"secondary test {i + 1} ({t.name})"] = test_declaration(t)
    for name, spec in claim.conditions.items():
        fields[f"condition {name!r}"] = spec.to_dict()
    return fields


def fingerprint(claim: Claim, alpha: float = 0.05) -> dict:
    """{"hash": the claim's declaration hash, "fields": field -> hash} for the registration file."""
    fields = {k: _digest(v) for k, v in declarations(claim, alpha).items()}
    return {"hash": _digest(fields), "fields": fields}


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def build(claims: Sequence[Claim], *, alpha: float = 0.05, commit: str | None = None,
          date: str | None = None) -> dict:
    """The registration of `claims` as the file stores it."""
    return {"protocol": PROTOCOL_VERSION, "registered": date or datetime.date.today().isoformat(),
            "commit": commit, "alpha": alpha,
            "note": "Hashes of every declaration that decides a verdict, fixed before the confirmatory run.",
            "claims": {c.id: fingerprint(c, alpha) for c in claims}}


def _save(data: dict, path: Path) -> dict:
    """Write the registration whole or not at all (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return data


def write(claims: Sequence[Claim], path: Path, *, alpha: float = 0.05, commit: str | None = None) -> dict:
    return _save(build(claims, alpha=alpha, commit=commit), path)


def amend_claims(claims: Sequence[Claim], ids: Sequence[str], path: Path, *, reason: str, alpha: float = 0.05,
                 commit: str | None = None, date: str | None = None) -> dict:
    """Register the declarations of the claims `ids` anew, before their own confirmatory run, keeping
    every other claim's registration (and so its date and commit) as it was. Each amended claim carries
    its own date and commit; `amendments` lists them in order, with the reason."""
    data = load(path)
    if data is None:
        raise RegistrationError(f"{path}: no registration to amend; run `repro register` first")
    by_id = {c.id: c for c in claims}
    unknown = [i for i in ids if i not in by_id]
    if not ids or unknown:
        raise RegistrationError(f"ids={list(ids)!r}: name at least one claim, each one of: {', '.join(by_id)}")
    if not reason.strip():
        raise RegistrationError("reason must say why the claims are declared anew (it is kept in the file)")
    amendments = list(data.get("amendments") or [])
    stamp = {"registered": date or datetime.date.today().isoformat(), "commit": commit,
             "amendment": len(amendments) + 1}
    for i in ids:
        data["claims"][i] = {**fingerprint(by_id[i], alpha), **stamp}
    amendments.append({"number": stamp["amendment"], "registered": stamp["registered"], "commit": commit,
                       "claims": list(ids), "reason": reason.strip()})
    data["amendments"] = amendments
    return _save(data, path)


class RegistrationError(ValueError):
    """The registration file cannot be read; the message says how to fix it."""


def load(path: Path) -> dict | None:
    """The registration in `path`, or None when there is none."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise RegistrationError(f"{path}: not a readable registration ({e}); restore it from git "
                                f"(git checkout -- {path.name})") from e
    if not isinstance(data, dict) or not isinstance(data.get("claims"), dict):
        raise RegistrationError(f"{path}: no 'claims' table; restore it from git (git checkout -- {path.name})")
    return data


def check(claims: Sequence[Claim], path: Path | None = None, *, alpha: float = 0.05) -> dict:
    """Each claim against the registration: {"file", "protocol", "registered", "commit", "amendments",
    "claims": {id: {"status": "unchanged" | "changed" | "unregistered", "changed": [fields], "hash",
    "registered", "commit", "amendment" (if declared anew)}}}."""
    path = path or CLAIMS_DIR / FILENAME
    registered = load(path)
    out: dict[str, Any] = {"file": str(path.name), "protocol": None, "registered": None, "commit": None,
                           "claims": {}}
    if registered is None:
        for c in claims:
            out["claims"][c.id] = {"status": "unregistered", "changed": [], "hash": fingerprint(c, alpha)["hash"]}
        return out
    out.update(protocol=registered.get("protocol"), registered=registered.get("registered"),
               commit=registered.get("commit"), amendments=list(registered.get("amendments") or []))
    for c in claims:
        now = fingerprint(c, alpha)
        then = registered["claims"].get(c.id)
        if then is None:
            out["claims"][c.id] = {"status": "unregistered", "changed": [], "hash": now["hash"]}
            continue
        old = then.get("fields", {})
        changed = sorted(k for k in set(now["fields"]) | set(old) if now["fields"].get(k) != old.get(k))
        out["claims"][c.id] = {"status": "changed" if changed else "unchanged", "changed": changed,
                               "hash": now["hash"], **_stamp(then, registered)}
    return out


def _stamp(entry: dict, registered: dict) -> dict:
    """When this claim's declarations were registered: its amendment's date and commit, else the file's."""
    if "amendment" not in entry:
        return {"registered": registered.get("registered"), "commit": registered.get("commit")}
    return {"registered": entry.get("registered"), "commit": entry.get("commit"), "amendment": entry["amendment"]}


def register(claims: Sequence[Claim], directory: Path, *, force: bool = False, amend: Sequence[str] | None = None,
             reason: str = "") -> str:
    """`repro register`: write DIRECTORY/registration.json (an existing one only with `force`), or with
    `amend` register those claims anew; returns the line to print. RegistrationError says what to fix."""
    path, commit = directory / FILENAME, git_commit(directory)
    if amend is not None:
        if not reason.strip():
            raise RegistrationError("--amend needs --reason 'why these claims are declared anew' (kept in the file)")
        last = amend_claims(claims, amend, path, reason=reason, commit=commit)["amendments"][-1]
        return (f"amendment {last['number']}: registered {', '.join(amend)} anew in {path} (commit "
                f"{(last['commit'] or 'none')[:12]}, {last['registered']}); commit it before their confirmatory run")
    if path.exists() and not force:
        current = check(claims, path)
        state = "; ".join(problems(current)) or "every claim unchanged"
        raise RegistrationError(f"{path} exists (registered {current['registered']}, {state}); registering again "
                                "starts a new protocol version: pass --force to replace it")
    written = write(claims, path, commit=commit)
    return (f"registered {len(claims)} claims in {path} (protocol {written['protocol']}, commit "
            f"{(written['commit'] or 'none')[:12]}, {written['registered']}); commit it before the confirmatory run")


def problems(report: dict) -> list[str]:
    """One line per claim whose declarations differ from the registration (for the CLI)."""
    lines = []
    for cid, entry in report["claims"].items():
        if entry["status"] == "changed":
            lines.append(f"{cid}: changed after registration: {', '.join(entry['changed'])}")
        elif entry["status"] == "unregistered" and report.get("registered"):
            lines.append(f"{cid}: not in the registration {report['file']} (registered {report['registered']})")
    return lines


def where_registered(entry: dict | None, report: dict) -> str:
    """'amendment 1, commit abc1234, 2026-12-03': when a claim's declarations were registered (its
    amendment's stamp, else the file's), for the report's line; '' when nothing is known."""
    entry = entry or {}
    when = {**report, **{k: entry[k] for k in ("registered", "commit") if k in entry}}
    amended = f"amendment {entry['amendment']}" if "amendment" in entry else ""
    commit = f"commit {str(when['commit'])[:7]}" if when.get("commit") else ""
    return ", ".join(x for x in (amended, commit, str(when.get("registered") or "")) if x)


def claim_line(entry: dict | None, report: dict) -> str:
    """The registration sentence for one claim, as the report prints it: declared before the
    confirmatory run and unchanged, or which declarations changed after it."""
    where = where_registered(entry, report)
    status = (entry or {}).get("status", "unregistered")
    if status == "unchanged":
        return f"Declared before the confirmatory run ({where}), unchanged."
    if status == "changed":
        changed = ", ".join(entry.get("changed") or []) or "its declarations"
        return f"Changed after registration ({where}): {changed}. Its verdict is exploratory."
    return ("Not registered: this claim was declared after the confirmatory run's registration, so its verdict "
            "is exploratory.")
