"""The report: report.html (self-contained), report.pdf (printed from the same HTML),
results.json, results.csv and per_seed.csv, all written atomically.

    write_report(run, out_dir) -> {"html": ..., "pdf": ..., "json": ..., "csv": ..., "per_seed_csv": ...}

The view models are built here from the numbers and sentences of text.py; the machine-readable files
come from export.py; figures are drawn by drawing.py. The Jinja templates in templates/ only lay them
out, with autoescaping on, so text from claim files can never inject markup.
"""
from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from . import answers, budget, drawing, figures, recipes, references
from .drawing import forest_figure, post_figure, protocol_figures
from .export import about, generalization, matrix_row, matrix_settings, per_seed_csv, primary_condition_rows, \
    results_csv, results_json
from .text import finding, num, sentence, test_view, units_legend
from ..protocol.cache import atomic_write
from ..claim import shipped_dir
from ..protocol import tuning as _tuning
from ..protocol.results import VERDICTS_WITH_ERROR, ClaimResult, RunResult
from ..protocol.settings import randomized

TEMPLATES_DIR = shipped_dir("templates")
CHANCE_MARGIN = _tuning.CHANCE_MARGIN
#: bidirectional embedding/override/isolate controls: claim text must not reverse the text after it
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


class PdfWarning(UserWarning):
    """The PDF could not be produced (the HTML was written); the message says how to get it."""


def plain(text: Any) -> Any:
    """Claim text without bidirectional overrides or isolates (U+202A-U+202E, U+2066-U+2069), which
    would reverse the report's text that follows; other values pass unchanged."""
    return text.translate(BIDI_CONTROLS) if isinstance(text, str) else text


def claim_figure_views(cr: ClaimResult, figure_cache: Path | None) -> tuple[list[dict], list[dict]]:
    """(the claim's declared figures, its protocol figures: tuning and convergence curves, which go
    to the appendix), each {"title", "caption", "alt", "src", "error"}."""
    if cr.verdict == "error":
        return [], []
    protocol = protocol_figures(cr, figure_cache)
    every = drawing.claim_figures(cr, figure_cache) if hasattr(drawing, "claim_figures") else None
    if every is None:  # a drawing module without claim_figures: the declared figures one by one
        every = []
        for i, f in enumerate(cr.claim.figures):
            png, err = drawing.figure_png(cr, i, figure_cache)
            every.append({"title": f.title, "caption": f.caption, "src": figures.png_data_uri(png), "error": err,
                          "alt": f"Claim {cr.claim.number}: {f.title}"})
        every += protocol
    declared = every[:len(cr.claim.figures)]
    for f in declared + protocol:
        f.setdefault("alt", f"Claim {cr.claim.number}: {f['title']}")
        if f.get("error") and len(f["error"]) > 200:
            f["error"] = f["error"][:197] + "…"
    return declared, protocol


def claim_view(cr: ClaimResult, figure_cache: Path | None = None, run: RunResult | None = None) -> dict:
    """Everything a claim's section shows, formatted (numbers, sentences, figures, arms)."""
    c = cr.claim
    tests = [test_view(x) for x in cr.tests]
    part_ids = {id(t) for t in answers.parts(cr)}
    for view, t in zip(tests, cr.tests):
        view["part"] = id(t) in part_ids
    figs, appendix = claim_figure_views(cr, figure_cache)
    rows = cr.condition_rows()
    views = [condition_view(row) for row in rows]
    shared, own = recipes.shared_and_own({v["name"]: v["describe"] for v in views})
    for v in views:
        v["own"] = recipes.sentence(own.get(v["name"], [])) if shared else v["describe"]
    return {
        "id": c.id, "number": c.number, "title": plain(c.title), "quote": plain(c.quote), "speaker": plain(c.speaker),
        "hypothesis": plain(c.hypothesis), "method": plain(c.method), "literature": plain(c.literature),
        "caveats": plain(c.caveats), "settle": plain(c.settle), "verdict": cr.verdict, "recorded": recorded_view(cr),
        "verdict_line": answers.verdict_line(cr), "disagree": answers.disagreements(cr),
        "registration": answers.registration_text(run, cr) if run is not None else "",
        "seeds": len(cr.seeds) or c.max_seeds, "runtime": f"{cr.runtime_s:.1f} s", "error": cr.error,
        "conditions": views, "shared": recipes.sentence(shared),
        "figures": figs, "appendix_figures": appendix, "tests": tests, "sentence": plain(sentence(cr)),
        "finding": plain(finding(cr)), "primary": tests[0] if tests else None,
        "randomized": randomized_text(cr.specs.values() or c.conditions.values()),
        "budget": [plain(n) for n in budget.budget_notes(cr)] if cr.tests else [],
    }


def randomized_text(specs) -> str:
    """Which sources of variance the seeds sample, and which stay fixed, as a phrase."""
    specs = list(specs)
    drawn = randomized(specs)
    fixed = [] if "data draw" in drawn or not any(s.steps > 0 for s in specs) else ["the data set (one draw for every seed)"]
    return f"each seed draws {', '.join(drawn)}" + (f"; fixed: {', '.join(fixed)}" if fixed else "")


def recorded_view(cr: ClaimResult) -> dict | None:
    """The claim's recorded result and whether this run matches it (a regression check, not a prediction)."""
    rec = cr.claim.recorded
    if rec is None:
        return None
    return {"verdict": rec.verdict, "text": f"{rec.verdict}, estimate {num(rec.estimate)}, interval "
            f"[{num(rec.ci[0])}, {num(rec.ci[1])}] at {rec.n_seeds} seeds (protocol {rec.protocol}, {rec.date})",
            "matches": cr.matches_recorded}


def condition_view(row: dict) -> dict:
    """A condition line of the method section: spec in words, rate and how it was chosen, accuracy, convergence."""
    from ..engine.spec import ExperimentSpec
    spec = ExperimentSpec.from_dict(row["spec"])
    notes = []
    if row["selected_on"] == "validation":
        notes.append(f"lr {row['learning_rate']:g} selected on validation"
                     + (" (on the grid's edge: the optimum may lie beyond it)" if row["lr_on_grid_edge"] else ""))
        if row["lr_search_at_chance"]:
            notes.append(f"every rate tried scored within {CHANCE_MARGIN:g} points of chance: the search found "
                         "no rate that trains it, so the selected rate is arbitrary")
    elif row["selected_on"] == "fixed":
        notes.append(f"lr {row['learning_rate']:g} fixed")
    if row["test_accuracy"] is not None:
        notes.append(f"test accuracy {100 * row['test_accuracy']:.1f}% ({row['n_seeds']} seeds)")
    doubling = row.get("doubling_gain")
    flagged = bool(row.get("doubling_flag"))
    if doubling is not None:
        where = " at the fixed rate" if row["selected_on"] == "fixed" else ""
        notes.append(f"{doubling:+.2f} validation points at twice the budget{where}"
                     + (": not converged (over the declared share of the margin)" if flagged else ""))
    return {"name": plain(row["name"]), "color": figures.color(row["name"]), "describe": spec.describe(),
            "notes": " · ".join(notes), "warn": bool(row["lr_on_grid_edge"] or row["lr_search_at_chance"] or flagged)}


#: provenance entries the report does not list: cache keys and entry hashes stay in results.json; the
#: claims table shows the runtimes; the phases get their own table
LISTED_ELSEWHERE = ("cache_keys", "claim_runtime_s", "runtimes", "entry_hashes", "phases")


def provenance_rows(provenance: Any) -> Any:
    """The provenance for the key-value table, without what the experiments and claims tables list;
    per-claim seed counts on one line, and feasibility only for the claims that are not feasible."""
    if not isinstance(provenance, dict):
        return provenance_view(provenance)
    shown = {k: v for k, v in provenance.items() if k not in LISTED_ELSEWHERE}
    seeds = shown.get("seeds")
    if isinstance(seeds, dict) and all(not isinstance(v, (dict, list)) for v in seeds.values()):
        shown["seeds"] = "; ".join(f"{claim} {n}" for claim, n in seeds.items())
    feasibility = shown.get("feasibility")
    if isinstance(feasibility, dict):
        infeasible = {c: f.get("note", "") for c, f in feasibility.items() if isinstance(f, dict) and not f.get("feasible", True)}
        shown["feasibility"] = infeasible or "every claim's primary test can decide with its seeds"
    return provenance_view(shown)


def about_rows() -> list[tuple[str, str]]:
    """Versions, root seed and sources for the provenance section (URLs as text: the HTML makes no requests)."""
    info = about()
    post, thread = info["sources"]["post"], info["sources"]["thread"]
    rows = [("repro", str(info["repro_version"])), ("mnist1d", str(info["mnist1d_version"] or "not installed")),
            ("root seed", str(info["root_seed"]))]
    if post:
        rows.append(("blog post", f"{post['title']} ({post['author']}, {post['date']}); code: {post['code']}"))
    if thread["item"]:
        rows.append(("thread", f"{thread['site']} item {thread['item']}"
                               + (f": {thread['url']}" if thread["url"] else "") + f"; text in {thread['text']}"))
    return rows


def phases_view(provenance: Any) -> list[dict]:
    """The run's phases (where the wall time went) as table rows: phase, experiments, how many of them
    this run trained, seed-steps, this run's wall seconds and the recorded training seconds."""
    phases = provenance.get("phases") if isinstance(provenance, dict) else None
    if not isinstance(phases, list):
        return []
    return [{"phase": str(p.get("phase", "")), "experiments": p.get("experiments", ""), "trained": p.get("trained", ""),
             "seed_steps": f"{p['seed_steps']:,}" if isinstance(p.get("seed_steps"), int) else "",
             "wall": num(p.get("wall_s")), "training": num(p.get("training_s"))}
            for p in phases if isinstance(p, dict)]


def provenance_view(value: Any) -> Any:
    """Nested provenance as (key, value) rows; scalars formatted, lists joined, empty ones "none"."""
    if isinstance(value, dict):
        if not value:
            return "none"
        return [(str(k).replace("_", " "), provenance_view(v)) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return ", ".join(str(provenance_view(v)) for v in value)
        return [(str(i), provenance_view(v)) for i, v in enumerate(value)]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return num(value, 4)
    return "—" if value is None else str(value)


def robustness_view(run: RunResult) -> dict | None:
    """The robustness matrix for the template: one row per claim, one cell per setting (None where
    the setting changes nothing of the claim), and whether the verdict generalized."""
    if not run.robustness:
        return None
    def cell(sub: ClaimResult | None) -> dict | None:
        if sub is None:
            return None
        if sub.verdict == "error" or not sub.tests:
            return {"verdict": "error", "estimate": "", "ci": "", "seeds": "", "id": sub.claim.id, "edge": "", "chance": ""}
        t = test_view(sub.tests[0])
        arms = primary_condition_rows(sub)
        edge = [f"{a['name']} ({a['learning_rate']:g})" for a in arms if a["lr_on_grid_edge"]]
        chance = [a["name"] for a in arms if a["lr_search_at_chance"]]
        return {"verdict": sub.verdict, "estimate": t["estimate"], "ci": t["ci"], "seeds": t["n_seeds"],
                "id": sub.claim.id, "edge": "; ".join(edge), "chance": "; ".join(chance)}

    rows = []
    for cr in run.claims:
        rows.append({"number": cr.claim.number, "id": cr.claim.id, "title": cr.claim.title,
                     "cells": [cell(sub) for _, sub in matrix_row(run, cr)], "generalization": generalization(run, cr)})
    counts = {k: sum(r["generalization"]["class"] == k for r in rows) for k in ("holds", "reverses", "varies", "untested")}
    return {"settings": matrix_settings(run), "rows": rows, "counts": counts, "chance_margin": f"{CHANCE_MARGIN:g}"}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             autoescape=True,  # every template: claim text is data, never markup
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def methods_texts(run: RunResult) -> list[str]:
    """The report's own text that cites literature (for the reference list): the design paragraph
    and the methods section's fixed citations."""
    return [answers.design_text(run), METHODS_CITES]


#: what the methods section's fixed text cites (templates/_methods.html.j2)
METHODS_CITES = ("Greydanus 2020; Bouthillier et al. 2021; Colas et al. 2018; Agarwal et al. 2021; Varma 2018; "
                 "Lakens 2017; Holm 1979")


def render_html(run: RunResult, figure_cache: Path | None = None, generated: datetime | None = None) -> str:
    """The whole report as one self-contained HTML string (figures reused from `figure_cache`),
    stamped with `generated` (default: now)."""
    figures.reset_colors([list(cr.claim.conditions) for cr in run.claims])
    claims = [claim_view(cr, figure_cache, run) for cr in run.claims]
    counts = {v: sum(cr.verdict == v for cr in run.claims) for v in VERDICTS_WITH_ERROR}
    env = environment()
    css = (TEMPLATES_DIR / "report.css").read_text()
    refs = references.cited(references.claim_texts(cr.claim for cr in run.claims) + methods_texts(run))
    return plain(env.get_template("report.html.j2").render(
        profile=run.profile, claims=claims, counts=counts, css=css, units=units_legend(run),
        answers=[answers.answer_row(run, cr) for cr in run.claims],
        forest=forest_figure(run, figure_cache),
        forest_alt=drawing.forest_alt(run) if hasattr(drawing, "forest_alt") else "Forest plot of every claim's effect",
        post=post_figure(figure_cache), provenance=provenance_rows(run.provenance),
        phases=phases_view(run.provenance), design=answers.design_text(run), references=refs,
        robustness=robustness_view(run), about=about_rows(),
        generated=(generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        n_match=sum(bool(cr.matches_recorded) for cr in run.claims), n_claims=len(run.claims),
        n_recorded=sum(cr.claim.recorded is not None for cr in run.claims)))  # no override reaches the page


def write_pdf(html: str, path: Path, base_url: Path) -> Path | None:
    """Print the HTML with WeasyPrint; None (and a PdfWarning saying how to get one) if it can't."""
    try:
        import weasyprint  # imports pango via cffi: fails with OSError when pango is missing
    except (ImportError, OSError) as e:
        warnings.warn(f"report.pdf not written ({type(e).__name__}: {e}). Install WeasyPrint and its system "
                      f"libraries (pip install weasyprint; apt install libpango-1.0-0 libpangoft2-1.0-0), "
                      f"or open {path.with_suffix('.html')} in a browser and print it to PDF.", PdfWarning)
        return None
    document = weasyprint.HTML(string=html, base_url=str(base_url))
    try:  # a tagged PDF: headings, lists and tables for screen readers (WeasyPrint >= 61)
        data = document.write_pdf(pdf_tags=True)
    except TypeError:
        data = document.write_pdf()
    return atomic_write(path, data)


def write_report(run: RunResult, out_dir: Path, *, pdf: bool = True,
                 figure_cache: Path | None = None) -> dict[str, Path]:
    """Write report.html, report.pdf (if `pdf` and WeasyPrint works), results.json, results.csv
    and per_seed.csv into out_dir; returns {"html", "pdf", "json", "csv", "per_seed_csv"} -> path
    ("pdf" is missing when no PDF was written; a PdfWarning says why and how to get one).
    `figure_cache`: a directory of claim figures already drawn from the same records and code."""
    if not isinstance(run, RunResult):
        raise TypeError(f"run must be a RunResult, got {type(run).__name__}")
    if run.profile not in ("default", "quick", "thorough"):
        raise ValueError(f"run.profile={run.profile!r} is not allowed; choose 'default', 'quick' or 'thorough'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": atomic_write(out_dir / "results.json",
                             json.dumps(results_json(run), indent=2, allow_nan=False) + "\n"),
        "csv": atomic_write(out_dir / "results.csv", results_csv(run)),
        "per_seed_csv": atomic_write(out_dir / "per_seed.csv", per_seed_csv(run)),
    }
    html = render_html(run, figure_cache)
    paths["html"] = atomic_write(out_dir / "report.html", html)
    if pdf:
        made = write_pdf(html, out_dir / "report.pdf", out_dir)
        if made is not None:
            paths["pdf"] = made
    return paths
