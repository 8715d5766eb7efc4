"""Write what a confirmatory run found into the claim files (`recorded=Recorded(...)`).

A claim file records its confirmatory run's verdict and every part's estimate, interval and seed
count, so its pytest item can check that a new run reproduces them (repro.claim.compare_recorded).
`repro record` replays the run from the cache (nothing is trained) and rewrites that one expression
in each claim file; everything else in the file is left byte for byte. The recorded result is not a
declaration (repro.protocol.registration): writing it changes no registered hash.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from .results import ClaimResult
from .tuning import PROTOCOL_VERSION


class RecordingError(ValueError):
    """A claim file has no single `recorded=` expression to rewrite."""


def _num(x: float) -> str:
    return f"{x:.6g}"


def recorded_source(cr: ClaimResult, date: str | None = None, indent: str = "    ") -> str:
    """The `recorded=Recorded(...)` text for a claim's result (its parts spelt out when it has several)."""
    if cr.verdict == "error" or not cr.parts:
        raise RecordingError(f"claim {cr.claim.id}: verdict {cr.verdict!r} has no result to record")
    date = date or datetime.date.today().isoformat()
    first = cr.parts[0]
    head = (f'recorded=Recorded("{cr.verdict}", estimate={_num(first.estimate)}, ci=({_num(first.ci[0])}, '
            f'{_num(first.ci[1])}), n_seeds={first.n_seeds},\n{indent}                  '
            f'protocol={PROTOCOL_VERSION}, date="{date}"')
    if len(cr.parts) == 1:
        return head + ")"
    lines = [head + ", parts=("]
    for t in cr.parts:
        lines.append(f'{indent}    RecordedPart({t.name!r},\n{indent}                 "{t.verdict}", {_num(t.estimate)}, '
                     f'({_num(t.ci[0])}, {_num(t.ci[1])}), {t.n_seeds}),')
    lines.append(f"{indent}))")
    return "\n".join(lines)


def _span(text: str, path: Path) -> tuple[int, int]:
    """Start and end (exclusive) of the `recorded=Recorded(...)` expression in `text`."""
    start = text.find("recorded=Recorded(")
    if start < 0 or text.find("recorded=Recorded(", start + 1) >= 0:
        raise RecordingError(f"{path}: expected exactly one `recorded=Recorded(...)`; add one to the Claim(...)")
    depth, i = 0, text.index("(", start)
    for j in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return start, j + 1
    raise RecordingError(f"{path}: unbalanced parentheses after `recorded=Recorded(`")


def rewrite(path: Path, source: str) -> bool:
    """Replace the claim file's recorded expression with `source`; True if the file changed. Claim
    files that record parts need `RecordedPart` imported: it is added beside the `Recorded` import."""
    text = Path(path).read_text()
    start, end = _span(text, path)
    new = text[:start] + source + text[end:]
    if "RecordedPart(" in source and "RecordedPart" not in new[:start]:
        new = "from repro.claim import RecordedPart\n" + new if not new.startswith('"""') else _after_docstring(new)
    if new == text:
        return False
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text(new)
    tmp.replace(path)
    return True


def _after_docstring(text: str) -> str:
    """`text` with `from repro.claim import RecordedPart` inserted after the module docstring."""
    end = text.index('"""', 3) + 3
    return text[:end] + "\nfrom repro.claim import RecordedPart" + text[end:]
