"""Runner: planning, chunking, parallel paths agree, errors isolated, Holm families, cache reuse."""
from pathlib import Path

import numpy as np
import pytest

from repro import verdicts
from repro.protocol.cache import Cache
from repro.claim import Claim, Superiority, Threshold, load_claims
from repro.protocol.runner import claim_looks, profiled, run
from repro.protocol.training import MissingCacheError, chunks, merge, plan, train_chunk
from repro.engine.spec import QUICK_MAX_SEEDS, quick

FIXTURE = Path(__file__).parent / "claims_fixture"
CLAIMS = load_claims(FIXTURE)
BY_ID = {c.id: c for c in CLAIMS}
GOOD = [BY_ID["fixture-bn-helps"], BY_ID["fixture-depth"]]
TINY = BY_ID["fixture-bn-helps"].conditions["bn"]


def numbers(result) -> list:
    """Every number a verdict rests on, per claim and test (NaN-safe comparable)."""
    out = []
    for cr in result.claims:
        out.append((cr.claim.id, cr.verdict))
        for t in cr.tests:
            out.append((t.name, t.verdict, t.estimate, t.ci, t.p, t.p_adjusted, t.effect_size, t.n_seeds, t.power,
                        tuple(t.details.get("a", ())), tuple(t.details.get("b", ()))))
    return out


def test_chunks_are_balanced_and_cover_the_seeds():
    assert chunks(tuple(range(12))) == [tuple(range(12))]
    assert chunks(tuple(range(24))) == [tuple(range(12)), tuple(range(12, 24))]
    assert chunks(tuple(range(12)), 10) == [tuple(range(6)), tuple(range(6, 12))]
    parts = chunks(tuple(range(25)), 10)
    assert [len(p) for p in parts] == [9, 8, 8] and sum(parts, ()) == tuple(range(25))


def test_per_seed_numbers_do_not_depend_on_chunking():
    seeds = tuple(range(5))
    whole = train_chunk(TINY, seeds)
    merged = merge([train_chunk(TINY, p) for p in chunks(seeds, 2)])
    assert merged.seeds == seeds and merged.values.keys() == whole.values.keys()
    for name in whole.values:
        np.testing.assert_array_equal(merged.values[name], whole.values[name], err_msg=name)


def test_plan_deduplicates_shared_experiments():
    exps = plan([(c.id, cond, spec, tuple(range(12))) for c in CLAIMS for cond, spec in c.conditions.items()])
    # f1 "bn", f2 "d1" and f3 "bn" are the same spec with the same 12 seeds: trained once
    assert len(exps) == 5
    shared = exps[TINY.key(tuple(range(12)))]
    assert set(shared.users) == {("fixture-bn-helps", "bn"), ("fixture-depth", "d1"), ("fixture-broken", "bn")}


def test_quick_profile_caps_seeds_and_shortens_specs():
    assert claim_looks(GOOD[0], None, quick=True) == (QUICK_MAX_SEEDS,)
    assert claim_looks(GOOD[0], 3, quick=True) == (3,) and claim_looks(GOOD[0], None, quick=False) == GOOD[0].looks
    assert profiled(TINY, quick=True) == quick(TINY) and quick(TINY).steps < TINY.steps


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return run(CLAIMS, jobs=1, cache=Cache(tmp_path_factory.mktemp("serial")))


def test_failing_claim_is_an_error_and_the_others_finish(serial):
    by = {cr.claim.id: cr for cr in serial.claims}
    broken = by["fixture-broken"]
    assert broken.verdict == "error" and broken.tests == []
    assert "KeyError" in broken.error and "no such value" in broken.error and "Traceback" in broken.error
    assert by["fixture-bn-helps"].verdict in ("supported", "refuted", "inconclusive")
    assert by["fixture-depth"].verdict in ("supported", "refuted", "inconclusive")


def test_holm_across_primaries_and_within_claims(serial):
    ok = [cr for cr in serial.claims if cr.verdict != "error"]
    raw = [cr.tests[0].p_sequential for cr in ok]  # the primaries' stage-wise sequential p-values
    np.testing.assert_allclose([cr.tests[0].p_adjusted for cr in ok], verdicts.holm(raw))
    for cr in ok:
        rest = cr.tests[1:]
        np.testing.assert_allclose([t.p_adjusted for t in rest], verdicts.holm([t.p for t in rest]))
        assert cr.verdict == cr.tests[0].verdict
        assert all(t.verdict in ("supported", "refuted", "inconclusive") for t in cr.tests)


def test_provenance_and_cache_keys(serial):
    prov = serial.provenance
    assert serial.profile == "default" and prov["profile"] == "default"
    assert {"python", "numpy", "scipy", "matplotlib", "jinja2", "weasyprint"} <= set(prov["versions"])
    assert len(prov["git"]["commit"] or "") == 40 and prov["machine"]["cpu_count"] >= 1
    assert prov["seeds"]["fixture-depth"] == 12 and prov["wall_time_s"] > 0
    assert prov["feasibility"]["fixture-bn-helps"]["feasible"] is True
    from repro.engine.blas import loaded_kernels
    assert prov["training_kernels"] == {loaded_kernels() or "not recorded (cached by an older repro, or no OpenBLAS)":
                                        prov["n_experiments"]}
    cr = serial.claims[0]
    assert cr.cache_keys["bn"][0] == cr.specs["bn"].key(tuple(range(12))) and cr.runtime_s > 0
    assert cr.specs["bn"] == TINY.replace(lr=cr.tunings["bn"].selected)


def test_jobs_1_and_2_agree_and_cache_only_rerenders(serial, tmp_path):
    cache = Cache(tmp_path)
    with pytest.raises(MissingCacheError, match="not in the cache"):
        run(CLAIMS, jobs=1, cache=cache, cache_only=True)
    parallel = run(CLAIMS, jobs=2, cache=cache)
    assert numbers(parallel) == numbers(serial)
    again = run(CLAIMS, jobs=2, cache=cache, cache_only=True)
    assert numbers(again) == numbers(serial)
    trained = [p["trained"] for p in parallel.provenance["phases"]]
    assert sum(trained) == parallel.provenance["n_experiments"] and all(t > 0 for t in trained)
    assert [p["trained"] for p in again.provenance["phases"]] == [0] * len(trained)  # a replay trains nothing
    # merged entries only: the chunk entries of 12-seed experiments were dropped after merging
    assert len(list(tmp_path.glob("*.json"))) == parallel.provenance["n_experiments"]


def test_resumes_from_chunk_entries(serial, tmp_path):
    cache = Cache(tmp_path)
    spec = serial.claims[0].specs["bn"]  # at its selected rate
    part = chunks(tuple(range(12)), 10)[0]
    cache.put(train_chunk(spec, part))  # as if a killed run had finished this chunk only
    result = run(GOOD, jobs=1, cache=cache, chunk_seeds=10)
    assert numbers(result) == numbers(serial)[:len(numbers(result))]
    assert not (tmp_path / f"{spec.key(part)}.json").exists()


def test_failing_experiment_is_an_error_verdict(tmp_path):
    bad = Claim(id="too-big-batch", title="t", quote="q", speaker="s", hypothesis="h",
                conditions={"x": TINY.replace(batch_size=100_000)},
                tests=(Threshold("t", metric=GOOD[0].tests[0].metric, a="x", tau=0.0),), seeds=3)
    result = run([bad, GOOD[1]], jobs=1, cache=Cache(tmp_path))
    assert result.claims[0].verdict == "error" and "batch_size" in result.claims[0].error
    assert result.claims[1].verdict != "error"
    assert not list(tmp_path.glob(f"{bad.conditions['x'].key((0, 1, 2))}*"))


def test_dask_executor_gives_identical_numbers(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        result = run(CLAIMS, executor=client.get_executor(), cache=Cache(tmp_path))
    assert numbers(result) == numbers(serial)


@pytest.mark.parametrize("kwargs, match", [({"seeds": 0}, "seeds=0"), ({"seeds": 1}, "seeds=1"),
                                           ({"jobs": 0}, "jobs=0"), ({"chunk_seeds": 0}, "chunk_seeds")])
def test_argument_validation(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run(GOOD, cache=Cache(tmp_path), **kwargs)
    assert not list(tmp_path.iterdir())


def test_train_chunk_numbers_do_not_depend_on_the_callers_blas_threads():
    """BLAS splits a matmul differently over 1 or 2 threads, and the rounding follows; the runner's
    unit of work pins one thread, so --jobs 1 (a process with every core) matches --jobs 2."""
    from threadpoolctl import threadpool_limits

    from repro.protocol.training import train_chunk
    from repro.standard import BLOG
    spec, seeds = BLOG.replace(norm="none"), (0, 1)
    runs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            runs.append(train_chunk(spec, seeds))
    for name, v in runs[0].values.items():
        np.testing.assert_array_equal(v, runs[1].values[name], err_msg=name)


def test_geometry_experiments_train_through_the_task_path():
    """A geometry run is its own task (never stacked); train_group must not send it to train_rates,
    which refuses geometry (claims 8 and 9 errored with 'train_rates cannot measure geometry')."""
    from repro.protocol.training import train_group
    from repro.engine.spec import ExperimentSpec
    from repro.engine.train import train
    from repro.engine.spec import GEOMETRY
    spec = ExperimentSpec(data="teacher", depth=1, width=8, steps=20, eval_every=10, batch_size=32, optimizer="sgd",
                          lr=0.1, geometry=(sorted(GEOMETRY)[0],), geometry_steps=(10,))
    record, = train_group([spec], (0, 1))
    alone = train(spec, (0, 1))
    assert record.values.keys() == alone.values.keys()
    for k in alone.values:   # NaN-aware: ics_step_rel is NaN at layer 0, which has no earlier layers
        np.testing.assert_array_equal(record.values[k], alone.values[k], err_msg=k)


def test_sequential_looks_train_only_new_seeds_and_stop_when_decisive(tmp_path):
    """An undecided primary test goes on to the next look, which trains only the new seeds of the
    primary's conditions; a decisive one stops; the result names the look it stopped at."""
    from repro.claim import Equivalence
    acc = GOOD[0].tests[0].metric
    undecided = Claim(id="seq-undecided", title="t", quote="q", speaker="s", hypothesis="h",
                      conditions={"a": TINY, "b": TINY.replace(width=7), "extra": TINY.replace(width=5)},
                      tests=(Superiority("a beats b", metric=acc, a="a", b="b", margin=0.0),
                             Equivalence("extra vs a", metric=acc, a="extra", b="a", margin=50.0)),
                      looks=(3, 5, 8), fixed_rate=("a", "b", "extra"))
    decided = Claim(id="seq-decided", title="t", quote="q", speaker="s", hypothesis="h",
                    conditions={"a": TINY}, fixed_rate=("a",), looks=(3, 5, 8),
                    tests=(Threshold("above chance by far", metric=acc, a="a", tau=-1000.0, direction="above"),))
    result = run([undecided, decided], jobs=1, cache=Cache(tmp_path))
    u, d = result.claims
    assert u.tests[0].looks == (3, 5, 8) and u.tests[0].stopped_at == 8 and u.verdict == "inconclusive"
    assert [len(keys) for keys in (u.cache_keys["a"], u.cache_keys["b"])] == [3, 3]  # one entry per look
    assert len(u.cache_keys["extra"]) == 1 and u.records["extra"].n_seeds == 3  # secondary: first look only
    assert u.records["a"].seeds == tuple(range(8)) and u.tests[1].n_seeds == 3
    assert d.tests[0].stopped_at == 3 and d.records["a"].n_seeds == 3 and d.verdict == "supported"
    assert np.isfinite(u.tests[0].p_sequential) and u.tests[0].p_sequential >= 0.05
    # the seeds of a later look are the same experiments: look entries equal a one-shot run's rows
    whole = train_chunk(u.specs["a"], tuple(range(8)))
    np.testing.assert_array_equal(whole["test_acc"], u.records["a"]["test_acc"])


def test_a_fixed_rate_condition_gets_a_doubling_check_at_its_rate(tmp_path):
    """Every trained condition has a budget-doubling gain: a tuned one from the registered check, one at a
    declared fixed rate from the check at that rate; a condition measured at init has none."""
    base = BY_ID["fixture-bn-helps"]
    claim = Claim(id="fixture-fixed", title="t", quote="q", speaker="s", hypothesis="h",
                  conditions={"bn": TINY, "plain, fixed": TINY.replace(norm="none"),
                              "bn, at init": TINY.replace(steps=0, probe_steps=(0,))},
                  fixed_rate=("plain, fixed",), seeds=4,
                  parts=(Superiority("bn better", metric=base.parts[0].metric, a="bn", b="plain, fixed", margin=1.0),))
    result = run([claim], seeds=4, jobs=1, cache=Cache(tmp_path / "cache"))
    rows = {row["name"]: row for row in result.claims[0].condition_rows()}
    assert rows["bn"]["doubling_gain"] is not None and rows["bn"]["doubling_exploratory"] is False
    fixed = rows["plain, fixed"]
    assert fixed["selected_on"] == "fixed" and fixed["doubling_exploratory"] is False   # registered with protocol 4
    check = result.claims[0].fixed_checks["plain, fixed"]
    assert fixed["doubling_gain"] == pytest.approx(check.doubled - check.at_budget)
    assert fixed["doubling_flag"] == (fixed["doubling_gain"] > fixed["doubling_limit"])
    assert rows["bn, at init"]["doubling_gain"] is None
    phases = [p["phase"] for p in result.provenance["phases"]]
    assert any(p.startswith("convergence check at declared fixed rates") for p in phases)
