"""Claim 1: with batch norm, Xavier/He initialisation is unnecessary."""
from repro.claim import RecordedPart
from repro import Claim, Figure, NonInferiority, Recorded, Superiority
from repro.metrics import final_accuracy
from repro.standard import INITS, MNIST_MLP, NAIVE_INITS as naive

bn = {f"BN, {name}": MNIST_MLP.replace(**kw) for name, kw in INITS.items()}
plain = {f"no BN, {name}": MNIST_MLP.replace(norm="none", **kw) for name, kw in INITS.items()}
# The fixed-rate view (every arm at FIXED_LR): the question "is the init unnecessary at the rate I use?"
fixed = {f"BN, {n}, fixed lr": MNIST_MLP.replace(**INITS[n]) for n in (*naive, "Xavier")}
# Effective-learning-rate check: BN(aWu) = BN(Wu) and dL/dW scales by 1/a, so a hidden weight's relative
# step goes as 1/a^2: N(0,1) (7.07x He's std) learns ~50x slower, 0.01*N(0,1) (14x smaller) ~200x faster.
compensated = {
    "BN, N(0,1), hidden lr x 50": MNIST_MLP.replace(init="normal", init_scale=1.0, hidden_lr_scale=50.0),
    "BN, 0.01*N(0,1), hidden lr / 200": MNIST_MLP.replace(init="normal", init_scale=0.01, hidden_lr_scale=1 / 200),
}
# The read-out explanation of what is left at the best rate: the same naive hidden inits, He read-out.
he_readout = {f"BN, {n}, He read-out": MNIST_MLP.replace(readout_init="he", **INITS[n]) for n in ("N(0,1)", "U(-1,1)")}
# Weight decay: under BN the hidden weights are scale-invariant; decay shrinks them towards the scale where
# their effective rate suits the loss, so a naive init's scale is forgotten (van Laarhoven 2017).
WEIGHT_DECAY = 5e-4
decayed = {f"BN, {n}, weight decay": MNIST_MLP.replace(weight_decay=WEIGHT_DECAY, **INITS[n])
           for n in (*naive, "Xavier")}
fixed_by_std = {0.01: "BN, 0.01*N(0,1), fixed lr", 0.1: "BN, Xavier, fixed lr", 3 ** -0.5: "BN, U(-1,1), fixed lr",
                1.0: "BN, N(0,1), fixed lr"}

acc = final_accuracy()
MARGIN = 2.0
WHY = ("'not necessary' allows a small loss: 2 points of test accuracy, about the spread between seeds of one "
       "arm, is the most a practitioner would give up before calling an init necessary")

CLAIM = Claim(
    id="xavier-unnecessary-with-bn",
    number=1,
    title="With batch norm, Xavier/He initialisation is unnecessary",
    quote=("Another thing that's cool about your post is that my intuition was that xavier initialization "
           "was not necessary if one was also using batch norm. It's cool to see that vindicated."),
    speaker="HN commenter",
    hypothesis=("With BN, a network initialised naively reaches a final test accuracy no more than 2 points "
                "below the Xavier-initialised one, with each of the three naive inits (0.01*N(0,1), N(0,1), "
                "U(-1,1)), each arm at its best rate."),
    conditions={**bn, **plain, **fixed, **compensated, **he_readout, **decayed},
    fixed_rate=(*fixed, *compensated),
    parts=tuple(NonInferiority(f"with BN: {n} vs Xavier", metric=acc, a=f"BN, {n}", b="BN, Xavier", margin=MARGIN,
                               why=WHY) for n in naive),
    tests=(
        NonInferiority("with BN: naive inits (pooled) vs Xavier", metric=acc,
                       a=tuple(f"BN, {n}" for n in naive), b="BN, Xavier", margin=MARGIN),
        *(Superiority(f"without BN: Xavier beats {n}", metric=acc, a="no BN, Xavier", b=f"no BN, {n}",
                      margin=MARGIN) for n in naive),
        NonInferiority("with BN: He vs Xavier", metric=acc, a="BN, He", b="BN, Xavier", margin=MARGIN),
        NonInferiority("with BN and a He read-out: N(0,1), U(-1,1) (pooled) vs Xavier", metric=acc,
                       a=tuple(he_readout), b="BN, Xavier", margin=MARGIN),
        Superiority("a He read-out recovers N(0,1) and U(-1,1) (pooled)", metric=acc, a=tuple(he_readout),
                    b=("BN, N(0,1)", "BN, U(-1,1)"), margin=MARGIN),
        NonInferiority("at one fixed rate (0.1), with BN: naive inits (pooled) vs Xavier", metric=acc,
                       a=tuple(f"BN, {n}, fixed lr" for n in naive), b="BN, Xavier, fixed lr", margin=MARGIN),
        Superiority("effective learning rate: N(0,1) recovers with hidden lr x 50", metric=acc,
                    a="BN, N(0,1), hidden lr x 50", b="BN, N(0,1), fixed lr", margin=MARGIN),
        Superiority("effective learning rate: 0.01*N(0,1) recovers with hidden lr / 200", metric=acc,
                    a="BN, 0.01*N(0,1), hidden lr / 200", b="BN, 0.01*N(0,1), fixed lr", margin=MARGIN),
        *(NonInferiority(f"with BN and weight decay {WEIGHT_DECAY:g}: {n} vs Xavier", metric=acc,
                         a=f"BN, {n}, weight decay", b="BN, Xavier, weight decay", margin=MARGIN) for n in naive),
    ),
    recorded=Recorded("mixed", estimate=6.025, ci=(-0.603241, 12.6532), n_seeds=12,
                      protocol=4, date="2026-12-03", parts=(
        RecordedPart('with BN: 0.01*N(0,1) vs Xavier',
                     "supported", 6.025, (-0.603241, 12.6532), 12),
        RecordedPart('with BN: N(0,1) vs Xavier',
                     "refuted", -12.8944, (-22.6184, -3.17052), 12),
        RecordedPart('with BN: U(-1,1) vs Xavier',
                     "refuted", -7.42778, (-9.70467, -5.15088), 24),
    )),
    method=("Protocol 4 adds a weight-decay arm (L2 5e-4 on the Linear weights, each arm at its own rate): under "
            "BN decay shrinks the scale-invariant hidden weights, so an init's scale is forgotten and the naive "
            "inits may catch up. "
            "Same architecture, data, optimiser and step budget for every init, each arm at its own best learning "
            "rate (chosen on the validation split): best against best, so a difference is the init's, not the rate's. "
            "Seeds are paired (same minibatch order and the same standard-normal draws scaled by each init). "
            "Non-inferiority at a 2-point margin: on MNIST-1D two points separate a well from a badly tuned MLP. The "
            "primary test pools the three naive inits per seed; each init is also tested alone, and the same inits "
            "are run without BN, where Xavier should win. Secondary, at one fixed rate (0.1) for every arm: the same "
            "comparison, and two arms that rescale the hidden weights' rate by (He std / init std)^2 to test the "
            "effective-learning-rate explanation."),
    figures=(
        Figure("metric_vs_x", "Final test accuracy vs init std with BN, every arm at the fixed rate 0.1",
               options={"metric": acc, "logx": True, "xlabel": "init std of the hidden weights (Xavier: about 0.1)",
                        "groups": {"BN, fixed lr 0.1": fixed_by_std}}),
        Figure("curves", "Validation accuracy over training with BN, by init (each at its best rate)",
               conditions=tuple(bn), options={"value": "val_acc"}),
        Figure("curves", "Validation accuracy over training without BN, by init (each at its best rate)",
               conditions=tuple(plain), options={"value": "val_acc"}),
        Figure("paired_seeds", "Per-seed final accuracy with BN (lines join the same seed)",
               conditions=tuple(bn), options={"metric": acc}),
        Figure.profile("Weight-gradient norm per layer at init, with BN, by init", "probe/grad_w_norm",
                       step=0, logy=True, conditions=tuple(bn)),
    ),
    literature=("Ioffe & Szegedy (2015), sec. 3.3: BN(aWu) = BN(Wu) and the gradient with respect to W scales by 1/a, "
                "so BN makes the forward pass invariant to the weight scale but changes the effective learning rate, "
                "which is why the claim can only hold within a range of scales at a fixed learning rate and step "
                "budget."),
    caveats=("Protocol 4 decides each naive init as its own part, as protocol 3 did: with BN, 0.01*N(0,1) is "
             "non-inferior to Xavier (+6.0 points [-0.6, 12.7]), N(0,1) (-12.9) and U(-1,1) (-7.4) are refuted, so the "
             "claim is mixed: BN makes a too-small init harmless, not a too-large one, at this step budget. Protocol 4 "
             "adds weight decay (5e-4, secondary tests), under which BN's scale-invariant weights forget their init "
             "scale: U(-1,1) becomes non-inferior to Xavier (-0.2 [-1.2, 0.7]), and N(0,1) still loses (-3.2, "
             "refuted), a quarter of its loss without weight decay. So the large inits lose mostly by learning too "
             "slowly at their effective rate: their BN arms gain 5.6 to 5.8 validation points at twice the steps "
             "(flagged by the convergence check, as is Xavier's, 5.5). One architecture (6x100 MLP), one data set, a "
             "2000-step budget; with an adaptive optimiser (Adam normalises the gradient scale) the range of harmless "
             "init scales may widen. The read-out is not followed by BN, so its naive init (huge or tiny logits at the "
             "start) is not something BN can fix; the learning-rate arms leave its rate unchanged. The arms at the "
             "fixed rate 0.1 and the scaled-rate arms are secondary and mostly flagged (up to 7.9 points at twice the "
             "steps): those tests read a 2000-step budget, not the end of training."),
    settle=("Per-init results show where it holds: at its best rate the small init 0.01*N(0,1) even beats Xavier, but "
            "N(0,1) and U(-1,1) lose at theirs. Part of that is the read-out, whose init BN does not normalize: a He "
            "read-out wins back 6.5 points of their pooled loss and still leaves 3.7 to Xavier (refuted); with weight "
            "decay the gaps shrink to 3.2 (N(0,1)) and 0.2 points (U(-1,1)). A budget at which every BN arm converges "
            "would show whether the large inits catch up."),
)
