"""Claim 4: leaky ReLU's small negative slope eases vanishing gradients."""
from repro import Claim, Figure, Recorded, Superiority, Trend
from repro.metrics import final_accuracy, layer_log_ratio, probe_mean
from repro.standard import MNIST_MLP_NO_BN

DEPTH = 12
SLOPES = (0.0, 0.01, 0.1, 0.3)
# He init with the leaky gain, (1 + a^2)/2 * n Var[w] = 1, so slope is not confounded with scale.
deep = MNIST_MLP_NO_BN.replace(depth=DEPTH)
conditions = {("ReLU" if a == 0 else f"leaky {a:g}"): (deep if a == 0 else deep.replace(activation="leaky_relu",
                                                                                      leaky_slope=a))
              for a in SLOPES}
names = list(conditions)

grad_ratio = layer_log_ratio("probe/grad_w_norm", numerator=0, denominator=DEPTH - 1, step=-1,
                             name="log10(|dL/dW| first layer / last hidden layer), after training")
grad_ratio_init = layer_log_ratio("probe/grad_w_norm", numerator=0, denominator=DEPTH - 1, step=0,
                                  name="log10(|dL/dW| first layer / last hidden layer), at init")
dead = probe_mean("probe/dead_frac", name="fraction of dead units (mean over layers), after training",
                  higher_is_better=False)
acc = final_accuracy()

CLAIM = Claim(
    id="leaky-relu-eases-vanishing-gradients",
    number=4,
    title="Leaky ReLU eases vanishing gradients",
    quote=("I actually think the idea of using leaky ReLUs is interesting, because it'll still provide a "
           "small gradient when x < 0, which perhaps may slightly alleviate the vanishing gradients issue"),
    speaker="HN commenter",
    hypothesis=(f"In a {DEPTH}-layer plain (no BN) network, the first layer's weight gradient relative to the "
                "last hidden layer's grows with the leaky slope (0 to 0.3)."),
    conditions=conditions,
    tests=(
        Trend("gradient ratio grows with the slope (after training)", metric=grad_ratio,
              levels=dict(zip(SLOPES, names)), direction="increasing", margin=0.3, log2_x=False),
        Trend("gradient ratio grows with the slope (at init)", metric=grad_ratio_init,
              levels=dict(zip(SLOPES, names)), direction="increasing", margin=0.3, log2_x=False),
        Superiority("leaky 0.01 has fewer dead units than ReLU", metric=dead, a="leaky 0.01", b="ReLU", margin=0.01),
        Superiority("leaky 0.01 trains better than ReLU", metric=acc, a="leaky 0.01", b="ReLU", margin=0.5),
        Superiority("leaky 0.3 trains better than ReLU", metric=acc, a="leaky 0.3", b="ReLU", margin=0.5),
    ),
    recorded=Recorded("refuted", estimate=-0.298534, ci=(-0.880687, 0.283619), n_seeds=12, protocol=2, date="2026-11-26"),
    method=(f"Deep plain networks ({DEPTH} hidden layers of 100 units, no BN) where vanishing gradients can "
            "show, He-initialised with the leaky gain so every slope starts with the same forward "
            "variance. The metric is log10 of the first layer's weight-gradient norm over the last hidden "
            "layer's on a fixed probe batch: 0 means no vanishing, -1 means the first layer gets a tenth. "
            "Trend test of the per-seed slope of that metric against the leaky slope; margin 0.3 decades "
            "per unit slope, i.e. 0.09 decades (23% more gradient) across the whole 0-0.3 range. Dead-unit "
            "fraction and accuracy are secondary."),
    figures=(
        Figure("layer_profile", "Weight-gradient norm per layer after training",
               options={"value": "probe/grad_w_norm", "step": -1, "logy": True}),
        Figure("layer_profile", "Weight-gradient norm per layer at init",
               options={"value": "probe/grad_w_norm", "step": 0, "logy": True}),
        Figure("layer_profile", "Dead-unit fraction per layer after training",
               options={"value": "probe/dead_frac", "step": -1}),
        Figure("curves", "Test accuracy", options={"value": "test_acc", "ylabel": "test accuracy"}),
    ),
    literature=("He et al. (2015): leaky ReLU with slope 0.01 has 'negligible impact on accuracy' (citing "
                "Maas et al. 2013); a learned slope (PReLU) gained 1.2 points top-1 on their 14-layer "
                "ImageNet model. With the He gain for slope a, (1+a^2)/2 n Var[w] = 1, the backward "
                "variance is preserved at init for every slope."),
    caveats=("Vanishing gradients at init are removed by the He init for every slope, so the primary test "
             "can only see training dynamics; at init the ratio does grow with the slope (the second test). "
             "Protocol v1 (one rate 0.02, 600 steps, 12 seeds) found this test inconclusive, on the line: "
             "AVX-512 kernels or 24 seeds tipped it to refuted. Under protocol v2 (each slope at its best rate, "
             "trained to a plateau, margin as the smallest effect that matters) the slope's trend after "
             "training is negative and its repeated interval ends below the 0.3 margin at the first look: "
             "refuted. Leaky ReLU still helps here: slope 0.3 trains about 12 points better than ReLU, "
             "through something other than the first layer's share of the gradient."),
    settle="Deeper networks or larger learning rates, where ReLU units die, would show whether slope helps.",
)
