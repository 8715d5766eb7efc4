"""A newcomer's own claims: `repro new` writes a skeleton that runs as it is, and the worked example of
docs/writing-a-claim.md loads and runs; both from an installed wheel in a fresh directory.

The installed test builds the wheel once (module-scoped fixture) from a copy of the package's sources
and installs it into a fresh venv that sees this environment's packages through a .pth line (no
network), as tests/test_install.py does; every command runs in an empty directory outside the checkout.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from repro.claimfiles import load_claim_file, load_claims
from repro.engine.spec import ExperimentSpec
from repro.scaffold import ScaffoldError, file_name, main, skeleton, write_skeleton
from repro.standard import MNIST_MLP

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "adam_makes_bn_unnecessary.py"
SOURCES = ("repro", "claims", "templates", "pyproject.toml", "README.md")


def test_skeleton_file_is_named_after_the_id_and_loads_as_that_claim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_skeleton("my-own-claim-7", Path("mine"))  # the directory is created
    assert path.resolve() == tmp_path / "mine" / "my_own_claim_7.py" and file_name("a-b") == "a_b.py"
    assert "repro run my-own-claim-7 --quick --claims-dir mine\n" in path.read_text()
    claim = load_claim_file(path)
    assert claim.id == "my-own-claim-7" and set(claim.conditions) == {"BN", "no BN"}
    assert all(isinstance(s, ExperimentSpec) for s in claim.conditions.values())
    assert [c.id for c in load_claims(tmp_path / "mine")] == ["my-own-claim-7"]
    assert max(len(line) for line in path.read_text().splitlines()) <= 110


def test_skeleton_refuses_to_overwrite_and_names_a_bad_id(tmp_path, capsys):
    path = write_skeleton("mine", tmp_path)
    path.write_text("# my edits\n")
    with pytest.raises(ScaffoldError, match="already exists"):
        write_skeleton("mine", tmp_path)
    assert path.read_text() == "# my edits\n"
    assert main(["mine", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err and path.read_text() == "# my edits\n"
    for bad in ("My-Claim", "my_claim", "-x", "", "a--b"):
        with pytest.raises(ScaffoldError, match="lowercase letters and digits in words joined by '-'"):
            skeleton(bad)
    assert main(["Bad", "--dir", str(tmp_path)]) == 2 and not (tmp_path / "Bad.py").exists()
    (tmp_path / "file").write_text("")
    assert main(["x", "--dir", str(tmp_path / "file")]) == 2 and "not a directory" in capsys.readouterr().err


def test_main_says_how_to_run_the_new_claim(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["my-claim"]) == 0
    out = capsys.readouterr().out
    assert "wrote my_claim.py" in out and "repro run my-claim --quick --claims-dir ." in out
    assert "repro run my-claim --quick --claims-dir .\n" in (tmp_path / "my_claim.py").read_text()


def test_worked_example_is_adam_with_and_without_bn_in_the_standard_model():
    claim = load_claim_file(EXAMPLE)
    assert claim.id == "adam-makes-bn-unnecessary"
    adam_bn, adam_plain = claim.conditions["Adam, BN"], claim.conditions["Adam, no BN"]
    assert adam_bn == MNIST_MLP.replace(optimizer="adam", probes=(), probe_steps=())
    assert adam_plain == adam_bn.replace(norm="none")
    primary = (getattr(claim, "parts", ()) or claim.tests)[0]
    assert (primary.kind, primary.a, primary.b, primary.margin) == ("noninferiority", "Adam, no BN", "Adam, BN", 1.0)
    assert max(len(line) for line in EXAMPLE.read_text().splitlines()) <= 110  # the shipped claims' rule


def test_the_walkthrough_shows_the_example_it_ships():
    text = (ROOT / "docs" / "writing-a-claim.md").read_text()
    assert "docs/examples/adam_makes_bn_unnecessary.py" in text and "repro new" in text
    assert "--claims-dir" in text and "--quick" in text
    example = {line.strip() for line in EXAMPLE.read_text().splitlines()}
    shown = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "Adam" in block or "ADAM" in block]
    assert len(shown) >= 3
    for block in shown:  # every line the walkthrough quotes from the example is in the example as shipped
        missing = [line for line in block.splitlines() if line.strip() and line.strip() not in example]
        assert not missing, missing


def test_every_link_in_the_docs_points_at_a_file_of_the_repository():
    pages = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "bench" / "README.md", ROOT / "README.md"]
    assert {"statistics.md", "science.md", "usage.md", "writing-a-claim.md"} <= {p.name for p in pages}
    for page in pages:
        base = page.parent
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target:
                assert (base / target).exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"


def sh(*args, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ directory of a fresh venv with this checkout's wheel installed (not editable)."""
    tmp = tmp_path_factory.mktemp("newcomer")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    built = sh(sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-w", tmp / "dist", cwd=tmp)
    assert built.returncode == 0, built.stderr
    wheel, = (tmp / "dist").glob("repro-*.whl")
    venv = tmp / "venv"
    assert sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp).returncode == 0
    python = venv / "bin" / "python"
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).stdout.strip())
    (site / "_repro_test_parent_env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    done = sh(python, "-m", "pip", "install", "--no-index", "--no-deps", "--ignore-installed", wheel, cwd=tmp)
    assert done.returncode == 0, done.stderr
    assert sh(python, "-c", "import repro; print(repro.__file__)", cwd=tmp).stdout.startswith(str(site))
    return venv / "bin"


def quick_run(bin_dir: Path, claim_id: str, cwd: Path) -> dict:
    """`repro run ID --quick --claims-dir .` in `cwd`; its results.json (in out/: the claim is the directory's
    only one, so the run covers every declared claim and writes the full report)."""
    done = sh(bin_dir / "repro", "run", claim_id, "--quick", "--claims-dir", ".", "--out", "out", "--no-pdf",
              "--jobs", "2", cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((cwd / "out" / "results.json").read_text())


def test_installed_new_claim_runs_in_the_quick_profile_from_an_empty_directory(installed, tmp_path):
    made = sh(installed / "repro", "new", "my-claim", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["my_claim.py"]
    results = quick_run(installed, "my-claim", tmp_path)
    assert [c["id"] for c in results["claims"]] == ["my-claim"]
    assert results["claims"][0]["verdict"] in ("supported", "refuted", "mixed", "inconclusive")


def test_installed_worked_example_runs_in_the_quick_profile(installed, tmp_path):
    shutil.copy2(EXAMPLE, tmp_path / EXAMPLE.name)
    results = quick_run(installed, "adam-makes-bn-unnecessary", tmp_path)
    assert results["claims"][0]["verdict"] in ("supported", "refuted", "mixed", "inconclusive")


def test_installed_benchmark_runs_outside_a_checkout(installed, tmp_path):
    done = sh(installed / "repro", "bench", "--seeds", "2", "--steps", "2", "--repeat", "1",
              "--peak-size", "64", "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "step-seeds/s" in done.stdout and "not found (bench/reference_torch.py is in a checkout" in done.stdout
