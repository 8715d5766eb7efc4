"""The README's verdict table and docs/forest.png, made from the recorded results by a command.

`repro docs` replays the confirmatory run from the cache, refuses if it does not reproduce what
the claim files record, then writes docs/forest.png (the report's forest plot), docs/figures.json
(a digest of the recorded results the image was drawn from) and the README's verdict table between
its markers. tests/test_docs.py fails when the README's table or the image's digest disagree with
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
