"""The report's layout (issue 24): the answers first in a compact fixed table, parts and mixed verdicts
shown as such, the practitioners' sentences, a printed contents and a reference list, registration
and design lines, no power against 0 beside a margin test, and claim text that stays text."""
from __future__ import annotations

import dataclasses
import re
from html import unescape
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import make_run  # noqa: E402

from repro.report import answers, recipes, references, render  # noqa: E402

CSS = (render.TEMPLATES_DIR / "report.css").read_text()
RLO = "\u202e"


def mixed_run():
    """The synthetic run with claim 11 as a two-part claim (accuracy supported, gradient ratio refuted:
    mixed), a right-to-left override in its title, a registration and a design."""
    run = make_run()
    i = next(k for k, cr in enumerate(run.claims) if cr.claim.number == 11)
    cr = run.claims[i]
    first, second = cr.tests
    tests = [dataclasses.replace(first, role="part"), dataclasses.replace(second, role="part", verdict="refuted")]
    claim = dataclasses.replace(cr.claim, title=f"BN keeps {RLO}deep nets{RLO} healthy",
                                settle="Twice the seeds would settle the gradient part.")
    run.claims[i] = dataclasses.replace(cr, claim=claim, verdict="mixed", tests=tests)
    run.registration = {"file": "claims/registration.json", "protocol": 3, "registered": "2026-12-02",
                        "commit": "abc1234def", "claims": {
                            "bn-keeps-deep-nets-healthy": {"status": "unchanged", "changed": [], "hash": "h"},
                            "bn-after-activation-better": {"status": "changed", "changed": ["margin of part 1"],
                                                           "hash": "g"}}}
    run.design = {"looks": [12, 24, 48, 96], "spending": "obrien-fleming", "boundaries": [],
                  "false_supported_rate": 0.0487, "n_paths": 100000, "note": ""}
    return run


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    return render.render_html(mixed_run(), tmp_path_factory.mktemp("figures"))


def summary_table(html: str) -> str:
    return html.split('id="summary"', 1)[1].split("</table>", 1)[0]


def test_answers_come_first_one_row_per_claim(html):
    run = mixed_run()
    table = summary_table(html)
    rows = re.findall(r'<tr class="answer (\w+)">', table)
    assert rows == [cr.verdict for cr in run.claims]
    order = [html.index(f'id="{x}"') for x in ("summary", "forest", "practice", "post-gradients", "contents", "methods")]
    assert order == sorted(order)
    assert html.index('id="summary"') < html.index('class="claim')  # before any claim's section


def test_compact_summary_is_fixed_width_and_wraps_the_claim_column(html):
    assert re.search(r"table\.answers-table\s*\{[^}]*table-layout:\s*fixed", CSS)
    claim_rules = re.findall(r"([^{}]*claim-cell[^{}]*)\{([^}]*)\}", CSS)
    assert claim_rules and not [r for r in claim_rules if "nowrap" in r[1]]
    table = summary_table(html)
    assert "nowrap" not in table and "<colgroup>" in table and table.count('<col class="c-') == 5
    phone = CSS.split("@media screen and (max-width: 640px)", 1)[1].split("\n}\n", 1)[0]
    assert "table.answers-table tr { display: block" in phone or "table.answers-table tr { display: block;" in phone


def test_a_claim_with_parts_shows_each_parts_verdict_and_effect(html):
    group = summary_table(html).split('<tbody class="answer-group mixed">', 1)[1].split("</tbody>", 1)[0]
    head, *part_rows = group.split('<tr class="part-row">')
    assert 'class="badge mixed"' in head and 'class="effect"' not in head
    assert len(part_rows) == 2  # one line per part: name, verdict, effect, seeds
    assert re.search(r"accuracy</bdi></td>\s*<td class=\"part-verdict\"><span class=\"v-supported\">supported", part_rows[0])
    assert re.search(r"gradient ratio</bdi></td>\s*<td class=\"part-verdict\"><span class=\"v-refuted\">refuted",
                     part_rows[1])
    assert all(r.count('class="effect"') == 1 for r in part_rows) and "[12.1, 17.9]" in group
    cr = mixed_run().claims[2]
    assert answers.verdict_line(cr) == "mixed: accuracy supported, gradient ratio refuted"


def test_mixed_is_never_green(html):
    assert re.search(r"--mixed:\s*#[0-9a-f]{6}", CSS)
    mixed = re.search(r"--mixed:\s*(#[0-9a-f]{6})", CSS).group(1)
    supported = re.search(r"--supported:\s*(#[0-9a-f]{6})", CSS).group(1)
    assert mixed != supported and ".badge.mixed" in CSS and ".verdict-box.mixed" in CSS
    assert 'class="tally-item mixed"' in html and '<b class="tally-n">1</b> <span class="tally-v">mixed' in html


def test_practitioners_read_one_sentence_per_claim_with_what_would_settle_it(html):
    section = html.split('id="practice"', 1)[1].split("</section>", 1)[0]
    assert section.count("<li") == 3
    assert "holds only in part" in section and "Twice the seeds would settle the gradient part" in section
    assert "About 40 paired seeds" in section  # the inconclusive claim's settle line


def test_a_secondary_test_against_the_headline_is_named_in_the_summary():
    run = make_run()
    cr = next(c for c in run.claims if c.claim.number == 11)
    cr.tests[1] = dataclasses.replace(cr.tests[1], verdict="refuted")  # another kind and metric: a control
    assert answers.disagreements(cr) == []
    cr.tests.append(dataclasses.replace(cr.tests[0], name="accuracy at depth 50", verdict="refuted"))
    assert answers.disagreements(cr) == ["secondary \u201caccuracy at depth 50\u201d refuted"]
    html = render.render_html(run)
    row = summary_table(html).split("healthy", 1)[1].split("</tr>", 1)[0]
    assert "but secondary \u201caccuracy at depth 50\u201d refuted" in row
    practice = html.split('id="practice"', 1)[1].split("</section>", 1)[0]
    assert "Against the headline: secondary \u201caccuracy at depth 50\u201d refuted." in practice


def test_bidi_overrides_cannot_reverse_the_text_that_follows(html):
    for c in map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]):
        assert c not in html
    assert "<bdi>BN keeps deep nets healthy</bdi>" in html
    assert re.search(r"body\s*\{[^}]*overflow-wrap:\s*anywhere", CSS)  # a 20,000-character word wraps


def test_registration_and_design_lines(html):
    healthy = html.split('id="bn-keeps-deep-nets-healthy"', 1)[1].split("</section>", 1)[0]
    assert "Declared before the confirmatory run (commit abc1234, 2026-12-02), unchanged." in healthy
    after = html.split('id="bn-after-activation-better"', 1)[1].split("</section>", 1)[0]
    assert "Changed after registration (commit abc1234, 2026-12-02): margin of part 1." in after
    design = unescape(html.split('id="design"', 1)[1].split("</p>", 1)[0])
    assert "12/24/48/96" in design and "O'Brien" in design and "intersection-union" in design
    assert "Holm" in design and "4.9%" in design and "100,000" in design


def test_no_power_against_zero_beside_a_margin_test(html):
    healthy = html.split('id="bn-keeps-deep-nets-healthy"', 1)[1].split("</section>", 1)[0]
    assert "power 99%" not in healthy and "MDE" in healthy
    equivalence = html.split('id="bn-after-activation-better"', 1)[1].split("</section>", 1)[0]
    assert "power 31% at a true difference of 0" in equivalence


def test_contents_has_page_numbers_in_print_and_a_link_per_claim(html):
    toc = html.split('id="contents"', 1)[1].split("</nav>", 1)[0]
    for cr in mixed_run().claims:
        assert f'href="#{cr.claim.id}"' in toc
    for target in ("#references", "#appendix", "#provenance", "#methods"):
        assert f'href="{target}"' in toc
    assert re.search(r"nav\.toc a::after\s*\{[^}]*target-counter\(attr\(href\), page\)", CSS)


def test_references_list_exactly_the_cited_works(html):
    section = html.split('id="references"', 1)[1].split("</section>", 1)[0]
    assert "Ioffe, S. and Szegedy, C. (2015). Batch normalization" in section  # cited by claim 11's literature
    assert "Holm, S. (1979)" in section and "Berger, R. L. (1982)" in section  # cited by the design paragraph
    assert "Santurkar" not in section and "Yang, G." not in section  # nobody cites them here
    assert [w["label"] for w in references.cited(["He et al. (2015) and Maas et al. 2013"])] == \
        ["He et al. 2015", "Maas et al. 2013"]


def test_cache_keys_and_phases(html):
    provenance = html.split('id="provenance"', 1)[1]
    assert "abcdef0123" not in provenance and "Cache key" not in provenance
    run = make_run()
    run.provenance["phases"] = [{"phase": "tuning stage 1", "experiments": 40, "trained": 37, "wall_s": 12.5,
                                 "seed_steps": 16000, "training_s": 20.0}]
    text = render.render_html(run).split('id="provenance"', 1)[1]
    assert '<table class="phases">' in text and "<td>tuning stage 1</td>" in text and "16,000" in text
    assert '<td class="num">37</td>' in text and "Wall, this run" in text and "Training, recorded" in text
    # six columns do not fit a phone: the table scrolls in its own box, the page does not (390 px)
    assert '<div class="table-wrap"><table class="phases">' in text


def test_arm_recipes_are_written_once_per_claim():
    shared, own = recipes.shared_and_own({
        "BN": "6 hidden layers of 100 units, each Linear+bias -> BN -> ReLU; init He normal; data MNIST-1D; "
              "SGD with momentum 0.9, learning rate 0.1 (cosine schedule), batch 64, 2000 steps, float64.",
        "no BN": "6 hidden layers of 100 units, each Linear+bias -> ReLU; init He normal; data MNIST-1D; "
                 "SGD with momentum 0.9, learning rate 0.03 (cosine schedule), batch 64, 2000 steps, float64."})
    assert shared == ["6 hidden layers of 100 units", "init He normal", "data MNIST-1D",
                      "SGD with momentum 0.9, cosine schedule, batch 64, 2000 steps, float64"]
    assert own == {"BN": ["each Linear+bias -> BN -> ReLU"], "no BN": ["each Linear+bias -> ReLU"]}


def overflow_beyond_page(html: str) -> float:
    """How far (in CSS px) the widest line of text runs past the page's right edge when printed."""
    import weasyprint
    from weasyprint.formatting_structure import boxes
    worst = 0.0
    for page in weasyprint.HTML(string=html).render().pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(box, boxes.TextBox):
                worst = max(worst, box.position_x + box.width - page.width)
            stack.extend(getattr(box, "children", None) or [])
    return worst


def test_a_long_word_wraps_in_the_pdf_instead_of_running_off_the_page(tmp_path):
    """A 3,000-character word in a claim's hypothesis wraps inside the page (issue 26: it was clipped)."""
    pytest.importorskip("weasyprint")
    run = make_run()
    cr = run.claims[1]  # the claim in error: a short section
    run.claims[1] = dataclasses.replace(cr, claim=dataclasses.replace(cr.claim, hypothesis="W" * 3000))
    html = render.render_html(run, tmp_path / "figures")
    section = html.split(f'id="{cr.claim.id}"', 1)[1].split("</section>", 1)[0]
    page = html.split("<main>", 1)[0] + '<main><section class="claim">' + section + "</section></main></body></html>"
    assert "W" * 3000 in page and overflow_beyond_page(page) <= 0


def test_budget_reading_of_an_interval_follows_the_interval_rules():
    from repro.report.budget import interval_reading
    assert interval_reading("superiority", 0.6, 2.0, 0.5) == "supported"
    assert interval_reading("superiority", -1.0, 0.4, 0.5) == "refuted"
    assert interval_reading("superiority", 0.2, 0.9, 0.5) == "inconclusive"
    assert interval_reading("noninferiority", -0.4, 1.0, 0.5) == "supported"
    assert interval_reading("noninferiority", -2.0, -0.6, 0.5) == "refuted"
    assert interval_reading("equivalence", -0.4, 0.4, 0.5) == "supported"
    assert interval_reading("equivalence", 0.5, 2.0, 0.5) == "refuted"
    assert interval_reading("equivalence", 0.2, 0.7, 0.5) == "inconclusive"


def test_budget_note_says_when_twice_the_steps_could_flip_a_part():
    """An accuracy part whose arms gain differently at twice the budget: the interval moved by the gain
    difference is read again; a part on another metric gets no note."""
    from types import SimpleNamespace

    import numpy as np

    from repro.claim import Metric, Superiority
    from repro.report.budget import budget_note
    acc = Metric("final test accuracy", lambda r: np.zeros(r.n_seeds), unit="% points")
    part = Superiority("A beats B", metric=acc, a="A", b="B", margin=1.0)
    result = SimpleNamespace(kind="superiority", ci=(0.2, 0.8))   # below the margin: refuted by its interval
    def claim_result(gain_a):
        rows = [{"name": "A", "doubling_gain": gain_a}, {"name": "B", "doubling_gain": 0.5}]
        return SimpleNamespace(condition_rows=lambda: rows)
    flips = budget_note(claim_result(2.0), part, result)
    assert "gain +2.0 and +0.5" in flips and "(+1.5)" in flips
    assert "would read supported instead of refuted: the budget could flip this part" in flips
    assert "would read inconclusive instead of refuted" in budget_note(claim_result(1.0), part, result)
    assert "would still read refuted" in budget_note(claim_result(0.5), part, result)
    other = Superiority("A beats B", metric=Metric("gradient ratio", acc.fn), a="A", b="B", margin=1.0)
    assert budget_note(claim_result(2.0), other, result) is None
