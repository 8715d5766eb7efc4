"""Reliability (issue 26): workers die with their parent, the cache lock names its holder, is bounded
and taken over when stale, interrupts are immediate, the kernel set is part of a record, killed
runs' temporary files are cleaned, `repro verify` names a forged entry."""
import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

from repro.engine.spec import ExperimentSpec
from repro.engine.train import train
from repro.protocol import cache as cache_mod
from repro.protocol import lock, verify
from repro.protocol.cache import Cache, CacheWarning
from repro.protocol.training import Training, _Inline
from repro.protocol.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
SPEC = ExperimentSpec(data="teacher", depth=1, width=8, steps=20, eval_every=10, batch_size=32)
SEEDS = (0, 1, 2)


def gone(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie counts as gone: it runs nothing and holds no lock)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state == "Z"
    except (OSError, IndexError):
        return True


def wait_gone(pids, seconds: float) -> list[int]:
    """The pids still alive after waiting up to `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.2)
    return [p for p in pids if not gone(p)]


# --- 1. children die with their parent; a stale lock is seen as stale --------------------------------

PARENT = textwrap.dedent("""
    import sys, time
    from repro.protocol.cache import Cache
    from repro.protocol.workers import Pool
    with Cache(sys.argv[1]).lock():
        pool = Pool(2)
        futures = [pool.submit(time.sleep, 120) for _ in range(2)]
        while len(pool.pids()) < 2:
            time.sleep(0.1)
        time.sleep(1.0)  # the workers have run their initializer and started sleeping
        print(" ".join(map(str, pool.pids())), flush=True)
        time.sleep(120)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_parent_alone_ends_its_workers_and_frees_the_cache(tmp_path, sig):
    root = tmp_path / "cache"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(root)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and not any(gone(p) for p in workers)
        os.kill(parent.pid, sig)   # the parent only, not its process group
        parent.wait(timeout=10)
        assert wait_gone(workers, 10) == []
        notes = []
        with Cache(root).lock(timeout=10, log=notes.append):   # free at once: nobody holds it
            pass
        assert any(f"pid {parent.pid}" in n and "ended without releasing" in n for n in notes), notes
    finally:
        parent.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_repro_process_alone_mid_training_leaves_nothing_behind(tmp_path, sig):
    """The issue's case: `repro run ... &`, then kill of the repro process only (not its group)."""
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "repro", "run", "bn-trains-very-deep-networks", "--quick",
                            "--jobs", "2", "--no-pdf", "--out", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_descendants(run.pid)) < 2:
            time.sleep(0.2)
        workers = _descendants(run.pid)
        assert len(workers) >= 2
        time.sleep(1.0)
        os.kill(run.pid, sig)
        run.wait(timeout=10)
        assert wait_gone(workers, 10) == []
        with Cache(out / "cache").lock(timeout=5):   # the next run gets the cache at once
            pass
    finally:
        run.kill()
        for pid in workers if "workers" in locals() else []:   # never leave orphans behind, even on failure
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


ORPHANED = textwrap.dedent("""
    import fcntl, os, sys, time
    from repro.protocol import lock
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    name = lock.me().to_json() if sys.argv[2] == "self" else sys.argv[2]   # "": an older repro names none
    os.write(fd, name.encode())
    child = os.fork()
    if child == 0:         # the orphan (a worker) keeps the inherited descriptor, hence the lock
        time.sleep(120)
        os._exit(0)
    print(os.getpid(), child, flush=True)   # the process that took the lock is killed
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("who", ["dead pid", "reused pid", "no name"])
def test_lock_held_by_orphans_of_a_dead_run_is_taken_over(tmp_path, who):
    """A killed run's orphaned workers keep the flock; the holder the file names is gone (or its pid
    now belongs to a process with another start time, or the file names none and the flock's owner
    in /proc/locks is gone): the next run takes the lock over and says so."""
    root = tmp_path / "cache"
    root.mkdir()
    reused = lock.Holder(lock.socket.gethostname(), os.getpid(), 1, "2026-12-02T22:51:00+00:00")
    name = {"dead pid": "self", "reused pid": reused.to_json(), "no name": ""}[who]
    locker = subprocess.Popen([sys.executable, "-c", ORPHANED, str(root / ".lock"), name], stdout=subprocess.PIPE,
                              text=True, env=ENV)
    parent, child = map(int, locker.stdout.readline().split())
    locker.wait(timeout=30)
    try:
        assert not gone(child) and lock.flock_owner(root / ".lock") == parent
        notes = []
        t0 = time.monotonic()
        with Cache(root).lock(timeout=20, log=notes.append):
            assert lock.read_holder(root / ".lock").pid == os.getpid()
        assert time.monotonic() - t0 < 10
        named = f"pid {os.getpid()} started 22:51" if who == "reused pid" else f"pid {parent}"
        assert any("taking the lock over" in n and named in n for n in notes), notes
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_live_holder_is_named_and_the_wait_is_bounded(tmp_path):
    cache = Cache(tmp_path / "c")
    seen = []
    with cache.lock():
        t0 = time.monotonic()
        with pytest.raises(lock.LockTimeout, match=f"pid {os.getpid()} started .*after 0.5 s"):
            with Cache(cache.root).lock(on_wait=seen.append, timeout=0.5):
                pass
        assert time.monotonic() - t0 < 5
    assert len(seen) == 1 and seen[0].pid == os.getpid() and seen[0].start == lock.process_start(os.getpid())
    message = lock.waiting_message(cache.root, seen[0], None)
    assert f"waiting for repro run pid {os.getpid()} started" in message and str(cache.root) in message
    assert "--lock-timeout" in message
    with Cache(cache.root).lock(timeout=0.5):   # released: no wait
        pass


def test_temp_files_of_a_killed_run_are_removed_when_the_lock_is_taken(tmp_path):
    cache = Cache(tmp_path)
    key = cache.put(train(SPEC, SEEDS))
    leftovers = [tmp_path / f".{key}.npz.abc123.tmp", tmp_path / "figures" / ".x.png.q1w2.tmp"]
    for p in leftovers:
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"half")
    with cache.lock():
        pass
    assert not any(p.exists() for p in leftovers)
    assert cache.get(SPEC, SEEDS) is not None


# --- 2. interrupts are immediate and idempotent -------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout.split()
    children: dict[int, list[int]] = {}
    for child, parent in zip(map(int, out[::2]), map(int, out[1::2])):
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("interrupts", [1, 2])
def test_ctrl_c_stops_a_run_at_once_and_leaves_no_process(tmp_path, interrupts):
    run = subprocess.Popen([sys.executable, "-m", "repro", "run", "bn-trains-very-deep-networks", "--quick",
                            "--jobs", "2", "--no-pdf", "--out", str(tmp_path / "out")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                           start_new_session=True)   # its own process group, as a terminal's foreground job
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.extend(run.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_descendants(run.pid)) < 2:   # both workers training
            time.sleep(0.2)
        workers = _descendants(run.pid)
        assert len(workers) >= 2, "".join(err)
        time.sleep(1.0)
        t0 = time.monotonic()
        for _ in range(interrupts):
            os.killpg(run.pid, signal.SIGINT)   # what Ctrl-C in the terminal does
            time.sleep(0.3)
        rc = run.wait(timeout=15)
        assert time.monotonic() - t0 < 10
        # 130 from repro's handler; a second Ctrl-C during the interpreter's own exit ends it by SIGINT (-2)
        assert rc in ((130,) if interrupts == 1 else (130, -signal.SIGINT)) and wait_gone(workers, 5) == []
        reader.join(timeout=5)
        if rc == 130:
            assert "interrupted" in "".join(err) and "Traceback" not in "".join(err)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert not list((tmp_path / "out" / "cache").glob(".*.tmp"))


# --- 3. verify by recomputation -----------------------------------------------------------------------

def test_verify_names_an_entry_forged_with_consistent_checksums(tmp_path):
    cache = Cache(tmp_path)
    honest = cache.put(train(SPEC, SEEDS))
    other_spec = SPEC.replace(lr=0.05)
    forged = train(other_spec, SEEDS)
    forged.values["test_acc"] = forged.values["test_acc"].copy()
    forged.values["test_acc"][1, -1] = 0.09
    forged_key = cache.put(forged)   # through the cache's own put: every checksum is consistent
    assert cache.get(other_spec, SEEDS) is not None   # so the cache itself cannot tell
    outcome = verify.verify(cache, verify.entry_keys(cache))
    assert sorted(outcome.checked) == sorted([honest, forged_key])
    assert list(outcome.differing) == [forged_key]
    assert "test_acc" in outcome.differing[forged_key] and "[1]" in outcome.differing[forged_key]
    entry = verify.record(cache, outcome, selection="all of the cache", seed=None)
    last = verify.last_verification(cache.root)
    assert last == entry and last["entries_checked"] == 2 and last["entries_differing"] == 1
    assert "2 of 2 entries re-trained" in verify.describe(last) and "1 differed" in verify.describe(last)
    assert verify.describe(None).startswith("never verified")


def test_verify_sample_is_seeded_and_at_least_one():
    keys = [f"k{i}" for i in range(40)]
    assert verify.sample(keys, 0.1, 3) == verify.sample(keys, 0.1, 3) and len(verify.sample(keys, 0.1, 3)) == 4
    assert len(verify.sample(keys[:3], 0.1, 0)) == 1 and verify.sample([], 0.5, 0) == []
    with pytest.raises(ValueError, match="fraction"):
        verify.sample(keys, 0, 0)


def test_training_exposes_the_hash_of_every_entry_it_used(tmp_path):
    cache = Cache(tmp_path)
    training = Training(cache, _Inline(), Progress(enabled=False))
    training.fill([("c", "a", SPEC, SEEDS)], "phase")
    key = SPEC.key(SEEDS)
    hashes = training.entry_hashes()
    meta = json.loads(cache.paths(key)[1].read_text())
    assert hashes == {key: meta["sha256"]}
    again = Training(Cache(tmp_path), _Inline(), Progress(enabled=False))
    again.fill([("c", "a", SPEC, SEEDS)], "phase")   # from the cache now: the same hash
    assert again.entry_hashes() == hashes
    elsewhere = Training(Cache(tmp_path / "other"), _Inline(), Progress(enabled=False))
    elsewhere.fill([("c", "a", SPEC, SEEDS)], "phase")   # trained again: the same bytes, the same hash
    assert elsewhere.entry_hashes() == hashes


# --- 4. the kernel set is part of what a record is ----------------------------------------------------

FAKE = "OpenBLAS FakeAVX512"


def as_kernels(monkeypatch, name: str) -> None:
    """Make this process train and read the cache as if its BLAS used the kernels `name`."""
    import repro.engine.train as engine_train
    monkeypatch.setattr(engine_train, "loaded_kernels", lambda: name)
    monkeypatch.setattr(cache_mod, "current_kernels", lambda: name)


def fill(root: Path) -> dict:
    training = Training(Cache(root), _Inline(), Progress(enabled=False))
    return training.fill([("c", "a", SPEC, SEEDS), ("c", "b", SPEC.replace(depth=2), SEEDS)], "phase")


def test_a_default_run_after_another_kernel_sets_run_reuses_none_of_its_records(tmp_path, monkeypatch):
    default = cache_mod.current_kernels()
    with monkeypatch.context() as m:
        as_kernels(m, FAKE)
        first = fill(tmp_path)
        assert {e.record.kernels for e in first.values()} == {FAKE}
    assert (tmp_path / "kernels-OpenBLAS-FakeAVX512").is_dir()
    assert not list(tmp_path.glob("*.json"))   # the root keeps the default kernels' records, as before
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # and a namespaced record is not even looked at
        second = fill(tmp_path)
    assert {e.record.kernels for e in second.values()} == {default}
    assert all(e.record.runtime_s != first[k].record.runtime_s for k, e in second.items())   # retrained
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(f"{k}.json" for k in second)


def test_a_record_of_other_kernels_in_the_root_is_refused_loudly_once(tmp_path, monkeypatch):
    """E.g. a cache an AVX-512 run filled before the namespaces existed."""
    for r in (train(SPEC, SEEDS), train(SPEC.replace(depth=2), SEEDS)):
        r.kernels = FAKE
        other = Cache(tmp_path, kernels=FAKE)
        other.put(r)
        for src in other.paths(r.spec.key(r.seeds)):   # into the root, where an older repro wrote it
            src.replace(tmp_path / src.name)
    fresh = Cache(tmp_path)
    with pytest.warns(CacheWarning) as caught:
        assert fresh.get(SPEC, SEEDS) is None and fresh.get(SPEC.replace(depth=2), SEEDS) is None
    messages = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    assert len(messages) == 1 and FAKE in messages[0] and repr(fresh.kernels) in messages[0]
    # the same cache read with those kernels: the old root entry is found and moved to its namespace
    with monkeypatch.context() as m:
        as_kernels(m, FAKE)
        mine = Cache(tmp_path)
        got = mine.get(SPEC, SEEDS)
        assert got is not None and got.kernels == FAKE
        assert mine.paths(SPEC.key(SEEDS))[1].exists() and not (tmp_path / f"{SPEC.key(SEEDS)}.json").exists()


def test_default_records_keep_their_paths():
    assert cache_mod.namespace(cache_mod.current_kernels()) == "" and cache_mod.namespace("") == ""
    assert cache_mod.namespace("OpenBLAS SkylakeX") == "kernels-OpenBLAS-SkylakeX"
    assert cache_mod.namespace("OpenBLAS Haswell, OpenBLAS SkylakeX") == "kernels-OpenBLAS-Haswell-OpenBLAS-SkylakeX"


def test_verify_command_names_the_forged_entry_and_records_the_check(tmp_path, capsys):
    cache = Cache(tmp_path / "cache")
    forged = train(SPEC, SEEDS)
    forged.values["test_acc"] = forged.values["test_acc"] * 0 + 0.09
    key = cache.put(forged)
    parser = argparse.ArgumentParser()
    verify.add_arguments(parser)
    assert verify.main(parser.parse_args(["--cache", str(cache.root), "--jobs", "1"])) == 1   # default: a sample
    out = capsys.readouterr().out
    assert f"DIFFERS {key}: value 'test_acc' differs for seed(s) [0, 1, 2]" in out
    assert "verified 1 of 1 entries (sample 10% of the cache, seed " in out
    last = verify.last_verification(cache.root)
    assert last["entries_differing"] == 1 and key in last["differing"] and last["sample_seed"] is not None
    cache.put(train(SPEC, SEEDS))   # the honest record back: verified clean
    assert verify.main(parser.parse_args(["--cache", str(cache.root), "--all", "--jobs", "1"])) == 0
    assert verify.last_verification(cache.root)["entries_differing"] == 0
    assert len(verify.read_history(cache.root)) == 2


def test_a_path_that_is_not_utf8_is_refused_with_the_option_and_byte():
    from repro.protocol.paths import PathNotText, require_utf8
    require_utf8(Path("/tmp/ok-é"), "--out")
    require_utf8(b"/tmp/ok", "--cache")
    bad = os.fsdecode(b"/tmp/r-\xff")   # how Python hands such an argument to us
    with pytest.raises(PathNotText, match=r"--out /tmp/r-\\xff: the path holds the byte 0xff, which is not UTF-8"):
        require_utf8(Path(bad), "--out")
    with pytest.raises(PathNotText, match="0xfe"):
        require_utf8(b"/tmp/\xfe", "--cache")


def test_a_lock_whose_file_names_a_dead_run_but_a_live_process_holds_is_not_taken(tmp_path):
    """An older repro (it writes no name) locks a file still naming a killed run: the live owner wins."""
    root = tmp_path / "cache"
    root.mkdir()
    ended = subprocess.Popen(["true"])
    ended.wait()
    (root / ".lock").write_text(lock.Holder(lock.socket.gethostname(), ended.pid, 1, "2026-12-02T22:00:00").to_json())
    code = ("import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDWR)\nfcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\ntime.sleep(120)")
    live = subprocess.Popen([sys.executable, "-c", code, str(root / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert live.stdout.readline().strip() == "held"
        with pytest.raises(lock.LockTimeout):
            with Cache(root).lock(timeout=2, log=pytest.fail):
                pass
    finally:
        live.kill()
        live.wait()
