"""Metrics: one number per seed from a record. The building blocks claims declare tests on."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .claim import Metric
from .engine.init import init_std
from .engine.record import Record
from .engine.spec import ExperimentSpec


def final_accuracy(split: str = "test", last: int = 3) -> Metric:
    """Accuracy in % averaged over the last `last` evaluations (smooths evaluation noise)."""
    def fn(r: Record) -> np.ndarray:
        return 100.0 * r[f"{split}_acc"][:, -last:].mean(axis=1)
    return Metric(f"{split} accuracy (mean of last {last} evaluations)", fn, unit="% points")


def final_loss(split: str = "test", last: int = 3) -> Metric:
    def fn(r: Record) -> np.ndarray:
        return r[f"{split}_loss"][:, -last:].mean(axis=1)
    return Metric(f"{split} loss (mean of last {last} evaluations)", fn, unit="nats", higher_is_better=False)


def _layer_values(r: Record, value: str, step: int) -> np.ndarray:
    """(K, L) per-layer probe values at probe-step index `step`, extra axes averaged."""
    v = r[value][:, step]
    return v.reshape(v.shape[0], v.shape[1], -1).mean(axis=2) if v.ndim > 2 else v


def probe_mean(value: str, step: int = -1, name: str = "", unit: str = "",
               layers: slice = slice(None), higher_is_better: bool = True,
               transform: Callable[[np.ndarray], np.ndarray] | None = None) -> Metric:
    """A probe value averaged over layers (and any unit axis) at one probe step."""
    def fn(r: Record) -> np.ndarray:
        v = _layer_values(r, value, step)[:, layers]
        return (transform(v) if transform else v).mean(axis=1)
    return Metric(name or f"{value} (layer mean, probe step {step})", fn, unit=unit,
                  higher_is_better=higher_is_better)


def layer_log_ratio(value: str, numerator: int, denominator: int, step: int = -1, name: str = "",
                    higher_is_better: bool = True, absolute: bool = False, worst: float | None = None) -> Metric:
    """log10(value[layer numerator] / value[layer denominator]) at one probe step; with `absolute`,
    its absolute value (how many decades apart the two layers are, in either direction). `worst`: a seed
    whose ratio is not finite counts as that value (nonfinite="worst"); None makes it an error."""
    def fn(r: Record) -> np.ndarray:
        v = _layer_values(r, value, step)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log10(v[:, numerator] / v[:, denominator])
        return np.abs(ratio) if absolute else ratio
    default = f"log10 {value}[layer {numerator}] / [layer {denominator}]"
    rule = {} if worst is None else {"nonfinite": "worst", "worst": worst}
    return Metric(name or (f"|{default}|" if absolute else default), fn, unit="decades",
                  higher_is_better=higher_is_better, **rule)


def first_to_last_gradient(depth: int, step: int = -1, worst: float | None = None) -> Metric:
    """log10(|dL/dW| of the first hidden layer / of the last, layer `depth`) at one probe step (0: at init,
    -1: after training): 0 means no vanishing, -1 means the first layer gets a tenth of the last one's.
    `worst` (e.g. FLOAT32_DECADES): how a diverged or dead seed's non-finite ratio counts; None: an error."""
    when = {0: "at init", -1: "after training"}.get(step, f"at probe step {step}")
    return layer_log_ratio("probe/grad_w_norm", numerator=0, denominator=depth - 1, step=step,
                           name=f"log10(|dL/dW| first layer / last hidden layer), {when}", worst=worst)


def layer_log(value: str, layer: int, step: int = -1, name: str = "", higher_is_better: bool = True) -> Metric:
    """log10 of one layer's probe value at one probe step (e.g. the size of its weight gradient)."""
    def fn(r: Record) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log10(_layer_values(r, value, step)[:, layer])
    return Metric(name or f"log10 {value}[layer {layer}]", fn, unit="decades", higher_is_better=higher_is_better)


def layer_drift(r: Record, value: str) -> np.ndarray:
    """(K, P) mean over layers of |log2(value at each probe step / value at the first)|."""
    v = np.asarray(r[value], dtype=float)
    v = v.reshape(v.shape[0], v.shape[1], v.shape[2], -1).mean(axis=3)  # (K, P, L)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(np.log2(v / v[:, :1])).mean(axis=2)


def log_drift(value: str, name: str = "", higher_is_better: bool = False, along_run: bool = False) -> Metric:
    """Mean over layers of |log2(value at the last probe step / value at the first)|: how far a
    per-layer statistic wanders from its initial value during training. `along_run` averages that
    drift over every later probe step instead of taking the last one."""
    def fn(r: Record) -> np.ndarray:
        drift = layer_drift(r, value)
        return drift[:, 1:].mean(axis=1) if along_run else drift[:, -1]
    return Metric(name or f"mean |log2 drift| of {value}", fn, unit="doublings",
                  higher_is_better=higher_is_better)


#: The geometry measures' names, units and directions (claims 8 and 9): geometry_mean's defaults.
GEOMETRY_MEASURES = {
    "geometry/ics_applied_rel": ("relative ICS at the applied (momentum) update (mean over layers and steps)",
                                 "", False),
    "geometry/ics_rel": ("relative ICS ||G - G'|| / ||G|| after a plain step lr*g (mean over layers and steps)",
                         "", False),
    "geometry/ics_dist": ("ICS ||G - G'|| (mean over layers and steps)", "gradient norm", False),
    "geometry/ics_cos": ("cos(G, G') (mean over layers and steps)", "", True),
    "geometry/beta_smooth": ("effective beta-smoothness along -g (mean over steps)", "", False),
    "geometry/loss_range": ("loss range along -g, 0.5 to 4 steps (mean over steps)", "nats", False),
}


def geometry_mean(value: str, name: str = "", unit: str | None = None, higher_is_better: bool | None = None,
                  absolute: bool = False) -> Metric:
    """A geometry measure averaged over its measurement steps (and layers, if per layer). Name, unit and
    direction default to GEOMETRY_MEASURES' entry (else: the value's name, no unit, lower is better)."""
    default_name, default_unit, default_higher = GEOMETRY_MEASURES.get(value, (f"{value} (mean over steps)", "", False))

    def fn(r: Record) -> np.ndarray:
        v = r[value]
        v = np.abs(v) if absolute else v
        return v.reshape(v.shape[0], -1).mean(axis=1)
    return Metric(name or default_name, fn, unit=default_unit if unit is None else unit,
                  higher_is_better=default_higher if higher_is_better is None else higher_is_better)


def backward_factor(step: int = 0, name: str = "",
                    predicted: Callable[[ExperimentSpec], float] | None = None) -> Metric:
    """log10 of the factor by which the activation gradient's variance changes per layer going down
    the net (decades per layer): 2 log10(|dL/dh| first block / last block) / (depth - 1), from
    probe/grad_act_norm at one probe step. With `predicted` (spec -> the analytic log10 factor), the
    metric is |measured - predicted| instead: how far the net is from the theory."""
    def fn(r: Record) -> np.ndarray:
        v = _layer_values(r, "probe/grad_act_norm", step)
        with np.errstate(divide="ignore", invalid="ignore"):
            measured = 2.0 * np.log10(v[:, 0] / v[:, -1]) / (v.shape[1] - 1)
        return measured if predicted is None else np.abs(measured - predicted(r.spec))
    default = "per-layer log10 variance factor of dL/dh going down" + (", |measured - predicted|" if predicted else "")
    return Metric(name or default, fn, unit="decades", higher_is_better=predicted is None)


def relu_backward_prediction(spec: ExperimentSpec) -> float:
    """The mean-field per-layer variance factor of the activation gradient through a square hidden
    layer of (leaky) ReLU units, log10: n Var[w] (1 + a^2) / 2 (He et al. 2015, eq. 13, with the
    leaky slope a; 0 for ReLU)."""
    a = spec.leaky_slope if spec.activation == "leaky_relu" else 0.0
    std = init_std(spec.init, spec.width, spec.width, scale=spec.init_scale, leaky_slope=a)
    return float(np.log10(spec.width * std ** 2 * (1.0 + a ** 2) / 2.0))


def linear_units(step: int = -1, when: str = "", eval_mode: bool = False) -> Metric:
    """Fraction of hidden units that are dead (ReLU input <= 0 on every probe example) or always active
    (> 0 on every one), mean over layers, at one probe step: units computing a linear function on the data.
    `eval_mode` reads the "units_eval" probe: the norm uses its running statistics, as the net predicts,
    instead of centring the probe batch itself (which keeps BN's units alive by construction)."""
    suffix = "_eval" if eval_mode else ""

    def fn(r: Record) -> np.ndarray:
        return (r[f"probe/dead_frac{suffix}"][:, step] + r[f"probe/linear_frac{suffix}"][:, step]).mean(axis=1)
    mode = "norm in eval mode" if eval_mode else ""
    detail = ", ".join(x for x in (when, mode) if x)
    return Metric(f"fraction of units dead or always active (mean over layers){', ' + detail if detail else ''}",
                  fn, unit="fraction of units", higher_is_better=False)


FLOAT32_DECADES = float(np.log10(np.finfo(np.float32).tiny))   # about -37.9: float32's smallest normal


def first_to_last_gradient_in_training(depth: int) -> Metric:
    """log10(|dL/dW| first hidden layer / last hidden layer) averaged over the probe steps strictly inside
    the run (not at init, not at the last step where a cosine schedule's rate is 0): the vanishing of
    the gradient while the net trains. A step's ratio is floored at FLOAT32_DECADES: a float32 net
    flushes a first-layer gradient that small to exactly 0, so the instrument reads no further (-inf).
    A diverged seed's NaN counts as that floor (declared: nonfinite="worst")."""
    def fn(r: Record) -> np.ndarray:
        steps = np.asarray(r.axes["probe_step"])
        inside = np.flatnonzero((steps > 0) & (steps < r.spec.steps))
        if inside.size == 0:
            raise ValueError(f"no probe step inside the run (probe_steps={tuple(steps)}, steps={r.spec.steps})")
        v = r["probe/grad_w_norm"][:, inside]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log10(v[:, :, 0] / v[:, :, depth - 1])
        return np.where(ratio < FLOAT32_DECADES, FLOAT32_DECADES, ratio).mean(axis=1)   # NaN stays NaN
    # a diverged seed (NaN gradients) is an outcome: counted as the worst the instrument reads, total vanishing
    return Metric("log10(|dL/dW| first layer / last hidden layer), mean over training", fn, unit="decades",
                  nonfinite="worst", worst=FLOAT32_DECADES)


def ics_per_relative_step(applied: bool = True) -> Metric:
    """log10 of the relative ICS per unit of the earlier layers' relative step, ||G - G'|| / ||G|| divided
    by ||delta_<i|| / ||theta_<i||, averaged over layers 1..L and the measurement steps (layer 0 has no
    earlier layers). BN's scale-invariant weights grow, so a nominal rate is a smaller relative step: this
    compares the arms' ICS at equal relative steps (the effective-rate confound removed)."""
    prefix = "geometry/ics_applied_" if applied else "geometry/ics_"

    def fn(r: Record) -> np.ndarray:
        rel, step = r[prefix + "rel"][:, :, 1:], r[prefix + "step_rel"][:, :, 1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log10(rel / step)
        return ratio.reshape(ratio.shape[0], -1).mean(axis=1)
    at = "the applied update" if applied else "a plain step lr*g"
    return Metric(f"log10(relative ICS per unit of relative step), {at}, mean over layers and steps", fn,
                  unit="decades", higher_is_better=False)


def within_unit_share(step: int = 0, layer: int = -1, name: str = "") -> Metric:
    """Page's (2019) measure at one probe step and layer: the share of the post-activation variance
    that is within units (across the probe batch's 512 examples) rather than between the units'
    means (the "units" probe computes it exactly, repro.engine.probes.within_unit_share). 1: every unit
    varies with the input; 0: each unit is a constant (the net computes a near-constant function)."""
    def fn(r: Record) -> np.ndarray:
        return _layer_values(r, "probe/within_share", step)[:, layer]
    return Metric(name or f"within-unit share of post-activation variance, layer {layer}", fn,
                  unit="fraction of variance")
