"""The README's verdict table and docs/forest.png, made from the recorded results by a command.

`repro docs` replays the confirmatory run from the cache, refuses if it does not reproduce what
the claim files record, then writes docs/forest.png (the report's forest plot), docs/figures.json
(a digest of the recorded results the image was drawn from) and the README's verdict table between
its markers. docs/kernels.md sets the recorded run (AVX2 kernels) beside the same protocol run with
the other kernel set, kept in docs/kernels.json (`python bench/kernels.py OTHER/results.json`).
tests/test_docs.py fails when the README's table or the image's digest disagree with
the claim files' recorded results, so the front page can never show numbers of an older run.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

from .claim import ROOT, Claim

START, END = "<!-- verdicts:start (made by `repro docs`; do not edit) -->", "<!-- verdicts:end -->"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
DIGEST_FILE = "figures.json"
KERNELS_JSON, KERNELS_MD = "kernels.json", "kernels.md"


def _num(x: float) -> str:
    return f"{x:.3g}"


def _unit(test) -> str:
    metric = getattr(test, "metric", None)
    return getattr(metric, "unit", "") or getattr(test, "unit", "")


def verdict_table(claims: Sequence[Claim]) -> str:
    """Markdown: one row per claim (its recorded verdict), one indented row per part of a claim with several."""
    lines = ["| # | claim | verdict | estimate [interval] | seeds |", "|---|---|---|---|---|"]
    for c in claims:
        rec = c.recorded
        if rec is None:
            lines.append(f"| {c.number} | {c.title} | not recorded | | |")
            continue
        parts = rec.parts or ()
        if not parts:
            unit = _unit(c.parts[0])
            est = f"{_num(rec.estimate)} [{_num(rec.ci[0])}, {_num(rec.ci[1])}] {unit}".rstrip()
            lines.append(f"| {c.number} | {c.title} | **{rec.verdict}** | {est} | {rec.n_seeds} |")
            continue
        lines.append(f"| {c.number} | {c.title} | **{rec.verdict}** | | |")
        for declared, part in zip(c.parts, parts):
            est = f"{_num(part.estimate)} [{_num(part.ci[0])}, {_num(part.ci[1])}] {_unit(declared)}".rstrip()
            lines.append(f"| | part: {part.name} | {part.verdict} | {est} | {part.n_seeds} |")
    return "\n".join(lines)


def recorded_digest(claims: Sequence[Claim]) -> str:
    """A digest of every claim's recorded result (what the docs/ images must have been drawn from)."""
    rows = [[c.id, None if c.recorded is None else repr(c.recorded)] for c in claims]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def readme_table(text: str) -> str | None:
    """The verdict table between the README's markers, or None when the markers are missing."""
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def sync_readme(claims: Sequence[Claim], path: Path = README) -> bool:
    """Write the verdict table between the README's markers; True if the README changed."""
    text = path.read_text()
    if readme_table(text) is None:
        raise ValueError(f"{path} has no verdict-table markers; add the lines\n{START}\n{END}")
    head, rest = text.split(START, 1)
    new = f"{head}{START}\n{verdict_table(claims)}\n{END}{rest.split(END, 1)[1]}"
    if new != text:
        path.write_text(new)
    return new != text


def write_images(run, claims: Sequence[Claim], docs: Path = DOCS) -> list[Path]:
    """docs/forest.png from a RunResult that reproduces the recorded results, and its digest file."""
    import base64

    from .report.drawing import forest_figure
    uri = forest_figure(run)
    png = base64.b64decode(uri.split(",", 1)[1])
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "forest.png").write_bytes(png)
    (docs / DIGEST_FILE).write_text(json.dumps({"recorded": recorded_digest(claims),
                                                "images": ["forest.png"]}, indent=1) + "\n")
    return [docs / "forest.png", docs / DIGEST_FILE]


def other_kernels(results: dict) -> dict:
    """The verdicts, part by part, of a results.json run with another kernel set (docs/kernels.json)."""
    claims = {}
    for c in results["claims"]:
        parts = [[t["name"], t["verdict"], t["estimate"], t["n_seeds"]] for t in c["tests"] if t.get("role") == "part"]
        rates = {k["name"]: k["learning_rate"] for k in c["conditions"] if k.get("learning_rate") is not None}
        claims[c["id"]] = {"verdict": c["verdict"], "parts": parts, "rates": rates}
    prov = results["provenance"]
    return {"kernels": prov.get("cache_kernels"), "protocol": results["protocol_version"],
            "commit": prov["git"]["commit"], "started": prov["started"], "claims": claims}


def _same(a: str, b: str) -> str:
    return "yes" if a == b else "**no**"


def kernel_table(claims: Sequence[Claim], other: dict, recorded_rates: dict) -> str:
    """Markdown: every claim and part, its recorded verdict, estimate and seeds beside the other kernel set's,
    then the selected learning rates that differ (`recorded_rates`: claim id -> condition -> the
    replication file's entry with its `lr`)."""
    lines = [f"# The recorded run beside the {other['kernels']} kernels", "",
             f"Made by `python bench/kernels.py` from docs/{KERNELS_JSON} (protocol {other['protocol']}, commit "
             f"{other['commit'][:10]}, started {other['started'][:10]}) and the claim files' recorded results "
             "(AVX2 kernels); tests/test_docs.py checks it. A part's seed count is where its sequential test stopped.",
             "", "| claim / part | recorded (AVX2) | seeds | other kernels | seeds | same verdict |",
             "|---|---|---|---|---|---|"]
    same = 0
    for c in claims:
        rec, theirs = c.recorded, other["claims"].get(c.id)
        if rec is None or theirs is None:
            lines.append(f"| {c.number} {c.title} | {'not recorded' if rec is None else rec.verdict} | | "
                         f"{'not run' if theirs is None else theirs['verdict']} | | no |")
            continue
        same += rec.verdict == theirs["verdict"]
        if not rec.parts and len(theirs["parts"]) == 1:  # one test: the claim's row carries its numbers
            _, _, estimate, n_seeds = theirs["parts"][0]
            lines.append(f"| **{c.number} {c.title}** | **{rec.verdict}** {_num(rec.estimate)} | {rec.n_seeds} | "
                         f"**{theirs['verdict']}** {_num(estimate)} | {n_seeds} | {_same(rec.verdict, theirs['verdict'])} |")
            continue
        lines.append(f"| **{c.number} {c.title}** | **{rec.verdict}** | | **{theirs['verdict']}** | | "
                     f"{_same(rec.verdict, theirs['verdict'])} |")
        for part in rec.parts:
            row = next((p for p in theirs["parts"] if p[0] == part.name), None)
            if row is None:
                lines.append(f"| part: {part.name} | {part.verdict} {_num(part.estimate)} | {part.n_seeds} | missing | | no |")
                continue
            lines.append(f"| part: {part.name} | {part.verdict} {_num(part.estimate)} | {part.n_seeds} | "
                         f"{row[1]} {_num(row[2])} | {row[3]} | {_same(part.verdict, row[1])} |")
    lines += ["", f"{same} of {len(claims)} claims have the same verdict on both kernel sets.", ""]
    moved, total = [], 0
    for c in claims:
        theirs = other["claims"].get(c.id, {}).get("rates", {})
        for name, entry in recorded_rates.get(c.id, {}).items():
            if name in theirs:
                total += 1
                if theirs[name] != entry["lr"]:
                    moved.append(f"| {c.number} | {name} | {entry['lr']:.3g} | {theirs[name]:.3g} |")
    lines.append(f"The rate search selected another learning rate for {len(moved)} of {total} conditions:")
    if moved:
        lines += ["", "| claim | condition | recorded (AVX2) | other kernels |", "|---|---|---|---|", *moved]
    return "\n".join(lines) + "\n"
