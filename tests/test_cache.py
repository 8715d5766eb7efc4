"""Cache: round trip, atomic visibility, damaged entries detected and recomputed."""
import json
import warnings

import numpy as np
import pytest

from repro.protocol.cache import Cache, CacheWarning
from repro.engine.record import Record
from repro.engine.spec import ExperimentSpec
from repro.engine.train import train

SPEC = ExperimentSpec(data="teacher", depth=1, width=8, steps=20, eval_every=10, batch_size=32)


@pytest.fixture(scope="module")
def record() -> Record:
    return train(SPEC, (0, 1, 2))


def same(a: Record, b: Record) -> bool:
    return (a.spec == b.spec and a.seeds == b.seeds and a.values.keys() == b.values.keys()
            and a.axes.keys() == b.axes.keys()
            and all(np.array_equal(a.values[k], b.values[k], equal_nan=True) and a.values[k].dtype == b.values[k].dtype
                    for k in a.values)
            and all(np.array_equal(a.axes[k], b.axes[k]) for k in a.axes))


def test_round_trip_keeps_every_array_and_dtype(tmp_path, record):
    cache = Cache(tmp_path / "c")
    assert cache.get(SPEC, (0, 1, 2)) is None
    key = cache.put(record)
    assert key == SPEC.key((0, 1, 2))
    got = cache.get(SPEC, (0, 1, 2))
    assert same(got, record) and got.runtime_s == pytest.approx(record.runtime_s)
    meta = json.loads((tmp_path / "c" / f"{key}.json").read_text())
    assert meta["seeds"] == [0, 1, 2] and set(meta["values"]) == set(record.values) and len(meta["sha256"]) == 64


def test_other_seeds_or_spec_miss(tmp_path, record):
    cache = Cache(tmp_path)
    cache.put(record)
    assert cache.get(SPEC, (0, 1)) is None
    assert cache.get(SPEC.replace(lr=0.05), (0, 1, 2)) is None


def test_no_temp_files_left_and_json_marks_completion(tmp_path, record):
    cache = Cache(tmp_path)
    key = cache.put(record)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key}.json", f"{key}.npz"]
    (tmp_path / f"{key}.json").unlink()  # an npz without its json is an unfinished write: a miss, silently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get(SPEC, (0, 1, 2)) is None


@pytest.mark.parametrize("damage", ["truncate_npz", "flip_byte", "delete_npz", "garbage_json", "wrong_spec"])
def test_damaged_entry_warns_with_key_is_a_miss_and_is_overwritten(tmp_path, record, damage):
    cache = Cache(tmp_path)
    key = cache.put(record)
    npz, js = cache.paths(key)
    if damage == "truncate_npz":
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    elif damage == "flip_byte":
        blob = bytearray(npz.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        npz.write_bytes(bytes(blob))
    elif damage == "delete_npz":
        npz.unlink()
    elif damage == "garbage_json":
        js.write_text('{"sha256": ')
    elif damage == "wrong_spec":
        meta = json.loads(js.read_text())
        meta["spec"]["lr"] = 0.5
        js.write_text(json.dumps(meta))
    with pytest.warns(CacheWarning, match=key):
        assert cache.get(SPEC, (0, 1, 2)) is None
    cache.put(record)
    assert same(cache.get(SPEC, (0, 1, 2)), record)
