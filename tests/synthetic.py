"""A small hand-built RunResult for report tests and previews (no training).

Records hold synthetic arrays with the shapes documented in repro/engine/record.py; test results hold
plausible numbers. Run `python tests/synthetic.py OUT_DIR` to render the synthetic report.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from repro.claim import Claim, Equivalence, Figure, Identity, Metric, Superiority, Threshold
from repro.engine.record import Record
from repro.protocol.results import ClaimResult, RunResult
from repro.engine.spec import ExperimentSpec
from repro.stats import TestResult

K, DEPTH, WIDTH, S = 8, 6, 16, 256
XSS = "<script>alert(1)</script>"


def final_acc(r: Record) -> np.ndarray:
    return r["test_acc"][:, -1]


def grad_ratio(r: Record) -> np.ndarray:
    g = r["probe/grad_w_norm"][:, -1]
    return np.log10(g[:, 0] / g[:, -2])


def ics_mean(r: Record) -> np.ndarray:
    return r["geometry/ics"].mean(axis=(1, 2))


ACC = Metric("final test accuracy", final_acc, unit="%")
RATIO = Metric("log10 grad-norm ratio first/last", grad_ratio)
ICS = Metric("mean ICS", ics_mean)


def make_record(spec: ExperimentSpec, rng: np.random.Generator, level: float, spread: float = 1.0) -> Record:
    """Synthetic values with the engine's names and shapes; `level` sets the accuracy plateau."""
    steps, P = spec.steps, len(spec.probe_steps)
    eval_step = np.unique(np.r_[np.arange(0, steps + 1, spec.eval_every), steps])
    E = len(eval_step)
    t = eval_step / max(steps, 1)
    noise = rng.normal(0, 0.6, (K, E))
    acc = 10 + (level - 10) * (1 - np.exp(-5 * t))[None] + noise
    v: dict[str, np.ndarray] = {
        "test_acc": acc, "train_acc": acc + 3, "test_loss": 2.3 * np.exp(-3 * t)[None] + 0.02 * noise,
        "train_loss": 2.2 * np.exp(-3 * t)[None] + 0.02 * noise, "batch_loss": rng.gamma(4, 0.2, (K, steps)),
        "diverged": np.zeros(K, bool), "diverged_step": np.full(K, -1),
    }
    layer_scale = spread ** -np.arange(DEPTH)  # < 1: shrinking with depth (no BN, small init)
    for site in ("linear", "norm", "act"):
        sc = np.ones(DEPTH) if site == "norm" else layer_scale
        sample = rng.normal(0, 1, (K, P, DEPTH, S)) * sc[None, None, :, None]
        if site == "act":
            sample = np.maximum(sample, 0)
        v[f"probe/{site}_sample"] = sample
        v[f"probe/{site}_mean"] = sample.mean(-1)
        v[f"probe/{site}_std"] = sample.std(-1)
        v[f"probe/{site}_pct"] = np.percentile(sample, [5, 15, 50, 85, 95], axis=-1).transpose(1, 2, 3, 0)
    v["probe/grad_w_norm"] = np.abs(rng.normal(1, 0.1, (K, P, DEPTH + 1))) * np.r_[layer_scale, 1][None, None]
    v["probe/weight_norm"] = np.abs(rng.normal(4, 0.2, (K, P, DEPTH + 1)))
    v["probe/grad_act_norm"] = np.abs(rng.normal(1, 0.1, (K, P, DEPTH)))
    v["probe/grad_act_sample"] = rng.normal(0, 1, (K, P, DEPTH, S))
    v["probe/dead_frac"] = rng.uniform(0, 0.2, (K, P, DEPTH))
    v["probe/linear_frac"] = rng.uniform(0, 0.1, (K, P, DEPTH))
    v["probe/gamma"] = rng.normal(1, 0.1, (K, P, DEPTH, WIDTH))
    v["probe/beta"] = rng.normal(0, 0.05, (K, P, DEPTH, WIDTH)) * np.linspace(0, 4, P)[None, :, None, None]
    drift = np.linspace(-0.5, 0.5, P)[None, :, None, None] * rng.normal(1, 0.2, (K, 1, DEPTH, 3))
    v["probe/unit_pct"] = np.stack([drift - 1, drift, drift + 1], axis=-1)
    G = len(spec.geometry_steps)
    v["geometry/ics"] = np.abs(rng.normal(0.3 * spread, 0.05, (K, G, DEPTH)))
    return Record(spec, tuple(range(K)), v, {"eval_step": eval_step, "probe_step": np.array(spec.probe_steps),
                                             "geometry_step": np.array(spec.geometry_steps)}, runtime_s=1.5)


def result(name: str, kind: str, metric: str, unit: str, est: float, ci: tuple[float, float], p: float,
           p_adj: float, verdict: str, per_seed: np.ndarray | None = None, **kw) -> TestResult:
    details = {"a": per_seed, "b": per_seed - est} if per_seed is not None else {}
    details.update(test="paired t (one-sided)", n_dropped=kw.pop("n_div", 0), t=5.1, df=K - 1, wilcoxon_p=0.0039)
    base = dict(name=name, kind=kind, metric=metric, unit=unit, estimate=est, estimate_rel=kw.pop("rel", 2.5),
                ci=ci, ci_level=kw.pop("ci_level", 0.95), ci_method="t", p=p, effect_size=kw.pop("es", 0.9),
                effect_size_name="d_z", n_seeds=K, n_diverged=details["n_dropped"], p_adjusted=p_adj,
                verdict=verdict, details=details)
    base.update(kw)
    return TestResult(**base)


def make_run() -> RunResult:
    """Three claims: supported (with a broken figure), inconclusive (with an XSS quote), error."""
    rng = np.random.default_rng(0)
    base = ExperimentSpec(depth=DEPTH, width=WIDTH, steps=200, eval_every=20, probes=("activations", "gradients",
                          "units", "bn_params", "unit_percentiles"), probe_steps=(0, 100, 200),
                          geometry=("ics",), geometry_steps=(0, 100, 200))
    bn, plain = base, base.replace(norm="none")
    c1 = Claim(
        id="bn-keeps-deep-nets-healthy", title="BN keeps deep nets healthy", number=11,
        quote="Batch norm keeps the activations of a 20-layer network from collapsing & vanishing.",
        speaker="the blog post", hypothesis="With BN, per-layer activation spread stays O(1) through depth.",
        conditions={"bn": bn, "no_bn": plain},
        tests=(Superiority("accuracy", metric=ACC, a="bn", b="no_bn", margin=1.0),
               Threshold("gradient ratio", metric=RATIO, a="bn", tau=1.0, direction="below")), seeds=K, method="Paired seeds; BN vs none at equal init.",
        literature="Ioffe & Szegedy 2015.", caveats="Small synthetic data set.",
        figures=(Figure("curves", "Test accuracy", "Mean and 95% CI over seeds.", options={"ylabel": "test accuracy (%)"}),
                 Figure("layer_profile", "Activation spread per layer", options={"value": "probe/act_std", "logy": True}),
                 Figure("layer_histograms", "Activations per layer", "The blog's figure.", options={"sites": ("norm", "act")}),
                 Figure("curves", "Minibatch loss", options={"value": "batch_loss", "logy": True}),
                 Figure("unit_percentiles", "Unit percentiles", options={"layer": 2}),
                 Figure("paired_seeds", "Per-seed accuracy", options={"metric": ACC}),
                 Figure("difference", "Minibatch loss difference", conditions=("bn", "no_bn"),
                        options={"value": "batch_loss", "ylabel": "|minibatch loss difference| (nats)", "tol": 1e-9}),
                 Figure("drift", "Drift of the activation spread", options={"value": "probe/act_std"}),
                 Figure("seed_outcomes", "Final accuracy per seed"),
                 Figure("curves", "A broken figure", options={"value": "no_such_value"})),
    )
    c2 = Claim(
        id="bn-after-activation-better", title="BN after the activation works better " + XSS, number=3,
        quote="why would batch norm after the activation generally work better? " + XSS,
        speaker="HN commenter <b>", hypothesis="Linear->ReLU->BN beats Linear->BN->ReLU.",
        conditions={"before": bn, "after": bn.replace(placement="after"), "no_bn": plain},
        tests=(Equivalence("accuracy (pooled)", metric=ACC, a="after", b="before", margin=1.0),), seeds=K, settle="About 40 paired seeds would give 80% power at a 1-point margin.",
        figures=(Figure("metric_vs_x", "Accuracy vs depth", options={"metric": ACC, "xlabel": "depth", "logx": True,
                        "groups": {"before": {2: "before", 4: "after"}, "after": {2: "after", 4: "before"}}}),
                 Figure("distribution", "Trained beta", options={"value": "probe/beta"}),
                 Figure("geometry", "Internal covariate shift", options={"value": "geometry/ics", "ylabel": "ICS", "absolute": True}),
                 Figure("scatter", "Accuracy vs ICS", options={"x": ICS, "y": ACC})),
    )
    c3 = Claim(
        id="bias-redundant-before-bn", title="A bias before BN is redundant", number=5,
        quote="why even have that parameter?", speaker="HN commenter", hypothesis="The bias gradient is zero.",
        conditions={"bias": bn, "nobias": bn.replace(bias=False)},
        tests=(Identity("trajectories coincide", quantity=final_acc, quantity_name="test acc", a="bias", b="nobias"),), seeds=K,
    )
    records1 = {"bn": make_record(bn, rng, 70), "no_bn": make_record(plain, rng, 55, spread=1.8)}
    records2 = {"before": make_record(bn, rng, 70), "after": make_record(bn.replace(placement="after"), rng, 70.3),
                "no_bn": records1["no_bn"]}
    a = final_acc(records1["bn"])
    b = final_acc(records1["no_bn"])
    r1 = [result("accuracy", "superiority", ACC.name, "%", float((a - b).mean()), (12.1, 17.9), 2e-6, 6e-6,
                 "supported", per_seed=a, margin=1.0, power=0.99, mde=0.8, prob_superiority=1.0, correlation=0.12,
                 rel=26.0, es=4.1),
          result("gradient ratio", "threshold", RATIO.name, "", 0.4, (0.1, 0.7), 0.004, 0.008, "supported",
                 tau=1.0, es=float("nan"), rel=None, feasibility_note="one-sided t on log10 scale")]
    a2, b2 = final_acc(records2["after"]), final_acc(records2["before"])
    r2 = [result("accuracy (pooled)", "equivalence", ACC.name, "%", float((a2 - b2).mean()), (-0.9, 1.6), 0.21, 0.42,
                 "inconclusive", per_seed=a2, ci_level=0.90, margin=1.0, power=0.31, mde=2.2, prob_superiority=0.62,
                 correlation=0.4, es=0.2, n_div=1)]
    return RunResult(
        profile="quick",
        claims=[ClaimResult(c2, "inconclusive", r2, records2, {"before": "a1b2c3", "after": "d4e5f6", "no_bn": "0f0f0f"}, 12.5),
                ClaimResult(c3, "error", [], {}, {}, 0.3, error="Traceback (most recent call last):\n  File \"x.py\", "
                            "line 1\nValueError: engine exploded <script>alert(1)</script>"),
                ClaimResult(c1, "supported", r1, records1, {"bn": ["abcdef0123"], "no_bn": ["0f0f0f"]}, 20.25)],
        provenance={"versions": {"python": "3.11.2", "numpy": np.__version__, "repro": "0.1.0"},
                    "git": {"commit": "9662358abc", "dirty": True}, "machine": {"cpus": 2, "platform": "linux"},
                    "profile": "quick", "seeds": K, "started": "2024-01-01T00:00:00", "wall_time_s": 33.0,
                    "cache_dir": "output/cache"},
    )


if __name__ == "__main__":
    from repro.report.render import write_report

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/synthetic-report")
    for k, p in write_report(make_run(), out).items():
        print(k, p)
