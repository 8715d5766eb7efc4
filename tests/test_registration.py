"""The registration: declarations hashed before the confirmatory run, checked on every run, and amendments."""
import dataclasses
import json

import pytest

from repro.claim import load_claims
from repro.protocol import registration, tuning


def test_registration_names_a_margin_changed_after_registration(tmp_path):
    claims = load_claims()
    path = tmp_path / "registration.json"
    registration.write(claims, path, commit="abc1234def")
    report = registration.check(claims, path)
    assert {e["status"] for e in report["claims"].values()} == {"unchanged"}
    assert registration.problems(report) == []
    claim = claims[0]
    first = claim.parts[0]
    moved = dataclasses.replace(claim, parts=(dataclasses.replace(first, margin=first.margin + 0.5),) + claim.parts[1:])
    report = registration.check([moved] + claims[1:], path)
    entry = report["claims"][claim.id]
    assert entry["status"] == "changed" and entry["changed"] == [f"part 1 ({first.name}).margin"]
    assert registration.problems(report) == [f"{claim.id}: changed after registration: part 1 ({first.name}).margin"]
    assert registration.claim_line(entry, report).endswith("Its verdict is exploratory.")
    assert registration.claim_line(None, report).startswith("Not registered")
    # prose is not a declaration: a new caveat or a margin's `why` changes nothing
    reworded = dataclasses.replace(claim, caveats=claim.caveats + " More prose.",
                                   parts=(dataclasses.replace(first, why="because"),) + claim.parts[1:])
    assert registration.check([reworded], path)["claims"][claim.id]["status"] == "unchanged"
    path.write_text("{not json")
    with pytest.raises(registration.RegistrationError, match="git checkout"):
        registration.check(claims, path)


def test_shipped_claims_are_registered_unchanged():
    """The committed registration holds every shipped claim's declarations as they are now."""
    claims = load_claims()
    report = registration.check(claims)
    assert report["registered"], "claims/registration.json is missing: run `repro register`"
    assert registration.problems(report) == []
    assert json.loads((registration.CLAIMS_DIR / registration.FILENAME).read_text())["protocol"] == tuning.PROTOCOL_VERSION


def test_amendment_registers_some_claims_anew_and_keeps_the_others(tmp_path):
    claims = load_claims()
    path = tmp_path / "registration.json"
    registration.write(claims, path, commit="aaaaaaa111", )
    before = json.loads(path.read_text())
    first = claims[0]
    moved = dataclasses.replace(first, parts=(dataclasses.replace(first.parts[0], margin=first.parts[0].margin + 1),)
                                + first.parts[1:])
    now = [moved] + claims[1:]
    assert registration.check(now, path)["claims"][first.id]["status"] == "changed"
    registration.amend_claims(now, [first.id], path, reason="a new arm before its run", commit="bbbbbbb222",
                              date="2030-01-02")
    after = json.loads(path.read_text())
    assert after["amendments"] == [{"number": 1, "registered": "2030-01-02", "commit": "bbbbbbb222",
                                    "claims": [first.id], "reason": "a new arm before its run"}]
    assert all(after["claims"][c.id] == before["claims"][c.id] for c in claims[1:])
    report = registration.check(now, path)
    assert report["amendments"] == after["amendments"]
    entry = report["claims"][first.id]
    assert entry["status"] == "unchanged" and (entry["registered"], entry["amendment"]) == ("2030-01-02", 1)
    assert registration.claim_line(entry, report) == ("Declared before the confirmatory run (amendment 1, commit "
                                                      "bbbbbbb, 2030-01-02), unchanged.")
    other = report["claims"][claims[1].id]
    assert (other["registered"], other["commit"]) == (before["registered"], "aaaaaaa111")
    with pytest.raises(registration.RegistrationError, match="each one of"):
        registration.amend_claims(now, ["no-such-claim"], path, reason="r")
    with pytest.raises(registration.RegistrationError, match="reason"):
        registration.register(now, tmp_path, amend=[first.id], reason=" ")
    with pytest.raises(registration.RegistrationError, match="--force"):
        registration.register(now, tmp_path)
    assert json.loads(path.read_text()) == after   # a refused call leaves the file as it was


def test_shipped_amendments_name_registered_claims_in_order():
    data = json.loads((registration.CLAIMS_DIR / registration.FILENAME).read_text())
    last = {}   # claim id -> the last amendment that names it, whose stamp the claim carries
    for k, amendment in enumerate(data.get("amendments", []), start=1):
        assert amendment["number"] == k and amendment["reason"] and amendment["commit"]
        last.update({cid: k for cid in amendment["claims"]})
    assert {cid: data["claims"][cid]["amendment"] for cid in last} == last
