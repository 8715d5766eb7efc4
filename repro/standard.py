"""The standard experimental setups the claims share (one place to read the protocol).

Claims derive their conditions from these with `.replace(...)`, so a condition that two claims
need is the same spec, trained once (its content hash is the cache key).
"""
from __future__ import annotations

from .engine.spec import ExperimentSpec

#: The step budget: 2000 steps (about 37 epochs of the 3500 training examples) with a cosine
#: schedule, long enough that validation accuracy plateaus (repro.protocol.tuning's criterion, checked
#: and shown per condition in the report). Probe steps: at init, along training, at the end.
STEPS = 2000
PROBE_STEPS = (0, 100, 500, 1000, 2000)
GEOMETRY_STEPS = (0, 50, 100, 200, 500, 1000)

#: The rate of the fixed-rate secondary tests (claims whose question is about one shared rate):
#: the rate that the protocol's validation search selects for the standard BN model.
FIXED_LR = 0.1

#: The standard model: MNIST-1D, 6 hidden layers of 100 ReLU units with bias, BN before the
#: activation, He init, SGD with momentum 0.9 and a cosine schedule. `lr` is a placeholder for
#: tuned conditions: each gets its own rate from the validation grid (repro.protocol.tuning).
#: Protocol 4: every seed trains and is tested on its own draw of MNIST-1D (resample_data), so every
#: interval covers the data set's variance too (Bouthillier et al. 2021).
MNIST_MLP = ExperimentSpec(
    data="mnist1d", resample_data=True, depth=6, width=100, activation="relu", norm="batch", placement="before",
    bias=True, init="he", optimizer="momentum", lr=FIXED_LR, momentum=0.9, schedule="cosine", batch_size=64,
    steps=STEPS, eval_every=100,
    probes=("activations", "gradients", "units", "bn_params"), probe_steps=PROBE_STEPS,
)
MNIST_MLP_NO_BN = MNIST_MLP.replace(norm="none")

#: The inits the discussion names, as spec fields under the names the report uses: the naive ones
#: (the blog post's 0.01 * N(0, 1), N(0, 1), U(-1, 1)) and the principled ones.
INITS = {
    "0.01*N(0,1)": dict(init="normal", init_scale=0.01), "N(0,1)": dict(init="normal", init_scale=1.0),
    "U(-1,1)": dict(init="uniform", init_scale=1.0), "Xavier": dict(init="xavier"), "He": dict(init="he"),
}
NAIVE_INITS = ("0.01*N(0,1)", "N(0,1)", "U(-1,1)")

#: The blog post's setting: 20 layers of 100 units, no bias, random Gaussian input, weights
#: 0.01 * N(0, 1), BN after the ReLU, nothing trained (the gradient entering the top is noise).
BLOG = ExperimentSpec(
    data="gaussian", depth=20, width=100, activation="relu", norm="batch", placement="after",
    bias=False, init="normal", init_scale=0.01, loss="noise", steps=0,
    probes=("activations", "gradients", "units"), probe_steps=(0,),
)

#: Claims 8 and 9 measure the optimization geometry on the same runs (one training, both claims):
#: the standard model, with a unit's input percentiles every 50 steps for Ioffe & Szegedy's fig. 1,
#: and a 25-layer deep linear net (Santurkar et al.'s, sec. 2.2).
GEOMETRY_MEASURES = dict(geometry=("ics", "smoothness", "interaction"), geometry_steps=GEOMETRY_STEPS)
GEOMETRY_MLP = MNIST_MLP.replace(probes=MNIST_MLP.probes + ("unit_percentiles",),
                                 probe_steps=tuple(range(0, STEPS + 1, 100)), **GEOMETRY_MEASURES)
GEOMETRY_LINEAR = MNIST_MLP.replace(depth=25, activation="identity", init="xavier", **GEOMETRY_MEASURES)
GEOMETRY_CONDITIONS = {
    "BN, ReLU": GEOMETRY_MLP, "no BN, ReLU": GEOMETRY_MLP.replace(norm="none"),
    "BN, deep linear": GEOMETRY_LINEAR, "no BN, deep linear": GEOMETRY_LINEAR.replace(norm="none"),
}
GEOMETRY_PAIRS = {"ReLU MLP": ("BN, ReLU", "no BN, ReLU"), "deep linear net": ("BN, deep linear", "no BN, deep linear")}

#: Deep plain networks (claims 12-14): the standard model at the blog's depth of 20 hidden layers,
#: with and without BN, under three inits. The same specs serve all three claims (trained once).
DEEP_DEPTH = 20
DEEP_BN = MNIST_MLP.replace(depth=DEEP_DEPTH)
DEEP_NO_BN = DEEP_BN.replace(norm="none")
POST_INIT = INITS["0.01*N(0,1)"]                     # the blog post's 0.01 * N(0, 1)
UNIFORM_INIT = dict(init="uniform", init_scale=0.1)  # the pre-Xavier heuristic U(-1/sqrt(n), 1/sqrt(n)), n = 100
DEEP_FACTORIAL = {  # init (He or the post's) x BN or none: claims 13 and 14 share these runs
    "He, BN": DEEP_BN, "He, no BN": DEEP_NO_BN,
    "0.01*N(0,1), BN": DEEP_BN.replace(**POST_INIT), "0.01*N(0,1), no BN": DEEP_NO_BN.replace(**POST_INIT),
}

#: Claim 14 also trains the same factorial at depth 50 (Page's depth, where a plain He-init ReLU stack
#: collapses), at 12 seeds: secondary tests, about 2.5x the depth-20 cost per step.
VERY_DEEP_DEPTH = 50
VERY_DEEP_FACTORIAL = {f"depth {VERY_DEEP_DEPTH}, {name}": spec.replace(depth=VERY_DEEP_DEPTH)
                       for name, spec in DEEP_FACTORIAL.items()}
