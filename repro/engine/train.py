"""train(spec, seeds) -> Record: all K seeds of one condition in one batched computation.

Protocol (the numbers of repro/engine/record.py):
- data from repro.engine.data.load(spec.data), cast to spec.dtype, shared by every seed (x (N, D)),
  or with spec.resample_data each seed's own draw (x (K, N, D); the same split sizes, the same
  fixed subset, probe and validation positions); per-seed minibatch order from the
  seed's own SeedSequence stream, sampling without replacement within each epoch (the last
  incomplete batch of an epoch is dropped);
- step s means "after s updates"; evaluations at 0, eval_every, ..., steps (the last always
  included) on spec.eval_splits (a fixed 1000-example training subset, the validation split, the
  test set), in eval mode (BN running statistics, momentum spec.bn_momentum, unbiased batch
  variance), EVAL_CHUNK examples at a time; probes at spec.probe_steps
  (repro.engine.probes); geometry measures at spec.geometry_steps on the minibatch that update s+1
  uses (repro.engine.geometry.measure, imported only when spec.geometry is non-empty);
- with loss="noise" (the blog's setup) the gradient entering the logits is N(0, 1) noise from
  the seed's stream; train_loss/test_loss then report softmax cross-entropy, since the noise
  "loss" has no held-out meaning.

Divergence rule: seed k diverges at the first update s whose minibatch loss is NaN or inf.
That update is skipped and the seed is frozen from then on (its parameters, running statistics
and optimizer state no longer change; they are the parameters that produced the non-finite loss,
which are finite unless an earlier update overflowed). values["diverged"][k] = True,
values["diverged_step"][k] = s. From step s on, its batch_loss and its train/test losses are
recorded as NaN; its accuracies are still measured with the frozen parameters (NaN logits
predict class 0), so a diverged seed scores about chance rather than disappearing. Probes and
final parameters are recorded as they are. Training never raises on divergence.
"""
from __future__ import annotations

import time

import numpy as np

from .blas import flush_subnormals, loaded_kernels
from .data import load
from .init import DATA, NOISE, NORM_NOISE, stream
from .model import forward, heldout_loss, init_params, init_state, loss_and_grads, update_state
from .optim import Optimizer, learning_rate
from .probes import fixed_indices, probe_noise
from .probes import measure as measure_probes
from .record import Record
from .spec import ExperimentSpec


class BatchStream:
    """Per-seed minibatch indices (K, B): a fresh permutation of the training set every epoch."""

    def __init__(self, seeds, n: int, batch_size: int):
        if batch_size > n:
            raise ValueError(f"batch_size={batch_size} exceeds the {n} training examples; choose batch_size <= {n}")
        self.rngs = [stream(s, DATA) for s in seeds]
        self.n, self.b = n, batch_size
        self.perm, self.pos = None, n

    def next(self) -> np.ndarray:
        if self.pos + self.b > self.n:
            self.perm = np.stack([r.permutation(self.n) for r in self.rngs])
            self.pos = 0
        idx = self.perm[:, self.pos:self.pos + self.b]
        self.pos += self.b
        return idx


def eval_steps(spec: ExperimentSpec) -> np.ndarray:
    """Evaluation steps 0, eval_every, ..., steps (the last always included)."""
    steps = list(range(0, spec.steps + 1, spec.eval_every))
    if steps[-1] != spec.steps:
        steps.append(spec.steps)
    return np.array(steps, dtype=np.int64)


#: Evaluation runs the forward pass EVAL_CHUNK examples at a time: (K, 64, width) activations stay in
#: cache, and the whole set at once is up to twice as slow (memory-bound elementwise work).
EVAL_CHUNK = 64


def evaluate(spec: ExperimentSpec, params: dict, state: dict, x: np.ndarray, y: np.ndarray):
    """(loss (K,), accuracy (K,)) in eval mode on a data set shared by all seeds (x (n, D), y (n,))
    or one per seed (x (K, n, D), y (K, n)).

    The loss is cross-entropy for loss="noise" (see the module docstring).
    """
    n = x.shape[-2]
    chunks = [forward(spec, params, x[..., i:i + EVAL_CHUNK, :], state=state, train=False)
              for i in range(0, n, EVAL_CHUNK)]
    logits = np.concatenate(chunks, axis=1)
    loss = heldout_loss(spec, logits, y)
    acc = (logits.argmax(axis=2) == y).mean(axis=1)
    return loss, acc


def train(spec: ExperimentSpec, seeds: tuple[int, ...]) -> Record:
    """Train spec for every seed index in `seeds` at once; return what was measured."""
    return _train(spec, tuple(int(s) for s in seeds))


def train_rates(specs: list[ExperimentSpec], seeds: tuple[int, ...]) -> list[Record]:
    """Train specs that differ only in their learning rate, all seeds of all of them in one batched
    computation (rows: rate-major), and return one record per spec, identical to train(spec, seeds):
    every row's computation is independent of the others. The learning-rate search's lever: its
    runs have few seeds each, and the engine is efficient from about 8 rows on."""
    seeds = tuple(int(s) for s in seeds)
    if not specs or any(s.replace(lr=specs[0].lr) != specs[0] for s in specs):
        raise ValueError("specs must be non-empty and differ only in lr")
    if specs[0].geometry:
        raise ValueError("train_rates cannot measure geometry (its measures take one learning rate); use train")
    if len(specs) == 1:
        return [train(specs[0], seeds)]
    rows = np.repeat([s.lr for s in specs], len(seeds))
    whole = _train(specs[0], seeds * len(specs), rows)
    k = len(seeds)
    return [Record(s, seeds, {n: v[i * k:(i + 1) * k] for n, v in whole.values.items()}, dict(whole.axes),
                   runtime_s=whole.runtime_s / len(specs), kernels=whole.kernels) for i, s in enumerate(specs)]


def _splits(spec: ExperimentSpec, seeds: tuple[int, ...], dtype):
    """((x, y) of train, validation and test, n_classes): shared by every row, or with
    spec.resample_data stacked from each row's own draw (x (K, n, D), y (K, n))."""
    if not spec.resample_data:
        data = load(spec.data)
        pairs = ((data.x_train, data.y_train), (data.x_val, data.y_val), (data.x_test, data.y_test))
        return (*((x.astype(dtype), y) for x, y in pairs), data.n_classes)
    draws = [load(spec.data, draw=s) for s in seeds]
    pairs = tuple((np.stack([getattr(d, f"x_{split}") for d in draws]).astype(dtype),
                   np.stack([getattr(d, f"y_{split}") for d in draws])) for split in ("train", "val", "test"))
    return (*pairs, draws[0].n_classes)


def _unit_noise(spec: ExperimentSpec, rngs, dtype) -> tuple[np.ndarray, np.ndarray]:
    """This step's noisy-BN perturbation: per seed, unit and layer a scale U(1 - a, 1 + a) and a
    shift U(-b, b), (a, b) = (noise_scale, noise_shift); each seed's own stream, so chunking cannot change it."""
    shape = (2, spec.depth, spec.width)
    u = np.stack([r.uniform(-1.0, 1.0, shape) for r in rngs])  # (K, 2, depth, width)
    return (1.0 + spec.noise_scale * u[:, 0]).astype(dtype), (spec.noise_shift * u[:, 1]).astype(dtype)


def _train(spec: ExperimentSpec, seeds: tuple[int, ...], row_lr: np.ndarray | None = None) -> Record:
    """train(), with optional per-row learning rates replacing spec.lr (rows = `seeds`, repeats allowed)."""
    start = time.perf_counter()
    if not seeds:
        raise ValueError("seeds must hold at least one seed index")
    dtype = np.dtype(spec.dtype)
    (x_train, y_train), (x_val, y_val), (x_test, y_test), n_classes = _splits(spec, seeds, dtype)
    n_train, n_in = x_train.shape[-2:]
    k = len(seeds)
    rows = np.arange(k)[:, None]

    params = init_params(spec, seeds, n_in, n_classes)
    state = init_state(spec, k)
    opt = Optimizer(spec, params)
    batches = BatchStream(seeds, n_train, spec.batch_size)
    noise_rngs = [stream(s, NOISE) for s in seeds] if spec.loss == "noise" else None
    norm_noise_rngs = [stream(s, NORM_NOISE) for s in seeds] if spec.norm == "noisy_batch" else None

    subset, probe_idx = fixed_indices(n_train)
    x_sub, y_sub = x_train[..., subset, :], y_train[..., subset]
    x_probe, y_probe = x_train[..., probe_idx, :], y_train[..., probe_idx]
    noise_probe = probe_noise(spec, seeds, len(probe_idx), n_classes)

    e_steps = eval_steps(spec)
    splits = {"train": (x_sub, y_sub), "val": (x_val, y_val), "test": (x_test, y_test)}
    splits = {name: splits[name] for name in spec.eval_splits}
    ev = {f"{split}_{v}": np.full((k, len(e_steps)), np.nan) for split in splits for v in ("loss", "acc")}
    batch_loss = np.full((k, spec.steps), np.nan)
    active = np.ones(k, dtype=bool)
    diverged_step = np.full(k, -1, dtype=np.int64)
    probe_vals: dict[str, list] = {}
    geo_vals: dict[str, list] = {}
    want_probes = bool(set(spec.probes) - {"final_params"})
    probe_set, geo_set = set(spec.probe_steps), set(spec.geometry_steps)
    measure_geometry = None
    if spec.geometry:
        from .geometry import measure as measure_geometry  # imported only by runs that measure geometry

    e = 0
    # divergence is an outcome: NaN/inf must not warn or raise
    with np.errstate(all="ignore"), flush_subnormals():
        for step in range(spec.steps + 1):
            if e < len(e_steps) and step == e_steps[e]:
                for split, (x, y) in splits.items():
                    loss, acc = evaluate(spec, params, state, x, y)
                    ev[f"{split}_loss"][:, e] = np.where(active, loss, np.nan)
                    ev[f"{split}_acc"][:, e] = acc
                e += 1
            if want_probes and step in probe_set:
                for name, v in measure_probes(spec, params, x_probe, y_probe, noise_probe, state).items():
                    probe_vals.setdefault(name, []).append(v)
            if step == spec.steps and step not in geo_set:
                break
            idx = batches.next()
            xb, yb = (x_train[idx], y_train[idx]) if x_train.ndim == 2 else (x_train[rows, idx], y_train[rows, idx])
            if measure_geometry is not None and step in geo_set:
                lr = learning_rate(spec, min(step, max(spec.steps - 1, 0)))
                for name, v in measure_geometry(spec, params, state, xb, yb, lr, opt.m or None).items():
                    geo_vals.setdefault(name, []).append(np.asarray(v))
            if step == spec.steps:
                break
            noise = None
            if noise_rngs is not None:
                noise = np.stack([r.standard_normal((spec.batch_size, n_classes)) for r in noise_rngs]).astype(dtype)
            norm_noise = None
            if norm_noise_rngs is not None:
                norm_noise = _unit_noise(spec, norm_noise_rngs, dtype)
            loss, grads, aux = loss_and_grads(spec, params, xb, yb, train=True, noise=noise, norm_noise=norm_noise)
            finite = np.isfinite(loss)
            newly = active & ~finite
            if newly.any():
                diverged_step[newly] = step
                active &= finite
            batch_loss[:, step] = np.where(active, loss, np.nan)
            if not active.any():
                continue  # every seed frozen: only the measurements remain
            mask = None if active.all() else active
            if state:
                update_state(spec, state, aux, spec.batch_size, mask)
            opt.step(params, grads, learning_rate(spec, step, row_lr), mask)

    values: dict[str, np.ndarray] = dict(ev)
    values["batch_loss"] = batch_loss
    values["diverged"] = ~active
    values["diverged_step"] = diverged_step
    axes = {"eval_step": e_steps}
    if want_probes:
        axes["probe_step"] = np.array(spec.probe_steps, dtype=np.int64)
        values.update({name: np.stack(v, axis=1) for name, v in probe_vals.items()})
    if spec.geometry:
        axes["geometry_step"] = np.array(spec.geometry_steps, dtype=np.int64)
        values.update({f"geometry/{name}": np.stack(v, axis=1) for name, v in geo_vals.items()})
    if "final_params" in spec.probes:
        values.update({f"final/{name}": p for name, p in params.items()})
    return Record(spec, seeds, values, axes, runtime_s=time.perf_counter() - start, kernels=loaded_kernels())
