"""A broken claim file (syntax error, exception or SpecError at import, no CLAIM) is reported in one
line with its file and line; the other claims still load, run and report, in the CLI and in pytest."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from repro.claimfiles import load_claims_with_broken
from repro.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "claims_fixture"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
BROKEN = {
    "b1_syntax.py": "x = 1\nCLAIM = Claim(id='b1'\n",
    "b2_spec_error.py": "from repro import ExperimentSpec\n\nSPEC = ExperimentSpec(lr=-1.0)\n",
    "b3_no_claim.py": "X = 1\n",
}


@pytest.fixture
def claims_dir(tmp_path) -> Path:
    """A claims/ directory with one good fixture claim and three broken files."""
    d = tmp_path / "claims"
    d.mkdir()
    for name in ("_tiny.py", "f2_depth.py"):
        shutil.copy(FIXTURE / name, d / name)
    for name, text in BROKEN.items():
        (d / name).write_text(text)
    return d


def test_loader_returns_the_good_claims_and_each_broken_file_with_line_and_message(claims_dir):
    claims, broken = load_claims_with_broken(claims_dir)
    assert [c.id for c in claims] == ["fixture-depth"]
    got = {b.path.name: (b.line, b.message) for b in broken}
    assert got["b1_syntax.py"][0] == 2 and got["b1_syntax.py"][1].startswith("SyntaxError")
    assert got["b2_spec_error.py"][0] == 3 and got["b2_spec_error.py"][1].startswith("SpecError: lr=-1.0")
    assert "define CLAIM" in got["b3_no_claim.py"][1]
    assert all("\n" not in str(b) for b in broken)


def test_list_shows_broken_files_one_line_each_exit_1(claims_dir, capsys):
    code = main(["list", "--claims-dir", str(claims_dir)])
    out, err = capsys.readouterr()
    assert code == 1 and err == "" and "Traceback" not in out
    assert "fixture-depth" in out
    assert f"{claims_dir / 'b1_syntax.py'}:2: SyntaxError" in out
    assert f"{claims_dir / 'b2_spec_error.py'}:3: SpecError" in out
    assert sum("BROKEN" in line for line in out.splitlines()) == 3


def test_all_warns_runs_the_rest_reports_broken_and_exits_1(claims_dir, tmp_path):
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "repro", "all", "--quick", "--jobs", "1", "--no-pdf", "--out", str(out),
                        "--claims-dir", str(claims_dir)], capture_output=True, text=True, env=ENV, timeout=300)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    warnings = [line for line in p.stderr.splitlines() if "broken claim file" in line]
    assert len(warnings) == 3 and any("b2_spec_error.py:3: SpecError" in w for w in warnings)
    data = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in data["claims"]] == ["fixture-depth"] and data["claims"][0]["verdict"] != "error"
    assert len(data["provenance"]["broken_claim_files"]) == 3
    assert "b1_syntax.py:2: SyntaxError" in (out / "report.html").read_text()


def test_pytest_shows_a_broken_file_as_one_failing_item_and_runs_the_others(claims_dir):
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rA",
                        "--repro-quick", "--repro-jobs", "1", str(claims_dir)],
                       capture_output=True, text=True, env=ENV, timeout=300, cwd=claims_dir.parent)
    assert "error during collection" not in p.stdout and "Interrupted" not in p.stdout, p.stdout
    failed = [line for line in p.stdout.splitlines() if line.startswith("FAILED")]
    assert sorted(f.split("::")[0] for f in failed) == [f"FAILED claims/{n}" for n in sorted(BROKEN)], p.stdout
    assert "PASSED claims/f2_depth.py::fixture-depth" in p.stdout or "claims/f2_depth.py::fixture-depth" in p.stdout
    assert "broken claim file" in p.stdout and "b2_spec_error.py:3: SpecError" in p.stdout
    assert "fixture-depth" in p.stdout and p.stdout.count("Traceback") == 0
