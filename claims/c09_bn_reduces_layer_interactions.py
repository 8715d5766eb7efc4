"""Claim 9: Goodfellow's explanation - BN reduces higher-order interactions between layers."""
from repro.claim import RecordedPart
import numpy as np

from repro import Claim, Figure, Metric, Recorded, Superiority, Threshold
from repro.metrics import geometry_mean
from repro.standard import GEOMETRY_CONDITIONS, GEOMETRY_PAIRS as NETS

conditions = GEOMETRY_CONDITIONS  # the same runs as claim 8: one training, both measures

interaction = geometry_mean("geometry/interaction_rel", absolute=True, unit="of the per-layer changes",
                            name="|joint - sum of per-layer loss changes| / sum |per-layer changes|")


def _tracks_ics(r) -> np.ndarray:
    """Per seed: correlation over the measurement points of |interaction| with mean-layer relative ICS,
    each taken relative to the mean over seeds at the same point (so both falling with time does not count)."""
    a = np.log(np.abs(r["geometry/interaction_rel"]))
    b = np.log(r["geometry/ics_rel"][:, :, 1:].mean(axis=2))   # layer 0 has no earlier layer: ICS 0
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _per_first_order(r) -> np.ndarray:
    """|interaction| / (sum of per-layer loss changes)^2: free of the step size (to second order the
    interaction grows as lr^2 and the first-order decrease as lr), so arms at different rates compare."""
    ratio = np.abs(r["geometry/interaction"]) / r["geometry/delta_sum"] ** 2
    return np.log10(ratio).mean(axis=1)


tracks = Metric("per-seed correlation of |interaction| with relative ICS across training, each relative to "
                "the mean over seeds at the same step", _tracks_ics)
matched = Metric("log10 |interaction| / (sum of per-layer loss changes)^2 (mean over steps)", _per_first_order,
                 unit="log10 1/nats", higher_is_better=False)

CLAIM = Claim(
    id="bn-reduces-layer-interactions",
    number=9,
    title="Batch norm reduces second-order interactions between layers (Goodfellow)",
    quote=("Goodfellow's interpretation that batch norm reduces second order interactions among the "
           "variables doesn't seem to be equivalent to \"internal covariate shift\"."),
    speaker="HN commenter",
    hypothesis=("With BN, the loss change of a joint update of all layers departs less (relative to its "
                "size) from the sum of the loss changes of each layer's update alone, in a ReLU MLP and in a "
                "deep linear net."),
    conditions=conditions,
    parts=Superiority.each("BN has smaller relative interaction ({})", NETS, metric=interaction, margin=0.0,
                           why="'reduces' names no size: any reduction beyond noise counts"),
    tests=(
        Threshold("interaction tracks ICS beyond their common time course (ReLU, both arms pooled)",
                  metric=tracks, a=("BN, ReLU", "no BN, ReLU"), tau=0.0, direction="above"),
        *Superiority.each("BN has smaller interaction at matched first-order decrease ({})", NETS, metric=matched,
                          margin=0.0),
    ),
    recorded=Recorded("mixed", estimate=0.210596, ci=(0.0449609, 0.376231), n_seeds=12,
                      protocol=4, date="2026-12-03", parts=(
        RecordedPart('BN has smaller relative interaction (ReLU MLP)',
                     "supported", 0.210596, (0.0449609, 0.376231), 12),
        RecordedPart('BN has smaller relative interaction (deep linear net)',
                     "refuted", -0.134681, (-0.249141, -0.0202202), 12),
    )),
    method=("Goodfellow et al., Deep Learning sec. 8.7.1: updating all layers at once has second- and "
            "higher-order effects that a per-layer view misses. At each of 6 points of training, on one "
            "minibatch: dL_joint = L(theta - lr g) - L(theta) and dL_i = the change when only layer i is "
            "updated; the measure is |dL_joint - sum_i dL_i| / sum_i |dL_i| (0 = layers do not interact), "
            "averaged over the points. Same runs as claim 8, so the two explanations are compared on "
            "identical trajectories. The third test asks whether the measure moves with ICS beyond the time "
            "course they share (deviations from the across-seed mean at each step, log scale); the last two "
            "divide out the step size, since BN and no-BN arms train at different rates."),
    figures=(
        Figure("geometry", "Relative interaction over training", options={"value": "geometry/interaction_rel",
                                                                          "absolute": True, "logy": True}),
        Figure("scatter", "Interaction vs ICS (one point per seed)", options={
            "x": geometry_mean("geometry/ics_rel", name="relative ICS ||G-G'||/||G||"), "y": interaction}),
    ),
    literature=("Goodfellow, Bengio & Courville (2016), sec. 8.7.1 present BN as reparametrising the network "
                "so that the first-order update of one layer is not undone by higher-order effects of the "
                "others. Santurkar et al. (2018) report that BN does not reduce ICS (claim 8)."),
    caveats=("Both networks of the hypothesis are parts (since protocol 3), and protocol 4 keeps the raw relative "
             "interaction at each arm's own step as declared: smaller with BN in the ReLU MLP (0.21 [0.05, 0.38]), "
             "larger in the deep linear net (-0.135 [-0.249, -0.020]), so the claim is mixed. One operationalisation "
             "of 'second-order interactions' among several possible. The deep linear net's reversal has the same cause "
             "as claim 8's raw ICS: BN trains there at 100 times the other arm's rate. Once the step size is divided "
             "out (matched first-order decrease, secondary) BN's interaction is the smaller in both networks (0.29 and "
             "0.56). Unlike claim 8, this claim's parts were not moved to a per-step measure before the run, so the "
             "recorded verdict stays mixed. In the ReLU MLP the interaction moves with ICS beyond the time course they "
             "share."),
    settle=("Parts measured per unit of step, declared before a run, would test the explanation without the rate "
            "confound."),
)
