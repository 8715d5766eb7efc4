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


def full_report(out: Path) -> dict:
    """The bytes of every file of the full report set in `out`."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def adjusted(out: Path) -> dict:
    data = json.loads((out / "results.json").read_text())
    return {c["id"]: c["tests"][0]["p_adjusted"] for c in data["claims"] if c["tests"]}


def test_subset_run_leaves_full_report_and_its_adjusted_p_untouched(tmp_path):
    out = tmp_path / "out"
    assert cli("all", "--quick", "--jobs", "1", "--out", str(out)).returncode == 1  # fixture-broken errors
    before, p_full = full_report(out), adjusted(out)
    assert set(before) == {"report.html", "results.json", "results.csv", "per_seed.csv"}
    subset = cli("run", "fixture-depth", "--quick", "--jobs", "1", "--out", str(out))
    assert subset.returncode == 0, subset.stderr
    assert full_report(out) == before  # not one byte of the full set changed
    where = out / "subset" / "fixture-depth"
    assert f"full report in {out} is unchanged" in subset.stdout and str(where / "report.html") in subset.stdout
    assert ("Holm over all 3 declared claims: 1 from the cache; 1 errored, counted as p = 1 (fixture-broken)"
            in subset.stdout)
    # the subset's Holm family is every declared claim: its adjusted p is the full report's
    assert adjusted(where) == {"fixture-depth": p_full["fixture-depth"]}
    family = json.loads((where / "results.json").read_text())["provenance"]["holm_family"]
    assert family["from_cache"].keys() == {"fixture-bn-helps"} and family["size"] == 3 and family["provisional"]
    # `report ID` re-renders the subset from the cache, also beside the full report
    again = cli("report", "fixture-depth", "--quick", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert full_report(out) == before and adjusted(where) == {"fixture-depth": p_full["fixture-depth"]}


def test_subset_says_how_the_family_was_formed_without_a_cache(tmp_path):
    done = cli("run", "fixture-depth", "--quick", "--jobs", "1", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert ("Holm over all 3 declared claims: 1 not in the cache, counted as p = 1 (fixture-bn-helps); 1 errored, "
            "counted as p = 1 (fixture-broken)") in done.stdout
    assert not (tmp_path / "out" / "results.json").exists()


def test_cache_separate_from_out(tmp_path):
    cache, first, second = tmp_path / "cache", tmp_path / "first", tmp_path / "second"
    assert cli("run", "fixture-depth", "fixture-bn-helps", "--quick", "--jobs", "1", "--out", str(first),
               "--cache", str(cache)).returncode == 0
    assert any(cache.glob("*.npz")) and not (first / "cache").exists()
    rendered = cli("report", "fixture-depth", "fixture-bn-helps", "--quick", "--out", str(second),
                   "--cache", str(cache))
    assert rendered.returncode == 0, rendered.stderr
    assert "to train" not in rendered.stderr
    assert verdict_numbers(second / "subset" / "fixture-depth+fixture-bn-helps") == \
        verdict_numbers(first / "subset" / "fixture-depth+fixture-bn-helps")


@pytest.mark.parametrize("args, says", [
    (["list", "--seeds", "3"], "`list` does not take --seeds 3 (see repro list --help)"),
    (["report", "--scheduler", "tcp://x:1"], "`report` does not take --scheduler"),
    (["list", "--quick"], "`list` does not take --quick"),
    ([], "required: COMMAND"),
])
def test_options_only_where_they_apply(capsys, args, says):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


def test_each_subcommand_has_its_own_help(capsys):
    assert main(["list", "--help"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("usage: repro list") and "--seeds" not in listing
    assert main(["run", "--help"]) == 0
    run_help = capsys.readouterr().out
    assert run_help.startswith("usage: repro run") and "--cache DIR" in run_help and "--jobs" in run_help
    assert main(["report", "--help"]) == 0
    assert "--jobs" not in capsys.readouterr().out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert re.fullmatch(r"repro \S+.*\n", capsys.readouterr().out)


def test_recorded_command_is_what_the_user_typed(tmp_path):
    from repro.protocol.provenance import command_line
    assert command_line(["/x/site-packages/repro/__main__.py", "all", "--quick"]) == "python -m repro all --quick"
    assert command_line(["/venv/bin/repro", "run", "a b"]) == "repro run 'a b'"
    out = tmp_path / "out"
    cli("run", "fixture-depth", "--quick", "--jobs", "1", "--out", str(out))
    command = json.loads((out / "subset" / "fixture-depth" / "results.json").read_text())["provenance"]["command"]
    assert command.startswith("python -m repro run fixture-depth --quick")
