"""The benchmark's training in JAX: one jit(vmap(step)) over the seed axis, called once per step.

Same initial parameters, minibatches, learning rate and float32 as repro's engine. Compile time
is measured separately; the timed loop is the steady state. Used only for timing (jax is not a
dependency of repro).
"""
from __future__ import annotations

import time

import numpy as np

LABEL = "JAX jit(vmap(step)), steady state"
INSTALL = "pip install jax jaxlib (CPU) to compare"


def available() -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


def make_step(spec):
    """A jitted SGD step on stacked (K, ...) parameters: vmap of the per-seed loss gradient."""
    import jax
    import jax.numpy as jnp

    L, eps, lr = spec.depth, spec.bn_eps, spec.lr

    def loss_fn(p, xb, yb):
        h = xb
        for i in range(L):
            z = h @ p[f"W{i}"] + p[f"b{i}"]
            mean = z.mean(axis=0)
            var = ((z - mean) ** 2).mean(axis=0)
            z = (z - mean) * jax.lax.rsqrt(var + eps) * p[f"gamma{i}"] + p[f"beta{i}"]
            h = jnp.maximum(z, 0)
        logits = h @ p[f"W{L}"] + p[f"b{L}"]
        logp = jax.nn.log_softmax(logits)
        return -jnp.take_along_axis(logp, yb[:, None], axis=1).mean()

    def one(p, x, y, b):
        loss, g = jax.value_and_grad(loss_fn)(p, x[b], y[b])
        return jax.tree_util.tree_map(lambda a, da: a - lr * da, p, g), loss

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, 0)), donate_argnums=0)


def run(spec, params: dict, x: np.ndarray, y: np.ndarray, idx: np.ndarray, repeat: int = 3) -> dict:
    import jax
    import jax.numpy as jnp

    from bench.bench_train import Timing

    step = make_step(spec)
    xj, yj, idxj = jnp.asarray(x), jnp.asarray(y.astype(np.int32)), jnp.asarray(idx.astype(np.int32))

    def fresh():
        return {n: jnp.asarray(v) for n, v in params.items()}

    t = time.perf_counter()
    p, loss = step(fresh(), xj, yj, idxj[0])
    jax.block_until_ready(loss)
    compile_s = time.perf_counter() - t
    times = []
    for _ in range(repeat):
        p = fresh()
        jax.block_until_ready(p)
        t = time.perf_counter()
        for s in range(idx.shape[0]):
            p, loss = step(p, xj, yj, idxj[s])
        jax.block_until_ready(loss)
        times.append(time.perf_counter() - t)
    return {"timing": Timing(min(times), times), "compile_s": compile_s, "final_loss": np.asarray(loss)}
