"""Smoke test of the benchmark (repro.benchmark, tiny settings), its FLOP count and its checkout wrapper."""
import subprocess
import sys
from pathlib import Path

import pytest

from repro.benchmark import bench_spec, flops_per_step_seed, main, reference

ROOT = Path(__file__).resolve().parent.parent


def test_flop_count_by_hand():
    # 40 -> 100 (x10 layers) -> 10, batch 64: forward + dW everywhere, dx everywhere but layer 0
    mk = 40 * 100 + 9 * 100 * 100 + 100 * 10
    assert flops_per_step_seed(bench_spec(), 40, 10) == 2 * 64 * (3 * mk - 40 * 100)


def test_bench_main_runs_with_tiny_settings(capsys):
    assert main(["--seeds", "2", "--steps", "3", "--repeat", "1", "--peak-size", "64", "--no-reference"]) == 0
    out = capsys.readouterr().out
    assert "step-seeds/s" in out and "GFLOP/s" in out and "of sgemm peak" in out
    assert "matmuls alone" in out and "whole machine" in out


def test_kernel_hint_only_for_avx2_kernels_on_an_avx512_cpu():
    from repro.benchmark import AVX512_FLAGS, kernel_hint
    haswell = [{"internal_api": "openblas", "architecture": "Haswell"}]
    skylake = [{"internal_api": "openblas", "architecture": "SkylakeX"}]
    avx512 = AVX512_FLAGS | {"avx2", "fma"}
    assert "OPENBLAS_CORETYPE=SkylakeX" in kernel_hint(haswell, avx512)
    assert kernel_hint(skylake, avx512) is None
    assert kernel_hint(haswell, {"avx2", "fma", "avx512f"}) is None  # not every flag the kernels need
    assert kernel_hint([{"internal_api": "mkl", "architecture": None}], avx512) is None


def test_repro_bench_passes_its_options_through(capsys):
    from repro.cli import main as repro_main
    assert repro_main(["bench", "--seeds", "2", "--steps", "2", "--repeat", "1", "--peak-size", "64",
                       "--no-reference"]) == 0
    assert "2 seeds x 2 steps" in capsys.readouterr().out
    try:
        code = repro_main(["bench", "--out", "x"])  # a repro option the benchmark does not have
    except SystemExit as e:
        code = e.code
    assert code == 2


def test_bench_rejects_bad_settings(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--seeds", "0"])
    assert e.value.code == 2 and "--seeds=0 must be a positive integer" in capsys.readouterr().err


def test_references_are_found_in_a_checkout_and_missing_ones_are_none():
    assert reference("reference_torch").LABEL.startswith("PyTorch")
    assert reference("reference_nothing") is None


def test_checkout_script_is_the_package_benchmark():
    import bench.bench_train as wrapper
    from repro import benchmark
    assert wrapper.main is benchmark.main and wrapper.Timing is benchmark.Timing  # reference_jax imports Timing
    shown = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_train.py"), "--help"], capture_output=True,
                           text=True, timeout=120, cwd=ROOT.parent)
    assert shown.returncode == 0 and "--no-reference" in shown.stdout


def test_budget_levers_needs_a_full_default_run(tmp_path, capsys):
    from bench.budget_levers import main as levers
    with pytest.raises(SystemExit) as missing_dir:
        levers(["--cache", str(tmp_path / "nowhere")])
    assert missing_dir.value.code == 2 and "--cache" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="(?s)does not hold a full default run.*repro all --cache"):
        levers(["--cache", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []   # a replay writes nothing


def test_kernel_comparison_refuses_what_is_not_a_default_run_with_other_kernels(tmp_path, capsys, monkeypatch):
    import json

    from bench.kernels import main as kernels
    from repro import docsync
    from repro.protocol.tuning import PROTOCOL_VERSION
    monkeypatch.setattr(docsync, "DOCS", tmp_path / "docs")
    assert kernels([str(tmp_path / "missing.json")]) == 2 and "not a repro results.json" in capsys.readouterr().err
    run = {"profile": "default", "protocol_version": PROTOCOL_VERSION, "claims": [],
           "provenance": {"cache_kernels": "OpenBLAS Haswell", "git": {"commit": "0" * 40}, "started": "2026-12-03"}}
    (tmp_path / "avx2.json").write_text(json.dumps(run))
    assert kernels([str(tmp_path / "avx2.json")]) == 2 and "OPENBLAS_CORETYPE=SkylakeX" in capsys.readouterr().err
    (tmp_path / "quick.json").write_text(json.dumps({**run, "profile": "quick"}))
    assert kernels([str(tmp_path / "quick.json")]) == 2 and "default profile" in capsys.readouterr().err
    assert not (tmp_path / "docs").exists()  # a refused comparison writes nothing
