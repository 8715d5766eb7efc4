"""Claim 2: Xavier fixes the variances at init; batch norm maintains them through training."""
from repro import Claim, Figure, Recorded, Superiority, Threshold
from repro.metrics import layer_log_ratio, log_drift
from repro.standard import MNIST_MLP, MNIST_MLP_NO_BN

drift = log_drift("probe/act_std", name="mean |log2(std at end / std at init)| of post-activation values")
drift_along = log_drift("probe/act_std", along_run=True,
                        name="mean |log2(std / std at init)| of post-activation values, over the run's probe steps")
pre_bn_drift = log_drift("probe/linear_std", name="mean |log2(std at end / std at init)| of the Linear outputs "
                         "(before BN, if any)")
# He et al. 2015: with ReLU and Xavier (n Var[w] = 1) the variance halves per layer, i.e. the
# std falls by sqrt(2) per layer: over 5 layers log10(std_6 / std_1) = 5 * log10(2^-0.5) = -0.75.
depth_decay = layer_log_ratio("probe/act_std", numerator=5, denominator=0, step=0,
                              name="log10(post-activation std, layer 6 / layer 1) at init")

CLAIM = Claim(
    id="bn-maintains-variance",
    number=2,
    title="Xavier fixes the variances at init; batch norm maintains them through training",
    quote=("Although xavier initialization fixes the variances initially, batch norm allows you to "
           "maintain it through training."),
    speaker="HN commenter",
    hypothesis=("Per-layer activation variances drift less during training with BN than without it, "
                "starting from the same variance-preserving (He) init."),
    conditions={
        "BN, He": MNIST_MLP,
        "no BN, He": MNIST_MLP_NO_BN,
        "BN, Xavier": MNIST_MLP.replace(init="xavier"),
        "no BN, Xavier": MNIST_MLP_NO_BN.replace(init="xavier"),
        "the blog's norm (over units), He": MNIST_MLP.replace(norm="units"),
    },
    tests=(
        Superiority("BN drifts less (He init)", metric=drift, a="BN, He", b="no BN, He", margin=0.1,
                    why="'maintain it through training': a tenth of a doubling (7% in std) less drift, on average "
                        "over layers, is the least that is more than rounding of a well-kept variance"),
        Superiority("BN drifts less (Xavier init)", metric=drift, a="BN, Xavier", b="no BN, Xavier", margin=0.1),
        Threshold("at init, Xavier halves the variance per ReLU layer (no BN)", metric=depth_decay,
                  a="no BN, Xavier", tau=-0.5, direction="below"),
        Threshold("at init, He keeps the variance (no BN)", metric=depth_decay, a="no BN, He", tau=-0.5,
                  direction="above"),
        Superiority("the blog's axis (each example over its units) drifts less too (He init)", metric=drift,
                    a="the blog's norm (over units), He", b="no BN, He", margin=0.1),
        Superiority("BN drifts less along the whole run (He init)", metric=drift_along, a="BN, He", b="no BN, He",
                    margin=0.1),
        Superiority("BN drifts less before the normalization too (He init)", metric=pre_bn_drift, a="BN, He",
                    b="no BN, He", margin=0.1),
    ),
    recorded=Recorded("supported", estimate=0.790426, ci=(0.641773, 0.939078), n_seeds=24,
                      protocol=4, date="2026-12-03"),
    method=("The drift of a layer is |log2| of the ratio of its post-activation standard deviation (on a "
            "fixed probe batch) after training to the same at init, averaged over the 6 layers: 1 means the "
            "std doubled or halved. A margin of 0.1 doublings (7% in std) is the smallest drift difference "
            "worth a sentence. Paired seeds; the same weights at init in both arms. The init-time tests "
            "check He et al.'s derivation on the untrained network. One arm uses the blog post's "
            "normalization axis (each example across its units, i.e. layer norm) instead of the batch. Two "
            "further tests: the drift averaged over every probe step of the run (100, 500, 1000 and 2000), "
            "and the drift of the Linear outputs, the values BN normalizes (with BN their scale is free)."),
    figures=(
        Figure.profile("Post-activation std per layer at init", "probe/act_std", step=0, logy=True),
        Figure.profile("Post-activation std per layer after training", "probe/act_std", logy=True),
        Figure("drift", "Drift of the post-activation std from its value at init, along the run",
               options={"value": "probe/act_std"}),
        Figure("drift", "The same before the normalization (Linear outputs)", options={"value": "probe/linear_std"}),
        Figure("curves", "Test accuracy"),
    ),
    literature=("He et al. (2015): with ReLU, Xavier's n Var[w] = 1 halves the variance at every layer and "
                "He's n Var[w] = 2 preserves it; after L layers Xavier's std is 1/sqrt(2^L) of He's. Ioffe "
                "& Szegedy (2015) argue BN keeps layer input distributions stable during training."),
    caveats=("With BN, the post-activation variance is set by the learned gamma and beta, so 'maintained' "
             "means 'kept near what the optimiser chose', not necessarily near its initial value. "
             "Variance is measured on one probe batch in training mode."),
    settle="More seeds or a longer training budget, where drift without BN grows.",
)
