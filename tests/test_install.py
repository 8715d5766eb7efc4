"""A built wheel works without the checkout: `pip install` it into a fresh venv, then use it from
another directory (the console script, the shipped claims and templates, the pytest11 plugin).

The wheel is built from a copy of the package's sources (repro/, claims/, templates/, pyproject.toml,
README.md), so the checkout gets no build/ or .egg-info. The fresh venv sees this environment's
packages through a .pth line (numpy, pytest, ...: no network for them) but has its own repro:
every test checks that the repro it runs is the installed one.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "claims_fixture"
SOURCES = ("repro", "claims", "templates", "pyproject.toml", "README.md")
N_CLAIMS = len(list((ROOT / "claims").glob("c*.py")))  # the checkout's claims, which the wheel ships


def sh(*args, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with the wheel built from this checkout installed (not editable)."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, src / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                          if (ROOT / name).is_dir() else {})) if src.exists() or src.mkdir() is None else None
    built = sh(sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-w", tmp / "dist", cwd=tmp)
    assert built.returncode == 0, built.stderr
    wheel, = (tmp / "dist").glob("repro-*.whl")
    env = tmp / "venv"
    made = sh(sys.executable, "-m", "venv", "--without-pip", env, cwd=tmp)
    assert made.returncode == 0, made.stderr
    python = env / "bin" / "python"
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).stdout.strip())
    (site / "_repro_test_parent_env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = sh(python, "-m", "pip", "install", "--no-index", "--no-deps", "--ignore-installed", wheel, cwd=tmp)
    assert installed.returncode == 0, installed.stderr
    where = sh(python, "-c", "import repro; print(repro.__file__)", cwd=tmp).stdout
    assert where.startswith(str(site)), where
    return env


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working directory with no checkout around it."""
    (tmp_path / "cwd").mkdir()
    return tmp_path / "cwd"


def test_installed_version_and_list(venv, elsewhere):
    version = sh(venv / "bin" / "repro", "--version", cwd=elsewhere)
    assert version.returncode == 0 and version.stdout.strip() == "repro 0.1.0"
    listing = sh(venv / "bin" / "repro", "list", cwd=elsewhere)
    assert listing.returncode == 0, listing.stderr
    rows = listing.stdout.splitlines()[1:]
    assert len(rows) == N_CLAIMS and rows[0].startswith("xavier-unnecessary-with-bn")


def test_installed_all_quick_writes_the_report(venv, elsewhere):
    claims = elsewhere / "claims"  # the tiny fixture claims (the shipped claims take minutes in --quick)
    shutil.copytree(FIXTURE, claims, ignore=shutil.ignore_patterns("__pycache__", "f3_broken.py"))
    done = sh(venv / "bin" / "repro", "all", "--quick", "--jobs", "1", "--out", "D", "--no-pdf",
              "--claims-dir", claims, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    html = (elsewhere / "D" / "report.html").read_text()
    assert "BN helps a tiny net" in html and "<style" in html  # rendered from the shipped templates
    provenance = json.loads((elsewhere / "D" / "results.json").read_text())["provenance"]
    assert provenance["command"].startswith("repro all --quick")


def test_installed_pytest_plugin_collects_the_shipped_claims(venv, elsewhere):
    collected = sh(venv / "bin" / "python", "-m", "pytest", "--repro-claims", "shipped", "--collect-only", "-q",
                   "-p", "no:cacheprovider", cwd=elsewhere)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    items = [ln for ln in collected.stdout.splitlines() if "::" in ln]
    assert len(items) == N_CLAIMS and all("/repro/claims/c" in ln or ln.startswith("c") for ln in items), items
    shipped = sh(venv / "bin" / "python", "-c", "from repro.claim import CLAIMS_DIR; print(CLAIMS_DIR)", cwd=elsewhere)
    claims_dir = Path(shipped.stdout.strip())
    assert (claims_dir / "registration.json").is_file() and (claims_dir / "replication.json").is_file()


def test_installed_pytest_plugin_runs_claims_with_an_output_option(venv, elsewhere):
    claims = elsewhere / "claims"
    shutil.copytree(FIXTURE, claims, ignore=shutil.ignore_patterns("__pycache__", "f3_broken.py"))
    claims = claims.rename(elsewhere / "tiny")  # any name: --repro-claims says it holds claims
    done = sh(venv / "bin" / "python", "-m", "pytest", "--repro-claims", claims, "--repro-quick", "--repro-jobs", "1",
              "--repro-out", elsewhere / "out", "-p", "no:cacheprovider", "-q", "-k", "depth", cwd=elsewhere)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 deselected" in done.stdout
    assert any((elsewhere / "out" / "cache").glob("*.npz"))


def test_checkout_conftest_and_entry_point_collect_claims_once(venv, elsewhere):
    """The installed entry point and the checkout's conftest.py both name repro.pytest_plugin: one plugin."""
    checkout = elsewhere / "checkout"
    shutil.copytree(ROOT / "claims", checkout / "claims", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "conftest.py", checkout / "conftest.py")
    collected = sh(venv / "bin" / "python", "-m", "pytest", "claims", "--collect-only", "-q", "-p", "no:cacheprovider",
                   cwd=checkout)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    items = [ln for ln in collected.stdout.splitlines() if "::" in ln]
    assert len(items) == len(set(items)) == N_CLAIMS
