"""Every figure of every shipped claim draws from a quick run of all claims (a few minutes on a busy
machine: the claims train in the smoke profile into a temporary cache; set REPRO_FIGURES_CACHE to a
directory to keep that cache between runs). The figures of a default run have the same count and
size, so their weight here bounds the report's."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from repro.claimfiles import load_claims
from repro.protocol.cache import Cache
from repro.protocol.runner import run
from repro.report import drawing, figures

CLAIMS = Path(__file__).resolve().parent.parent / "claims"
FIGURE_BYTES = 2_000_000  # the HTML's budget is 2.5 MB; its text and the opening figure take the rest


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    root = Path(os.environ.get("REPRO_FIGURES_CACHE") or tmp_path_factory.mktemp("quick-cache"))
    result = run(load_claims(CLAIMS), quick=True, cache=Cache(root), jobs=os.cpu_count())
    figures.reset_colors([list(cr.claim.conditions) for cr in result.claims])
    return result, root / "figures"


def test_every_claims_figures_draw(quick_run):
    result, cache = quick_run
    problems = {cr.claim.id: cr.error or "" for cr in result.claims if cr.verdict == "error"}
    problems.update({cr.claim.id: "; ".join(e) for cr in result.claims if (e := drawing.figure_errors(cr, cache))})
    assert not problems, problems


def test_captions_and_alt_texts_name_their_claim_and_the_figures_are_light(quick_run):
    result, cache = quick_run
    size = len(drawing.forest_figure(result, cache))
    for cr in result.claims:
        views = drawing.claim_figures(cr, cache)
        assert len(views) >= len(cr.claim.figures), cr.claim.id
        for v in views:
            assert v["error"] is None, (cr.claim.id, v["title"], v["error"])
            assert v["caption"].startswith(f"Claim {cr.claim.number}. "), v["caption"]
            assert v["alt"].startswith(f"Claim {cr.claim.number} ({cr.claim.title}), figure: "), v["alt"]
            size += len(v["src"])
    assert size < FIGURE_BYTES, f"{size / 1e6:.2f} MB of figures"
