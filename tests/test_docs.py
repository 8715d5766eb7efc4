"""The README's verdict table and docs/forest.png agree with the claim files' recorded results."""
import json

from repro import docsync
from repro.claim import CLAIMS_DIR, load_claims
from repro.protocol import replication


def test_readme_table_is_the_recorded_results():
    claims = load_claims()
    table = docsync.readme_table(docsync.README.read_text())
    assert table is not None, "README.md lost its verdict-table markers"
    assert table == docsync.verdict_table(claims), "README's verdict table is stale: run `repro docs`"


def test_docs_images_were_drawn_from_the_recorded_results():
    digest = json.loads((docsync.DOCS / docsync.DIGEST_FILE).read_text())
    assert digest["recorded"] == docsync.recorded_digest(load_claims()), \
        "docs/forest.png was drawn from other results than the claim files record: run `repro docs`"
    for name in digest["images"]:
        assert (docsync.DOCS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_verdict_table_shows_every_part_of_a_claim_with_several():
    claims = load_claims()
    table = docsync.verdict_table(claims)
    assert table.count("\n| ") + 1 - 2 >= len(claims)
    for c in claims:
        if c.recorded is not None and c.recorded.parts:
            for part in c.recorded.parts:
                assert f"part: {part.name}" in table


def test_kernel_comparison_is_the_recorded_run_beside_the_other_kernels():
    other = json.loads((docsync.DOCS / docsync.KERNELS_JSON).read_text())
    claims = load_claims()
    rates = replication.load(replication.replication_file(CLAIMS_DIR))["claims"]
    assert (docsync.DOCS / docsync.KERNELS_MD).read_text() == docsync.kernel_table(claims, other, rates), \
        "docs/kernels.md is stale: run `python bench/kernels.py OTHER/results.json` (see its docstring)"
    assert set(other["claims"]) == {c.id for c in claims}, "the other kernel set's run must cover every claim"
    for c in claims:
        if c.recorded is not None and other["claims"][c.id]["verdict"] != c.recorded.verdict:
            assert "kernel" in c.caveats.lower(), \
                f"claim {c.number}'s verdict differs between kernel sets; its caveats must say it is not decisive"
