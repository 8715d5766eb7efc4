"""Claim 4: leaky ReLU's small negative slope eases vanishing gradients."""
from repro.claim import RecordedPart
from repro import Claim, Figure, Recorded, Superiority, Threshold, Trend
from repro.metrics import (FLOAT32_DECADES, backward_factor, final_accuracy, first_to_last_gradient,
                           first_to_last_gradient_in_training, probe_mean, relu_backward_prediction)
from repro.standard import INITS, MNIST_MLP_NO_BN

DEPTH = 12
SLOPES = (0.0, 0.01, 0.1, 0.3)
# He init with the leaky gain, (1 + a^2)/2 * n Var[w] = 1, so slope is not confounded with scale.
leaky = {a: {} if a == 0 else dict(activation="leaky_relu", leaky_slope=a) for a in SLOPES}
conditions = {("ReLU" if a == 0 else f"leaky {a:g}"): MNIST_MLP_NO_BN.replace(depth=DEPTH, **leaky[a]) for a in SLOPES}
names = list(conditions)
# Fixed inits, where vanishing exists at init (no leaky gain): the blog's 0.01*N(0,1) and Xavier, depth 20.
FIXED, DEEP = {i: INITS[i] for i in ("0.01*N(0,1)", "Xavier")}, 20
at_init = MNIST_MLP_NO_BN.replace(depth=DEEP, steps=0, probe_steps=(0,))
fixed = {}  # init -> slope -> condition name, at init (untrained)
for init, kw in FIXED.items():
    fixed[init] = {a: f"{init}, {n}, depth {DEEP}, at init" for a, n in zip(SLOPES, names)}
    conditions.update({fixed[init][a]: at_init.replace(**kw, **leaky[a]) for a in SLOPES})
AT_INIT = tuple(c for init in FIXED for c in fixed[init].values())
# Protocol 4's parts: the same nets trained (each at its best rate), the ratio read while they train.
# Protocol 4, amendment 1: no rate lifts the post's init off chance at depth 20 (claim 14), so its rate search
# ranks noise (it picked 9.49 and 3 in the protocol-4 run, and the metric was NaN for every seed of an arm). Its
# arms train at the rate the search selected for the Xavier arm of the same slope (the same weights scaled by 1/10).
XAVIER_RATES = {0.0: 0.01, 0.01: 0.01, 0.1: 0.01, 0.3: 0.1}   # protocol 4's selection (AVX2) for the Xavier arms
POST = "0.01*N(0,1)"
trained = {}  # init -> slope -> condition name
for init, kw in FIXED.items():
    trained[init] = {a: f"{init}, {n}, depth {DEEP}" for a, n in zip(SLOPES, names)}
    for a in SLOPES:
        spec = MNIST_MLP_NO_BN.replace(depth=DEEP, **kw, **leaky[a])
        conditions[trained[init][a]] = spec.replace(lr=XAVIER_RATES[a]) if init == POST else spec
POST_FIXED = tuple(trained[POST].values())

# Protocol 4, amendment 2: a diverged seed's ratio after training counts as float32's floor (it was an error)
grad_ratio = first_to_last_gradient(DEPTH, worst=FLOAT32_DECADES)
grad_ratio_init = first_to_last_gradient(DEPTH, step=0)
ratio_deep, ratio_training = first_to_last_gradient(DEEP, step=0), first_to_last_gradient_in_training(DEEP)
theory_gap = backward_factor(predicted=relu_backward_prediction)
dead = probe_mean("probe/dead_frac", name="fraction of dead units (mean over layers), after training",
                  higher_is_better=False)
acc = final_accuracy()
LEVELS, UP = dict(zip(SLOPES, names)), dict(direction="increasing", margin=0.1, log2_x=False)
WHY = ("'slightly alleviate' asks for any relief that is not negligible: 0.1 decades per unit of slope, so "
       "about 7% more gradient reaching layer 1 at slope 0.3 than with ReLU")

CLAIM = Claim(
    id="leaky-relu-eases-vanishing-gradients",
    number=4,
    title="Leaky ReLU eases vanishing gradients",
    quote=("I actually think the idea of using leaky ReLUs is interesting, because it'll still provide a "
           "small gradient when x < 0, which perhaps may slightly alleviate the vanishing gradients issue"),
    speaker="HN commenter",
    hypothesis=(f"Where gradients vanish (a {DEEP}-layer plain ReLU network with Xavier init, and with the post's "
                "0.01*N(0,1)), the first layer's weight gradient relative to the last hidden layer's grows with "
                "the leaky slope (0 to 0.3) while the network trains, with each of the two inits."),
    conditions=conditions,
    fixed_rate=POST_FIXED,
    parts=tuple(Trend(f"{i} init, depth {DEEP}: gradient ratio grows with the slope (during training)",
                      metric=ratio_training, levels=trained[i], why=WHY, **UP) for i in FIXED),
    tests=(
        *(Trend(f"{i} init, depth {DEEP}: gradient ratio grows with the slope (at init)", metric=ratio_deep,
                levels=fixed[i], **UP) for i in FIXED),
        Trend(f"He-leaky init, depth {DEPTH}: gradient ratio grows with the slope (after training)", metric=grad_ratio,
              levels=LEVELS, **UP),
        Trend(f"He-leaky init, depth {DEPTH}: gradient ratio grows with the slope (at init)", metric=grad_ratio_init,
              levels=LEVELS, **UP),
        *(Threshold(f"{i} init, depth {DEEP}: dL/dh shrinks per layer as n Var[w] (1+a^2)/2 predicts (within "
                    "0.02 decades), worst slope", metric=theory_gap, a=tuple(fixed[i].values()), tau=0.02,
                    pool="worst") for i in FIXED),
        Superiority("leaky 0.01 has fewer dead units than ReLU", metric=dead, a="leaky 0.01", b="ReLU", margin=0.01),
        Superiority("leaky 0.01 trains better than ReLU", metric=acc, a="leaky 0.01", b="ReLU", margin=0.5),
        Superiority("leaky 0.3 trains better than ReLU", metric=acc, a="leaky 0.3", b="ReLU", margin=0.5),
    ),
    recorded=Recorded("inconclusive", estimate=0.486004, ci=(-0.84103, 1.81304), n_seeds=96,
                      protocol=4, date="2026-12-03", parts=(
        RecordedPart('0.01*N(0,1) init, depth 20: gradient ratio grows with the slope (during training)',
                     "inconclusive", 0.486004, (-0.84103, 1.81304), 96),
        RecordedPart('Xavier init, depth 20: gradient ratio grows with the slope (during training)',
                     "refuted", -7.89432, (-13.2703, -2.51832), 96),
    )),
    method=(f"Where gradients vanish: plain ReLU networks of {DEEP} hidden layers (100 units, no BN) with the "
            "post's 0.01*N(0,1) init and with Xavier init, neither with the leaky gain. The metric is log10 of the "
            "first hidden layer's weight-gradient norm over the last hidden layer's on a fixed probe batch (0: no "
            "vanishing; -1: the first layer gets a tenth), averaged over the probe steps strictly inside the run "
            "(not at init, and not at the last step, where a cosine rate is 0). A step's ratio is floored at "
            "float32's range (-37.9 decades), and a seed whose ratio is not finite counts as that floor (declared: "
            "a net that diverged or died passes no gradient). Each Xavier arm trains at the rate its own search "
            "selected; each post's-init arm at the rate of the Xavier arm with the same slope (amendment 1). Each "
            "part is a trend test of the per-seed least-squares slope of that metric against the leaky slope (0, "
            "0.01, 0.1, 0.3), margin 0.1 decades per unit of slope. Secondary: the same ratio at init; the "
            "per-layer factor of dL/dh at init against the analytic one; and depth-12 nets with He init and the "
            "leaky gain (every slope starts with the same forward variance), their ratio at init and after "
            "training, their dead units and their accuracy."),
    figures=(
        Figure.profile("Weight-gradient norm per layer after training", "probe/grad_w_norm",
                       logy=True, conditions=tuple(names)),
        Figure.profile("Weight-gradient norm per layer at init", "probe/grad_w_norm",
                       step=0, logy=True, conditions=tuple(names)),
        Figure.profile(f"Fixed inits, depth {DEEP}, at init: activation-gradient norm |dL/dh| per layer",
                       "probe/grad_act_norm", step=0, logy=True, conditions=AT_INIT),
        Figure.profile("Dead-unit fraction per layer after training", "probe/dead_frac", conditions=tuple(names)),
        Figure("curves", "Test accuracy", conditions=tuple(names)),
    ),
    literature=("He et al. (2015): leaky ReLU with slope 0.01 has 'negligible impact on accuracy' (citing Maas et al. "
                "2013); a learned slope (PReLU) gained 1.2 points top-1 on their 14-layer ImageNet model. Through a "
                "square layer the variance of dL/dh changes by n Var[w] (1+a^2)/2 per layer going down (He et al. eq. "
                "13 with the slope): the He gain makes it 1 for every slope; with Xavier (n Var[w] = 1) it is "
                "(1+a^2)/2, so slope 0.01 changes it by a factor 1.0001 per layer (+0.2% in variance over 20 layers) "
                "and slope 0.3 by 1.09 (about 5.6x over 20 layers) against ReLU's halving; with 0.01*N(0,1) it is "
                "0.01 (1+a^2)/2. The first/last weight-gradient ratio cancels this to first order: |dL/dW_l| goes as "
                "|dL/dh_l| |h_(l-1)|, and the forward signal shrinks by the same factor per layer (Glorot & Bengio "
                "2010), so that ratio is predicted flat in the slope at these inits."),
    caveats=("The registered protocol-4 run ended in an error for this claim: the post's init trains at no rate at "
             "depth 20 (claim 14), so its rate search ranked noise and picked 9.49 and 3, where the ratio was NaN for "
             "every seed of an arm, and a metric that is NaN for every seed is an error whatever its nonfinite rule. "
             "Amendment 1 of protocol 4 (commit 2a0e535, registered in 8cc0748, before any claim-4 value was computed) "
             "trains those arms at the Xavier arms' selected rates (0.01 for slopes 0 to 0.1, 0.1 for slope 0.3); the "
             "recorded verdict is that amended run's: inconclusive, the post's-init part inconclusive and the Xavier "
             "part refuted. Neither part measures the relief the quote means. The Xavier estimate (-7.89 decades per "
             "unit of slope) is made by the slope-0.3 arm, which trains at ten times the other slopes' rate: 7 of its "
             "96 seeds diverge, and the 6 whose ratio is NaN count as total vanishing (-37.9 decades), as declared. "
             "With those seeds left out (exploratory, after the run) the Xavier trend is +0.16 (standard error 0.11): "
             "the claimed direction, not distinguishable from the margin. Xavier's ratio during training is small "
             "anyway: about -0.09 decades at every slope, so there is little vanishing left to ease. The post's-init "
             "net stays at chance (9%) at every slope, layer 1 about 18.5 decades below the last hidden layer; 5 ReLU "
             "seeds die (both gradients exactly 0) and count as total vanishing. Without them its trend is -1.30 "
             "(standard error 0.13), against the claim, again with slope 0.3 at the larger rate. So a rate that "
             "differs between slopes confounds both parts (see settle). At init (protocol 3's parts, secondary here, "
             "12 seeds) both inits show -0.08 decades per unit of slope [-0.29, 0.13] (protocol 3, fixed data and 96 "
             "seeds: +0.105 [0.04, 0.17]): the ratio is flat, as the first-order theory predicts, while the slope "
             "eases the vanishing of dL/dh exactly as n Var[w] (1+a^2)/2 says (within 0.012 decades per layer), a "
             "small relief against a halving (Xavier) or a 200x loss (0.01*N(0,1)) per layer. At depth 12 with the "
             "leaky gain the ratio grows with the slope at init (0.51 [0.35, 0.67]) and falls after training (-0.21, "
             "refuted). Leaky ReLU still helps there: slope 0.3 trains 13.7 points better than ReLU, through something "
             "other than the first layer's share of the gradient. Not decisive across kernel sets: with the AVX-512 "
             "kernels the slope-0.3 Xavier arm selects 0.03 instead of 0.1, no seed diverges, and the Xavier part is "
             "supported (+0.82 [0.44, 1.21] at 24 seeds; the claim is inconclusive on both), so that part's label "
             "follows the rate its search picks. Amendment 2 (commit f2076db, after both runs) makes a diverged seed "
             "of the depth-12 ratio after training (a secondary test) count as the floor: in the AVX-512 run seed 9 "
             "diverged there and ended the claim in an error after its parts were decided. It changes no part and no "
             "AVX2 value."),
    settle=("The ratio during training with one rate for every slope of an init (the confound above removed), and "
            "larger learning rates, where ReLU units die."),
)
