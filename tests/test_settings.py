"""The thorough profile: settings move a claim's primary test, the runner fills the robustness
matrix, a Dask cluster gives the local numbers, the report and results.json show the matrix."""
import json
from pathlib import Path

import pytest

from repro.claim import load_claims
from repro.engine.spec import ExperimentSpec
from repro.protocol.cache import Cache
from repro.protocol.runner import run
from repro.protocol.settings import FIXED_DATA, DIGITS, THOROUGH, WIDE, Setting, in_setting, randomized
from repro.report.render import write_report

FIXTURE = Path(__file__).parent / "claims_fixture"
CLAIMS = [c for c in load_claims(FIXTURE) if c.id in ("fixture-bn-helps", "fixture-depth")]
NARROW = Setting("narrow", "width 4", "every hidden layer 4 units wide", width=4)
MNIST = ExperimentSpec(steps=100, probe_steps=(0,), resample_data=True)


def test_a_setting_changes_only_what_it_names():
    assert DIGITS.apply(MNIST) == MNIST.replace(data="digits", resample_data=False)   # digits has one draw
    gaussian = MNIST.replace(data="gaussian", resample_data=False)
    assert DIGITS.apply(gaussian) == gaussian
    assert FIXED_DATA.apply(MNIST) == MNIST.replace(resample_data=False)
    assert FIXED_DATA.apply(gaussian) == gaussian
    assert WIDE.apply(MNIST) == MNIST.replace(width=400)
    assert [s.name for s in THOROUGH] == ["fixed-data", "digits", "width-32", "width-400"]


def test_in_setting_keeps_the_primary_test_alone_and_skips_claims_it_cannot_change():
    claim = CLAIMS[0]
    moved = in_setting(claim, NARROW)
    assert moved.id == f"{claim.id}-in-narrow" and moved.parts == claim.parts and moved.tests == ()
    assert moved.recorded is None and set(moved.conditions) == set(claim.part_conditions())
    assert all(spec.width == 4 for spec in moved.conditions.values())
    assert in_setting(claim, FIXED_DATA) is None  # the fixture trains on the teacher task: one draw already


def test_randomized_names_every_source_a_seed_draws():
    assert randomized([MNIST.replace(steps=0, resample_data=False)]) == ["init"]
    assert randomized([MNIST, MNIST.replace(norm="noisy_batch")]) == [
        "init", "minibatch order", "BN noise", "data draw"]


def matrix_numbers(result) -> list:
    out = []
    for column in result.robustness:
        out.append((column.setting.name, column.not_applicable))
        for cid, cr in column.claims.items():
            t = cr.tests[0]
            out.append((cid, cr.claim.id, cr.verdict, t.estimate, t.ci, t.p, t.p_adjusted, t.n_seeds,
                        tuple(t.details.get("a", ())), tuple(t.details.get("b", ())),
                        tuple(s.lr for s in cr.specs.values())))
    return out


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    return run(CLAIMS, jobs=1, cache=Cache(tmp_path_factory.mktemp("cache")), settings=(NARROW, FIXED_DATA))


def test_the_runner_fills_one_column_per_setting(local):
    assert local.profile == "thorough" and local.provenance["settings"] == ["narrow", "fixed-data"]
    narrow, draws = local.robustness
    assert set(narrow.claims) == {c.id for c in CLAIMS} and narrow.not_applicable == ()
    assert draws.claims == {} and draws.not_applicable == tuple(c.id for c in CLAIMS)
    for cid, cr in narrow.claims.items():
        assert cr.verdict in ("supported", "refuted", "inconclusive") and len(cr.tests) == 1
        assert all(s.width == 4 for s in cr.specs.values())
        # the default claims are unchanged by the settings: same primary as a run without them
    assert [cr.claim.id for cr in local.claims] == [c.id for c in CLAIMS]


def test_a_dask_cluster_gives_the_local_matrix(local, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        remote = run(CLAIMS, executor=client.get_executor(), cache=Cache(tmp_path), settings=(NARROW, FIXED_DATA))
    assert matrix_numbers(remote) == matrix_numbers(local)


def test_the_report_and_results_show_the_matrix(local, tmp_path):
    paths = write_report(local, tmp_path, pdf=False)
    html = paths["html"].read_text()
    assert "The robustness matrix" in html and "width 4" in html and "Generalizes?" in html
    data = json.loads(paths["json"].read_text())
    rob = data["robustness"]
    assert [s["name"] for s in rob["settings"]] == ["default", "narrow", "fixed-data"]
    cells = {(c["claim"], c["setting"]): c for c in rob["cells"]}
    for claim in CLAIMS:
        assert cells[(claim.id, "default")]["verdict"] == next(cr.verdict for cr in local.claims if cr.claim.id == claim.id)
        assert cells[(claim.id, "narrow")]["conditions"][0]["spec"]["width"] == 4
        assert cells[(claim.id, "fixed-data")]["applies"] is False
        assert rob["generalization"][claim.id]["class"] in ("holds", "reverses", "varies")
    assert f"{CLAIMS[0].id}-in-narrow" in paths["per_seed_csv"].read_text()
    assert f"{CLAIMS[0].id}-in-narrow" in paths["csv"].read_text()


@pytest.mark.parametrize("argv, message", [
    (["all", "--profile", "thorough", "--settings", "width-33"], "unknown setting(s) width-33; choose from fixed-data"),
    (["all", "--settings", "digits"], "only with --profile thorough"),
    (["all", "--profile", "wide"], "invalid choice: 'wide'"),
])
def test_cli_names_the_bad_setting_and_the_allowed_ones(argv, message, tmp_path, capsys):
    from repro.cli import main
    assert main(argv + ["--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
