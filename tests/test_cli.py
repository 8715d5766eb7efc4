"""CLI: usage errors (exit 2, one line, nothing written), error claims (exit 1), report from the
cache, and a run killed with SIGKILL that resumes to the same results as an uninterrupted one."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from repro.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "claims_fixture"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def cli(*args: str, claims: Path = FIXTURE, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "repro", *args, "--claims-dir", str(claims), "--no-pdf"],
                          capture_output=True, text=True, env=ENV, timeout=120, **kw)


def verdict_numbers(out: Path) -> list:
    """results.json without the timing fields (run times differ between runs, numbers must not)."""
    data = json.loads((out / "results.json").read_text())
    return [(c["id"], c["verdict"], c["tests"]) for c in data["claims"]]


@pytest.mark.parametrize("args, says", [
    (["run", "no-such-claim"], "known ids: fixture-bn-helps, fixture-depth, fixture-broken"),
    (["all", "--seeds", "0"], "--seeds 0"),
    (["all", "--seeds", "-3"], "--seeds -3"),
    (["all", "--jobs", "0"], "--jobs 0"),
    (["all", "--seeds", "many"], "--seeds"),
    (["run"], "at least one claim id"),
    (["frobnicate"], "invalid choice"),
    (["report"], "no cache"),
    (["all", "--scheduler", "tcp://127.0.0.1:1"], "Dask scheduler"),
])
def test_usage_errors_one_line_exit_2_nothing_written(tmp_path, capsys, args, says):
    out = tmp_path / "out"
    code = main([*args, "--out", str(out), "--claims-dir", str(FIXTURE), "--no-pdf"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == "" and captured.err.count("\n") == 1 and captured.err.startswith("repro: error: ")
    assert says in captured.err
    assert not out.exists()


@pytest.mark.parametrize("make_out", ["under_a_file", "is_a_file", "in_proc"])
def test_unwritable_out_exit_2(tmp_path, capsys, make_out):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = {"under_a_file": blocker / "out", "is_a_file": blocker, "in_proc": Path("/proc/repro-out")}[make_out]
    code = main(["run", "fixture-depth", "--out", str(out), "--claims-dir", str(FIXTURE), "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--out" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"] and blocker.read_text() == "x"


def test_list(capsys):
    assert main(["list", "--claims-dir", str(FIXTURE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines[1:]] == ["fixture-bn-helps", "fixture-depth", "fixture-broken"]


def test_error_claim_exit_1_others_finish_then_report_from_cache(tmp_path):
    out = tmp_path / "out"
    done = cli("all", "--out", str(out), "--jobs", "2")
    assert done.returncode == 1, done.stderr
    data = json.loads((out / "results.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    assert verdicts["fixture-broken"] == "error" and "KeyError" in data["claims"][2]["error"]
    assert verdicts["fixture-bn-helps"] != "error" and verdicts["fixture-depth"] != "error"
    assert {"report.html", "results.csv", "cache"} <= {p.name for p in out.iterdir()}
    assert "fixture-broken" in done.stdout and "error in fixture-broken" in done.stderr
    first = verdict_numbers(out)
    (out / "results.json").unlink()
    again = cli("report", "--out", str(out))
    assert again.returncode == 1 and "to train" not in again.stderr and "tuning" not in again.stderr
    assert verdict_numbers(out) == first
    # other seeds are not in the cache: `report` says so and trains nothing
    missing = cli("report", "--out", str(out), "--seeds", "3")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "not in the cache" in missing.stderr


KILL_CLAIM = '''
from repro import Claim, ExperimentSpec, Metric, Superiority

BASE = ExperimentSpec(data="teacher", depth=2, width=8, steps=200, eval_every=50, batch_size=32, lr=0.05)
ACC = Metric("final test accuracy", lambda r: 100 * r["test_acc"][:, -1], unit="% points")
CLAIM = Claim(
    id="kill-{n}", number={n}, title="t", quote="q", speaker="s", hypothesis="h",
    conditions={{"bn": BASE.replace(lr={lr}), "plain": BASE.replace(norm="none", lr={lr})}},
    tests=(Superiority("bn better", metric=ACC, a="bn", b="plain", margin=1.0),), seeds=20,
    fixed_rate=("bn", "plain"))
'''


def test_sigkill_mid_run_then_resume_matches_uninterrupted(tmp_path):
    claims = tmp_path / "claims"
    claims.mkdir()
    for n, lr in enumerate((0.05, 0.1, 0.2), start=1):
        (claims / f"k{n}.py").write_text(textwrap.dedent(KILL_CLAIM.format(n=n, lr=lr)))
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    args = [sys.executable, "-m", "repro", "all", "--claims-dir", str(claims), "--no-pdf", "--jobs", "1"]
    proc = subprocess.Popen([*args, "--out", str(killed)], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and not list((killed / "cache").glob("*.json")):
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (killed / "results.json").exists()
    kept = len(list((killed / "cache").glob("*.json")))
    assert 1 <= kept < 12  # 6 experiments x 2 chunks of 10 seeds: some but not all work was saved
    leftovers = [p for p in (killed / "cache").iterdir() if p.suffix not in (".json", ".npz") and p.name != ".lock"]
    resumed = subprocess.run([*args, "--out", str(killed)], env=ENV, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    # it did not start over: every finished chunk or merged experiment was reused, not retrained
    begun = re.search(r"to train in (\d+) task\(s\); (\d+) found in the cache(?:, (\d+) task\(s\) resumed)?",
                      resumed.stderr)
    to_train, whole, chunks = int(begun[1]), int(begun[2]), int(begun[3] or 0)
    assert whole + chunks >= 1 and to_train == 12 - 2 * whole - chunks
    assert subprocess.run([*args, "--out", str(clean)], env=ENV, capture_output=True, timeout=120).returncode == 0
    assert verdict_numbers(killed) == verdict_numbers(clean)
    assert len(leftovers) <= 1  # at most the one temp file the kill interrupted
