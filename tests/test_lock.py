"""Two runs on one output: the second waits for the first (one line saying so) and then reuses its
cached work instead of training everything again."""
import os
import subprocess
import sys
import time
from pathlib import Path

from repro.protocol.cache import Cache

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "claims_fixture"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "repro", "run", "fixture-depth", "--quick", "--jobs", "1",
                             "--no-pdf", "--out", str(out), "--claims-dir", str(FIXTURE)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def test_second_run_waits_then_reuses_the_first_runs_cache(tmp_path):
    out = tmp_path / "out"
    cache = Cache(out / "cache")
    with cache.lock():  # hold the lock so that both runs start while it is taken: the order is then fixed
        first = start(out)
        time.sleep(3)   # let the first run queue on the lock before the second
        second = start(out)
        time.sleep(3)
    a_out, a_err = first.communicate(timeout=300)
    b_out, b_err = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, a_err + b_err
    for err in (a_err, b_err):
        waits = [line for line in err.splitlines() if "waiting for repro run pid" in line and "to release the cache at" in line]
        assert len(waits) == 1 and str(cache.root) in waits[0]
    trained = [out_err for out_err in (a_out + a_err, b_out + b_err) if "0 experiment(s) to train" not in out_err]
    assert len(trained) == 1, (a_out + a_err, b_out + b_err)   # exactly one of them trained
    assert "3 found in the cache" in (b_out + b_err) or "3 found in the cache" in (a_out + a_err)


def test_lock_is_exclusive_between_processes(tmp_path):
    cache = Cache(tmp_path / "c")
    code = ("import sys, time; from repro.protocol.cache import Cache\n"
            "with Cache(sys.argv[1]).lock(on_wait=lambda: print('waited', flush=True)): print('got', flush=True)")
    with cache.lock():
        p = subprocess.Popen([sys.executable, "-c", code, str(cache.root)], stdout=subprocess.PIPE, text=True, env=ENV)
        assert p.stdout.readline().strip() == "waited"
        time.sleep(0.5)
        assert p.poll() is None  # still blocked while we hold it
    assert p.communicate(timeout=60)[0].strip() == "got" and p.returncode == 0
