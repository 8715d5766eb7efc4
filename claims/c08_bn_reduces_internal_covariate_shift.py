"""Claim 8: batch norm works by reducing internal covariate shift."""
from repro.claim import RecordedPart
from repro import Claim, Figure, NonInferiority, Recorded, Superiority
from repro.metrics import final_accuracy, geometry_mean, ics_per_relative_step
from repro.standard import GEOMETRY_CONDITIONS, GEOMETRY_PAIRS as NETS, MNIST_MLP

# the same runs as claim 9 (one training, both measures), and Santurkar et al.'s noisy BN
conditions = {**GEOMETRY_CONDITIONS, "noisy BN, ReLU": MNIST_MLP.replace(norm="noisy_batch")}
RELU = dict(a="BN, ReLU", b="no BN, ReLU")
acc = final_accuracy()

# Santurkar et al.'s measures (names and units: repro.metrics.GEOMETRY_MEASURES); `applied` is the primary
applied, ics_rel, ics, ics_cos, smooth, loss_range = (geometry_mean(f"geometry/{v}") for v in (
    "ics_applied_rel", "ics_rel", "ics_dist", "ics_cos", "beta_smooth", "loss_range"))
# Protocol 4's parts: the ICS per unit of the relative step the layers below took. BN's scale-invariant
# weights grow, so at one nominal rate BN's layers take smaller relative steps (and the deep linear net
# trains at another rate): the raw measure compares unequal steps.
per_step = ics_per_relative_step()

CLAIM = Claim(
    id="bn-reduces-internal-covariate-shift",
    number=8,
    title="Batch norm reduces internal covariate shift",
    quote=('One thing that\'s been somewhat confusing me is whether Goodfellow\'s explanation aligns with the '
           '"internal covariate shift" explanation.'),
    speaker="HN commenter",
    hypothesis=("With BN, a layer's gradient changes less when the layers below it take their update "
                "(smaller ||G - G'||, Santurkar et al.'s ICS), per unit of the relative step those layers took, "
                "in a ReLU MLP and in a deep linear net."),
    conditions=conditions,
    parts=Superiority.each("BN has smaller ICS per unit of relative step ({})", NETS, metric=per_step, margin=0.0,
                           why="'reduces' names no size: any reduction beyond noise counts"),
    tests=(
        *Superiority.each("BN has smaller relative ICS, at each arm's own step ({})", NETS, metric=applied,
                          margin=0.0),
        *Superiority.each("... after a plain step lr*g ({})", NETS, metric=ics_rel, margin=0.0),
        *Superiority.each("BN has smaller ICS in absolute units ({})", NETS, metric=ics, margin=0.0),
        Superiority("BN keeps G and G' more aligned (ReLU MLP)", metric=ics_cos, margin=0.0, **RELU),
        Superiority("BN makes the loss smoother along the gradient (ReLU MLP)", metric=smooth, margin=0.0, **RELU),
        Superiority("BN narrows the loss range along the gradient (ReLU MLP)", metric=loss_range, margin=0.0, **RELU),
        Superiority("Noisy BN, with a covariate shift injected every step, still beats no BN", metric=acc,
                    a="noisy BN, ReLU", b="no BN, ReLU", margin=1.0),
        NonInferiority("... and is not worse than BN by 2 points or more", metric=acc, a="noisy BN, ReLU",
                       b="BN, ReLU", margin=2.0),
    ),
    recorded=Recorded("supported", estimate=0.0793181, ci=(0.0407607, 0.117876), n_seeds=24,
                      protocol=4, date="2026-12-03", parts=(
        RecordedPart('BN has smaller ICS per unit of relative step (ReLU MLP)',
                     "supported", 0.0793181, (0.0407607, 0.117876), 24),
        RecordedPart('BN has smaller ICS per unit of relative step (deep linear net)',
                     "supported", 0.520846, (0.0368019, 1.00489), 12),
    )),
    method=("Protocol 4 decides on the ICS per unit of relative step: the relative ICS of layer i divided by the "
            "relative size ||delta|| / ||theta|| of the step the layers below it took, log10, averaged over "
            "layers and measurement points; the raw relative ICS is secondary. "
            "Santurkar et al.'s definition: at each of 6 points of training, G is layer i's weight gradient on a "
            "minibatch, G' the same gradient on the same batch after every earlier layer took the update training "
            "applies (momentum 0.9: lr (0.9 v + g)); ICS = ||G - G'||_2, and the primary, scale-free ||G - G'|| / "
            "||G||, averaged over layers and measurement points; also after a plain step lr*g. Smoothness: the "
            "largest ||grad(theta - eta g) - g|| / ||eta g|| for eta from 0.5 to 4 learning rates, and the range of "
            "the loss over those points (Santurkar et al.'s loss landscape, fig. 4). Paired seeds; margin 0 (any "
            "consistent direction counts; the question is the sign). Santurkar et al.'s noisy BN (their sec. 2.1): BN "
            "whose output is scaled by U(0.5, 1.5) and shifted by U(-0.5, 0.5), per unit, redrawn every training step "
            "(evaluation sees the plain net), so each unit's distribution moves by about a third of its standard "
            "deviation per step by construction; its test accuracy at its own best rate against BN (non-inferiority, "
            "2 points) and no BN (superiority, 1 point)."),
    figures=(
        Figure("geometry", "Relative ICS ||G - G'|| / ||G|| at the applied update over training",
               options={"value": "geometry/ics_applied_rel", "logy": True}),
        Figure("geometry", "ICS ||G - G'|| over training", options={"value": "geometry/ics_dist", "logy": True}),
        Figure("geometry", "cos(G, G') over training", options={"value": "geometry/ics_cos"}),
        Figure("geometry", "Effective beta-smoothness over training",
               options={"value": "geometry/beta_smooth", "logy": True}),
        Figure("geometry", "Loss range along the gradient over training",
               options={"value": "geometry/loss_range", "logy": True}),
        Figure("curves", "Test accuracy"),
        Figure("unit_percentiles", "Ioffe & Szegedy's figure 1: the 15th, 50th and 85th percentiles of one unit's "
               "input to the ReLU over training", conditions=("BN, ReLU", "no BN, ReLU"),
               caption="The shift Ioffe & Szegedy called internal covariate shift: without BN the unit's input "
                       "distribution drifts as the layers below learn; with BN it moves only through BN's "
                       "learned shift and scale.",
               options={"layer": -1, "unit": 0}),
    ),
    literature=("Santurkar et al. (2018), 'How does batch normalization help optimization?': with this definition BN "
                "does not reduce ICS and often increases it (VGG on CIFAR-10, a 25-layer linear net), while it "
                "improves gradient predictiveness and effective beta-smoothness."),
    caveats=("Protocol 4 measures the ICS per unit of the relative step the layers below took (||G - G'|| / ||G|| "
             "divided by their ||dW|| / ||W||). BN's scale-invariant weights grow without weight decay, so at a "
             "nominal rate its relative step shrinks, and in the deep linear net BN trains at 100 times the other "
             "arm's rate (0.3 against 0.003). Per unit of relative step both networks favour BN: the ReLU MLP by 0.079 "
             "decades [0.041, 0.118] (24 seeds), Santurkar et al.'s 25-layer deep linear net by 0.52 [0.04, 1.0] (12 "
             "seeds, a wide interval), so the claim is supported. Protocol 3 decided on the raw relative ICS at each "
             "arm's own step, secondary now: it favours BN in the ReLU MLP (0.165) and not in the deep linear net "
             "(-0.379, refuted, as Santurkar et al. found), so protocol 3 read mixed; the reversal in the deep linear "
             "net is the effective-rate confound. G' is taken at the momentum update training applies; a plain step "
             "lr*g gives the same signs (0.166 and -0.221). ReLU MLP: every ICS measure and the smoothness favour BN. "
             "Noisy BN does not reproduce Santurkar et al.'s answer: with a third of a standard deviation of shift per "
             "step it reaches 64.2% against BN's 67.8% and no BN's 65.8% (both tests refuted). Their noise (i.i.d. per "
             "activation and example, VGG/CIFAR-10) differs from this per-unit form, and BN's own gain here is 2 "
             "points."),
    settle="Other architectures, with the ICS per unit of relative step measured at matched effective rates.",
)
