"""The answers first: each claim's verdict in one compact line (its parts when it has several), the
secondary tests that disagree with it, a plain sentence for practitioners, and the registration and
design lines, all as text for the templates.
"""
from __future__ import annotations

from ..protocol.registration import claim_line
from ..protocol.results import ClaimResult, RunResult
from ..stats import TestResult
from .text import claim_parts, level_text, num, with_unit

VERDICT_WORDS = {
    "supported": "holds here",
    "refuted": "does not hold here",
    "mixed": "holds only in part",
    "inconclusive": "is not decided by these data",
    "error": "could not be tested (the experiment failed)",
}
#: a secondary test contradicts a headline when it reaches the opposite decisive verdict
OPPOSITE = {"supported": "refuted", "refuted": "supported"}


def parts(cr: ClaimResult) -> list[TestResult]:
    """The claim's co-primary parts (ClaimResult.parts; the first test where roles are not known)."""
    if cr.verdict == "error" or not cr.tests:
        return []
    return [t for _, t in claim_parts(cr)]


def secondaries(cr: ClaimResult) -> list[TestResult]:
    """The claim's secondary tests (everything that is not a part)."""
    shown = {id(t) for t in parts(cr)}
    return [t for t in cr.tests if id(t) not in shown]


def effect_text(t: TestResult) -> str:
    """A test's result in native units: 'estimate unit [lo, hi]' (a threshold's measured value; an
    identity test's largest difference and its tolerance)."""
    if t.kind == "identity":
        return f"largest |diff| {with_unit(t.estimate, t.unit)} (tolerance {num(t.margin)})"
    lo, hi = t.ci
    return f"{with_unit(t.estimate, t.unit)} [{num(lo)}, {num(hi)}]"


def part_view(t: TestResult) -> dict:
    """One part for the compact summary: name, verdict, effect in native units and seeds."""
    return {"name": t.name, "verdict": t.verdict or "pending", "effect": effect_text(t), "seeds": t.n_seeds,
            "ci_label": "" if t.kind == "identity" else level_text(t.ci_level)}


def verdict_line(cr: ClaimResult) -> str:
    """The verdict with its parts when a claim has several: 'mixed: He init refuted, post's init supported'."""
    ps = parts(cr)
    if len(ps) < 2:
        return cr.verdict
    return f"{cr.verdict}: " + ", ".join(f"{t.name} {t.verdict}" for t in ps)


def disagreements(cr: ClaimResult) -> list[str]:
    """The claim's own test in another setting or arm that reaches the opposite decisive verdict: a
    secondary test of the same kind on the same metric as a part, 'refuted' under a supported headline
    (or 'supported' under a refuted one; either, under a mixed one), each as 'secondary “name” refuted'.
    Controls and other quantities (another kind or metric) are not counted against the headline."""
    want = OPPOSITE.get(cr.verdict)
    shapes = {(t.kind, t.metric) for t in parts(cr)}
    out = []
    for t in secondaries(cr):
        if (t.kind, t.metric) not in shapes:
            continue
        if (want and t.verdict == want) or (cr.verdict == "mixed" and t.verdict in OPPOSITE):
            out.append(f"secondary \u201c{t.name}\u201d {t.verdict}")
    return out


def practical(cr: ClaimResult) -> str:
    """A plain sentence for practitioners: the claim, what the verdict means, the parts that differ,
    any secondary test that disagrees, and what would settle it (every claim that declares it)."""
    c = cr.claim
    text = f"\u201c{c.title}\u201d {VERDICT_WORDS.get(cr.verdict, cr.verdict)}"
    ps = parts(cr)
    if cr.verdict == "mixed":
        held = [t.name for t in ps if t.verdict == "supported"]
        failed = [t.name for t in ps if t.verdict != "supported"]
        text += f": it holds for {', '.join(held) or 'no part'} but not for {', '.join(failed)}"
    elif ps and cr.verdict != "error":
        text += f" ({'; '.join(f'{t.name}: {effect_text(t)}' for t in ps)})"
    text += "."
    differ = disagreements(cr)
    if differ:
        text += " Against the headline: " + "; ".join(differ) + "."
    if c.settle:
        text += f" What would settle it: {c.settle.rstrip('.')}."
    return text


def registration_text(run: RunResult, cr: ClaimResult) -> str:
    """The claim's registration line: declared before the confirmatory run and unchanged, or which
    declarations changed after it; '' when the run carries no registration."""
    reg = getattr(run, "registration", None)
    if not isinstance(reg, dict) or not reg:
        return ""
    return claim_line((reg.get("claims") or {}).get(cr.claim.id), reg)


def design_text(run: RunResult) -> str:
    """The 'Design' paragraph: one sequential design for every part, the intersection-union rule,
    Holm across claims, and the simulated false-'supported' rate of the whole procedure."""
    design = getattr(run, "design", None) or {}
    looks = design.get("looks")
    looks_text = ("/".join(str(n) for n in looks) + " seeds") if looks else "the declared seed counts"
    spending = design.get("spending", "obrien-fleming")
    spending_text = ("O'Brien-Fleming alpha spending (O'Brien & Fleming 1979, in the Lan & DeMets 1983 form; "
                     "Jennison & Turnbull 2000)" if spending == "obrien-fleming" else f"{spending} alpha spending")
    text = (f"Design. Every part of every claim runs one group-sequential design, declared before the "
            f"confirmatory run: looks at {looks_text} with {spending_text}, stopping at the first decisive "
            f"look. A claim with several parts is decided by the intersection-union rule (Berger 1982): it is "
            f"supported only if every part is, each part at the full alpha, and its p for the correction across "
            f"claims is the largest of its parts'; 'mixed' means some parts are supported and others refuted. "
            f"Holm's procedure (Holm 1979) adjusts across the claims of the report; equivalence and "
            f"non-inferiority are two one-sided tests against the declared margin (Lakens 2017).")
    rate, paths = design.get("false_supported_rate"), design.get("n_paths")
    if rate is not None:
        text += (f" Simulated over {paths:,} null paths (every effect at its margin), the whole procedure "
                 f"(looks, parts and Holm) calls a claim \u201csupported\u201d falsely at a rate of "
                 f"{100 * rate:.1f}%." if paths else
                 f" The whole procedure's simulated false-\u201csupported\u201d rate is {100 * rate:.1f}%.")
    if design.get("note"):
        text += f" {design['note'].rstrip('.')}."
    return text


def disagreement_note(cr: ClaimResult) -> str:
    """The summary line's short note of secondary tests against the headline: the first by name and
    how many more ('' when none); the verdict box and the practitioners' sentence list them all."""
    differ = disagreements(cr)
    if not differ:
        return ""
    return differ[0] + (f" (and {len(differ) - 1} more)" if len(differ) > 1 else "")


def answer_row(run: RunResult, cr: ClaimResult) -> dict:
    """One claim's compact summary row: number, title, verdict (with parts), effects, seeds, the
    secondary tests that disagree, and whether it matches the recorded verdict."""
    ps = [part_view(t) for t in parts(cr)]
    rec = cr.claim.recorded
    return {"number": cr.claim.number, "id": cr.claim.id, "title": cr.claim.title, "verdict": cr.verdict,
            "verdict_line": verdict_line(cr), "parts": ps, "several": len(ps) > 1,
            "seeds": max((p["seeds"] for p in ps), default=0) or len(cr.seeds),
            "disagree": disagreement_note(cr), "practical": practical(cr),
            "recorded": rec.verdict if rec else None, "matches": cr.matches_recorded}
