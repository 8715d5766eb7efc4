"""The replication check (repro.protocol.replication): the recorded run's first seeds, retrained,
must match byte for byte; a changed row, rate or missing condition is named."""
import copy
import json

import pytest

from repro.claim import CLAIMS_DIR
from repro.claimfiles import load_claims, load_one
from repro.protocol import replication
from repro.protocol.cache import Cache
from repro.protocol.progress import Progress
from repro.protocol.runner import run
from repro.protocol.training import Training, _Inline
from repro.protocol.tuning import PROTOCOL_VERSION

from test_broken_claims import FIXTURE


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A fixture claim's default run and the replication content `repro record` would write for it."""
    claim = load_one(FIXTURE / "f2_depth.py")
    cache = Cache(tmp_path_factory.mktemp("cache"))
    result = run([claim], cache=cache, jobs=1)
    return claim, cache, replication.block(result.claims, cache.kernels)


def fresh_training(cache):
    return Training(cache, _Inline(), Progress(enabled=False))


def test_the_recorded_first_seeds_replicate(recorded):
    claim, cache, content = recorded
    assert content["seeds"] == [0, 1, 2] and set(content["claims"][claim.id]) == set(claim.conditions)
    assert replication.replicate([claim], content, fresh_training(cache)) == {claim.id: []}


def test_a_changed_row_or_rate_is_named(recorded):
    claim, cache, content = recorded
    changed = copy.deepcopy(content)
    changed["claims"][claim.id]["d2"]["digests"][1] = "0" * 16
    problems = replication.replicate([claim], changed, fresh_training(cache))[claim.id]
    assert len(problems) == 1 and "'d2'" in problems[0] and "seed(s) [1]" in problems[0]
    assert claim.is_tuned("d1")
    other = copy.deepcopy(content)
    other["claims"][claim.id]["d1"]["lr"] *= 3
    problems = replication.replicate([claim], other, fresh_training(cache))[claim.id]
    assert "'d1'" in problems[0] and "seed(s) [0, 1, 2]" in problems[0] and "cache key differs" in problems[0]


def test_a_missing_condition_or_file_says_how_to_fix_it(recorded, tmp_path):
    claim, cache, content = recorded
    partial = copy.deepcopy(content)
    del partial["claims"][claim.id]["d2 tanh"]
    problems = replication.replicate([claim], partial, fresh_training(cache))[claim.id]
    assert "'d2 tanh'" in problems[0] and "repro record" in problems[0]
    with pytest.raises(replication.ReplicationError, match="repro record"):
        replication.load(tmp_path / "replication.json")
    (tmp_path / "replication.json").write_text("{not json")
    with pytest.raises(replication.ReplicationError, match="unreadable"):
        replication.load(tmp_path / "replication.json")


def test_the_shipped_file_covers_every_condition_of_every_claim():
    content = json.loads((CLAIMS_DIR / replication.REPLICATION_FILE).read_text())
    assert content["protocol"] == PROTOCOL_VERSION and content["seeds"] == list(replication.SEEDS)
    for claim in load_claims(CLAIMS_DIR):
        assert set(content["claims"][claim.id]) == set(claim.conditions), claim.id
        for cond, entry in content["claims"][claim.id].items():
            assert len(entry["digests"]) == len(replication.SEEDS) and entry["lr"] > 0, (claim.id, cond)
