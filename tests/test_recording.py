"""repro record: a run's results written into a claim file, read back, and checked by compare_recorded."""
import shutil
from types import SimpleNamespace as NS

import pytest

from repro.claim import CLAIMS_DIR, compare_recorded, load_claim_file
from repro.protocol.recording import RecordingError, recorded_source, rewrite


def _result(claim, verdict, parts):
    return NS(claim=claim, verdict=verdict, parts=[NS(name=n, verdict=v, estimate=e, ci=ci, n_seeds=k, kind="superiority")
                                                   for n, v, e, ci, k in parts])


def test_a_multi_part_result_round_trips_through_the_claim_file(tmp_path):
    src = CLAIMS_DIR / "c14_bn_trains_very_deep_networks.py"
    path = tmp_path / "c14_copy.py"
    shutil.copy(src, path)
    claim = load_claim_file(path)
    parts = [(claim.parts[0].name, "refuted", -3.25, (-4.5, -2.0), 12),
             (claim.parts[1].name, "supported", 46.1, (44.0, 48.2), 12)]
    cr = _result(claim, "mixed", parts)
    text = recorded_source(cr, date="2026-12-02")
    assert text.startswith("recorded=Recorded(\"mixed\", estimate=-3.25") and "RecordedPart(" in text
    assert rewrite(path, text) and not rewrite(path, text)       # the second write changes nothing
    again = load_claim_file(path.rename(tmp_path / "c14_again.py"))
    assert again.recorded.verdict == "mixed" and len(again.recorded.parts) == 2
    assert compare_recorded(again.recorded, cr) == []
    moved = _result(claim, "mixed", [parts[0], (parts[1][0], "supported", 52.0, (50.0, 54.0), 12)])
    assert any("moved" in p for p in compare_recorded(again.recorded, moved))
    flipped = _result(claim, "supported", [(parts[0][0], "supported", 3.0, (2.0, 4.0), 24), parts[1]])
    problems = compare_recorded(again.recorded, flipped)
    assert any("verdict 'supported', recorded 'mixed'" in p for p in problems)
    # everything but the recorded expression is left byte for byte
    before, after = src.read_text(), (tmp_path / "c14_again.py").read_text()
    assert before[:before.index("recorded=")].replace("from repro.claim import RecordedPart\n", "") == \
        after[:after.index("recorded=")].replace("\nfrom repro.claim import RecordedPart", "")


def test_errors_name_the_problem(tmp_path):
    claim = load_claim_file(CLAIMS_DIR / "c02_bn_maintains_variance.py")
    with pytest.raises(RecordingError, match="no result to record"):
        recorded_source(_result(claim, "error", []))
    path = tmp_path / "x.py"
    path.write_text("CLAIM = None\n")
    with pytest.raises(RecordingError, match="exactly one"):
        rewrite(path, 'recorded=Recorded("supported")')
