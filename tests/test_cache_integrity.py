"""Cache integrity beyond the checksum: the key covers the engine's source, and an entry whose
arrays do not fit the spec and seeds (cut seeds, wrong step axes, permuted seed rows) is
recomputed even when its checksum was recomputed to match."""
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from repro.engine import fingerprint
from repro.protocol.cache import Cache, CacheWarning
from repro.engine.record import Record
from repro.engine.spec import ExperimentSpec
from repro.engine.train import train

SPEC = ExperimentSpec(data="teacher", depth=1, width=8, steps=20, eval_every=10, batch_size=32,
                      probes=("activations",), probe_steps=(0, 20))
SEEDS = (0, 1, 2)
PACKAGE = Path(fingerprint.__file__).parent.parent
KEY_OF_A_SPEC = "from repro.engine.spec import ExperimentSpec; print(ExperimentSpec().key((0, 1)))"


@pytest.fixture(scope="module")
def record() -> Record:
    return train(SPEC, SEEDS)


def key_in(tree: Path) -> str:
    return subprocess.run([sys.executable, "-c", KEY_OF_A_SPEC], env={"PYTHONPATH": str(tree), "PATH": ""}, cwd=tree,
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def test_editing_an_engine_file_changes_every_key_other_files_do_not(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(PACKAGE, tree / "repro", ignore=shutil.ignore_patterns("__pycache__"))
    before = key_in(tree)
    with open(tree / "repro" / "report" / "render.py", "a") as f:
        f.write("\n# a report edit does not change any number\n")
    assert key_in(tree) == before
    with open(tree / "repro" / "engine" / "optim.py", "a") as f:
        f.write("\n# an edit to the engine\n")
    assert key_in(tree) != before


def test_key_follows_the_fingerprint(monkeypatch):
    before = SPEC.key(SEEDS)
    monkeypatch.setattr("repro.engine.spec.engine_fingerprint", lambda: "edited-engine")
    assert SPEC.key(SEEDS) != before


def test_engine_modules_cover_what_a_training_run_imports():
    code = ("import sys, repro.engine.train, repro.engine.geometry; "
            "print(' '.join(sorted(m.split('.', 1)[1].replace('.', '/') for m in sys.modules if m.startswith('repro.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         env={"PYTHONPATH": str(PACKAGE.parent), "PATH": ""})
    imported = {"engine/__init__" if m == "engine" else m for m in out.stdout.split()}  # the package repro.engine
    # repro/__init__ also imports the claim machinery for users (the claim, its recorded result, the tests'
    # statistics and their checks); those compute no record
    machinery = {"claim", "recorded", "stats", "effects", "power", "verdicts", "sequential", "checks"}
    assert imported - machinery - {"engine/fingerprint"} <= set(fingerprint.ENGINE_MODULES)


def test_every_module_of_the_engine_package_is_hashed():
    # a new file in repro/engine/ is engine code by its place: the fixed list must name it
    on_disk = {f"engine/{p.stem}" for p in (PACKAGE / "engine").glob("*.py")} - {"engine/fingerprint"}
    assert on_disk <= set(fingerprint.ENGINE_MODULES), f"add {sorted(on_disk - set(fingerprint.ENGINE_MODULES))}"


def tamper(cache: Cache, key: str, change) -> None:
    """Rewrite an entry's arrays with `change(name, array)` and recompute its checksum (a consistent forgery)."""
    npz, js = cache.paths(key)
    with np.load(npz) as z:
        arrays = {n: change(n, z[n]) for n in z.files}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    npz.write_bytes(buf.getvalue())
    meta = json.loads(js.read_text())
    meta["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    js.write_text(json.dumps(meta))


@pytest.mark.parametrize("damage, reason", [
    (lambda n, a: a[:1] if n.startswith("value:") else a, "leading \\(seed\\) axis must be 3"),
    (lambda n, a: a[::-1] if n.startswith("value:") else a, "another order"),
    (lambda n, a: a[:, ::-1] if n == "value:test_acc" else a, "rows of seed"),
    (lambda n, a: a[:-1] if n == "axis:eval_step" else a, "axis 'eval_step'"),
    (lambda n, a: a[:, :5] if n == "value:batch_loss" else a, "batch_loss"),
    (lambda n, a: a[:, :1] if n == "value:probe/act_mean" else a, "probe_steps"),
])
def test_forged_entry_that_does_not_fit_is_recomputed(tmp_path, record, damage, reason):
    cache = Cache(tmp_path)
    key = cache.put(record)
    tamper(cache, key, damage)
    with pytest.warns(CacheWarning, match=f"{key}.*{reason}"):
        assert cache.get(SPEC, SEEDS) is None
    cache.put(record)
    got = cache.get(SPEC, SEEDS)
    assert got is not None and np.array_equal(got["test_acc"], record["test_acc"])


def test_entry_without_seed_digests_is_recomputed(tmp_path, record):
    cache = Cache(tmp_path)
    key = cache.put(record)
    js = cache.paths(key)[1]
    meta = json.loads(js.read_text())
    del meta["seed_digests"]
    js.write_text(json.dumps(meta))
    with pytest.warns(CacheWarning, match="per-seed digests"):
        assert cache.get(SPEC, SEEDS) is None
