"""The pytest plugin's messages format numbers as the report does, and its Holm family is every claim."""
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from repro.pytest_plugin import primary_line, recorded_line
from repro.stats import TestResult as Result

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "claims_fixture"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_primary_line_formats_numbers_as_the_report():
    t = Result(name="bn better", kind="superiority", metric="acc", unit="% points", estimate=3.14159265,
                   ci=(1.23456789, 5.0000001), ci_level=0.9, p=0.000012345, p_adjusted=0.0258123456,
                   effect_size=1.2345, n_seeds=24, n_diverged=0, power=0.9999999422430301, margin=1.0,
                estimate_rel=None, ci_method="t", effect_size_name="d_z")
    line = primary_line(SimpleNamespace(tests=[t]))
    assert "power" not in line and "0.9999999" not in line   # no power beside a margin test
    assert "estimate 3.14\u00a0%\u00a0points" in line and "CI [1.23, 5.00]" in line
    assert "p <\u00a00.0001" in line and "Holm p 0.026" in line and "stopped at 24 seeds" in line
    rec = SimpleNamespace(protocol=2, date="2026-01-01", verdict="supported", estimate=3.141592, ci=(1.0, 5.33333333),
                          n_seeds=24)
    assert "estimate 3.14, CI [1, 5.33]" in recorded_line(rec)


def test_deselected_claims_stay_in_the_holm_family(tmp_path):
    """-k picks one claim; its Holm p is adjusted over the claims of its directory, cached ones included."""
    claims = tmp_path / "claims"
    claims.mkdir()
    for f in FIXTURE.glob("*.py"):
        if f.name != "f3_broken.py":
            (claims / f.name).write_text(f.read_text())
    out = tmp_path / "out"
    args = [sys.executable, "-m", "pytest", str(claims), "--repro-quick", "--repro-jobs", "1", "--repro-out", str(out),
            "-p", "repro.pytest_plugin", "-p", "no:cacheprovider", "-q", "-rA", "--rootdir", str(tmp_path), "-o", "junit_family=xunit2"]
    both = subprocess.run([*args, "--junitxml", str(tmp_path / "both.xml")], env=ENV, capture_output=True, text=True,
                          timeout=300)
    assert both.returncode == 0, both.stdout + both.stderr
    one = subprocess.run([*args, "-k", "depth", "--junitxml", str(tmp_path / "one.xml")], env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert one.returncode == 0 and "1 passed, 1 deselected" in one.stdout, one.stdout + one.stderr
    xml = (tmp_path / "one.xml").read_text()
    assert "Holm over all 2 declared claims: 1 from the cache" in xml
