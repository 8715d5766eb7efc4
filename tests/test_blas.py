"""repro pins OpenBLAS's kernels before numpy loads it, and leaves a user's choice alone."""
import os
import subprocess
import sys

import pytest

from repro.engine.blas import KERNELS, NEEDS, cpu_flags

SHOW = ("import {first}, os; from threadpoolctl import threadpool_info; "
        "print(os.environ.get('OPENBLAS_CORETYPE')); "
        "print(sorted({{i.get('architecture') for i in threadpool_info() if i['internal_api'] == 'openblas'}}))")
x86_avx2 = pytest.mark.skipif(not NEEDS <= cpu_flags(), reason="needs an x86-64 CPU with AVX2 and FMA")


def run(first: str, **env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"} | env
    out = subprocess.run([sys.executable, "-c", SHOW.format(first=first)], env=environ, capture_output=True,
                         text=True, check=True).stdout
    return out.splitlines()


@x86_avx2
def test_importing_repro_first_pins_the_haswell_kernels():
    variable, kernels = run("repro, numpy")
    assert variable == KERNELS
    if kernels == "[]":
        pytest.skip("numpy is not linked against OpenBLAS here")
    assert kernels == f"['{KERNELS}']"


def test_a_users_choice_is_left_alone():
    variable, _ = run("repro, numpy", OPENBLAS_CORETYPE="Sandybridge")
    assert variable == "Sandybridge"


def test_nothing_changes_once_numpy_is_loaded():
    variable, _ = run("numpy, repro")
    assert variable == "None"


def test_every_record_names_the_kernels_that_trained_it(tmp_path):
    import json

    from repro.engine.blas import loaded_kernels
    from repro.protocol.cache import Cache
    from repro.protocol.training import merge
    from repro.standard import BLOG
    from repro.engine.train import train

    record = train(BLOG.replace(depth=2, width=8, steps=2), (0,))
    assert record.kernels == loaded_kernels()
    cache = Cache(tmp_path)
    key = cache.put(record)
    assert cache.get(record.spec, record.seeds).kernels == record.kernels
    meta_path = cache.paths(key)[1]
    meta = json.loads(meta_path.read_text())
    del meta["kernels"]  # an entry written before kernels were recorded still loads
    meta_path.write_text(json.dumps(meta))
    assert cache.get(record.spec, record.seeds).kernels == ""

    other = train(record.spec, (1,))
    other.kernels = "OpenBLAS SkylakeX"
    assert merge([record, other]).kernels == ", ".join(sorted({record.kernels, "OpenBLAS SkylakeX"}))
