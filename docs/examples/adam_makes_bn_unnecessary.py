"""A claim of one's own: with Adam, batch norm is unnecessary (docs/writing-a-claim.md walks through it).

Run it (a few minutes; --quick is a smoke test, its verdict is not confirmatory):
    repro run adam-makes-bn-unnecessary --quick --claims-dir docs/examples
"""
from repro.claim import Claim, Figure, Interaction, NonInferiority
from repro.metrics import final_accuracy
from repro.standard import MNIST_MLP

# The standard model (MNIST-1D, 6 x 100 ReLU, He init, cosine schedule, 2000 steps) trained with
# Adam instead of SGD with momentum, with and without BN. Probes off: the test reads accuracy only.
ADAM_BN = MNIST_MLP.replace(optimizer="adam", probes=(), probe_steps=())
ADAM_NO_BN = ADAM_BN.replace(norm="none")
# The same pair under the standard optimizer, to see whether Adam is what closes the gap.
SGD_BN = MNIST_MLP.replace(probes=(), probe_steps=())
SGD_NO_BN = SGD_BN.replace(norm="none")

accuracy = final_accuracy()

CLAIM = Claim(
    id="adam-makes-bn-unnecessary",
    title="With Adam, batch norm is unnecessary",
    quote="Adam already normalizes the updates, so with Adam you don't need batch norm.",
    speaker="a common rule of thumb (paraphrased)",
    hypothesis=("Trained with Adam, each arm at its own best learning rate, the standard model without BN "
                "reaches a test accuracy no more than 1 point below the same model with BN."),
    conditions={"Adam, BN": ADAM_BN, "Adam, no BN": ADAM_NO_BN, "SGD, BN": SGD_BN, "SGD, no BN": SGD_NO_BN},
    tests=(
        NonInferiority("with Adam, no BN is within 1 point of BN", metric=accuracy,
                       a="Adam, no BN", b="Adam, BN", margin=1.0),
        NonInferiority("with SGD and momentum, no BN is within 1 point of BN", metric=accuracy,
                       a="SGD, no BN", b="SGD, BN", margin=1.0),
        Interaction("BN gains less with Adam than with SGD", metric=accuracy, test="superiority",
                    a=("SGD, BN", "SGD, no BN"), b=("Adam, BN", "Adam, no BN"), margin=0.0),
    ),
    figures=(
        Figure("curves", "Test accuracy with Adam, with and without BN",
               conditions=("Adam, BN", "Adam, no BN")),
        Figure("curves", "The same pair with SGD and momentum", conditions=("SGD, BN", "SGD, no BN")),
    ),
    method=("Paired seeds: seed i of every arm draws the same data order, and the arms with and without BN "
            "the same initial weights. Each arm gets its own learning rate from the validation grid, so "
            "the comparison is best against best. The primary test is non-inferiority with a margin of 1 "
            "point of test accuracy: 'unnecessary' means that dropping BN costs less than a practitioner "
            "would notice. Two secondary tests: the same comparison with SGD and momentum (does BN matter "
            "without Adam?), and the interaction (is BN's gain smaller with Adam?)."),
    literature=("Ioffe & Szegedy (2015) introduced BN with SGD; Kingma & Ba (2015) scale each parameter's "
                "step by a running estimate of its gradient's size, which removes some of the scale "
                "problems BN also removes, but not the shift of each layer's inputs."),
    caveats=("One small data set (MNIST-1D) and one depth (6 hidden layers); deeper networks are where BN "
             "matters most. Adam's betas and epsilon are the engine's defaults, not tuned."),
)
