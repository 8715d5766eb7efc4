"""Claim 7: statistics stored after BN are trivially normalized."""
from repro.claim import RecordedPart
import numpy as np

from repro import Claim, Figure, Metric, Recorded, Threshold
from repro.standard import BLOG

# The blog's spec carries init_scale=0.01 (its 0.01*N(0,1)): He must reset it, or it is 0.01 x He.
INIT_SCALES = {"0.01*N(0,1)": dict(init="normal", init_scale=0.01), "N(0,1)": dict(init="normal", init_scale=1.0),
               "He": dict(init="he", init_scale=1.0)}
batch_axis = {f"blog setup, {name}": BLOG.replace(**kw) for name, kw in INIT_SCALES.items()}
blog_axis = {f"blog's unit norm, {name}": BLOG.replace(norm="units", **kw) for name, kw in INIT_SCALES.items()}
conditions = {**batch_axis, **blog_axis}


def _worst_log2_std(site: str):
    return lambda r: np.abs(np.log2(r[f"probe/{site}_std"][:, 0])).max(axis=1)


post_bn = Metric("max over layers of |log2 std| after BN, at init", _worst_log2_std("norm"),
                 unit="doublings", higher_is_better=False)
post_act = Metric("max over layers of |log2 std| after ReLU, at init", _worst_log2_std("act"), unit="doublings")
per_arm = tuple(Threshold(f"after BN, {name} init: every layer's std is 1 (within 5%)", metric=post_bn, a=arm,
                          tau=0.07, direction="below") for name, arm in zip(INIT_SCALES, batch_axis))

CLAIM = Claim(
    id="post-bn-activations-trivially-normalized",
    number=7,
    title="Activations stored after BN are trivially normalized",
    quote=("In this case, you're storing h_out/std(h_out). Which is trivially normalizing your layers to "
           "have the same variance."),
    speaker="first HN commenter",
    hypothesis=("In the blog's network, values measured after BN have unit standard deviation in every "
                "layer whatever the init scale, while values measured after the ReLU do not."),
    conditions=conditions,
    parts=(
        Threshold("after BN: every layer's std is 1 (within 5%), in the worst of the three inits", metric=post_bn,
                  a=tuple(batch_axis), tau=0.07, direction="below", pool="worst",
                  why="'trivially normalized': unit std up to 5% (0.07 doublings), whatever the init"),
        Threshold("after ReLU, 0.01*N(0,1) init: some layer's std is off by more than 2x", metric=post_act,
                  a="blog setup, 0.01*N(0,1)", tau=1.0, direction="above",
                  why="'while after the ReLU they do not': off by a factor of 2 (1 doubling) at least"),
        Threshold("after ReLU, N(0,1) init: some layer's std is off by more than 2x", metric=post_act,
                  a="blog setup, N(0,1)", tau=1.0, direction="above",
                  why="'while after the ReLU they do not': off by a factor of 2 (1 doubling) at least"),
    ),
    tests=(
        *per_arm,
        Threshold("the blog's axis (each example over its units): every layer's std is 1 too, worst init",
                  metric=post_bn, a=tuple(blog_axis), tau=0.07, direction="below", pool="worst"),
    ),
    recorded=Recorded("supported", estimate=0.00232136, ci=(0.00216267, 0.00248005), n_seeds=12,
                      protocol=4, date="2026-12-03", parts=(
        RecordedPart("after BN: every layer's std is 1 (within 5%), in the worst of the three inits",
                     "supported", 0.00232136, (0.00216267, 0.00248005), 12),
        RecordedPart("after ReLU, 0.01*N(0,1) init: some layer's std is off by more than 2x",
                     "supported", 4.11431, (4.07758, 4.15105), 12),
        RecordedPart("after ReLU, N(0,1) init: some layer's std is off by more than 2x",
                     "supported", 2.60142, (2.55325, 2.6496), 12),
    )),
    method=("The blog's setting (20 layers of 100 ReLU units, BN after the ReLU, Gaussian input), measured "
            "at init on a probe batch of 512 examples, for three inits (0.01*N(0,1), N(0,1), He), with BN over "
            "the batch and with the blog's own normalization over each example's units. For each seed the "
            "metric is the worst layer's |log2 std|: 0 means unit variance, 1 means off by a factor of 2. After "
            "BN the threshold is 0.07 doublings (5%: what batch-size noise alone allows), tested per init and, "
            "as the primary, on the worst of the three inits per seed (pooling by the mean would let one "
            "failing init hide behind the others); the blog's axis is tested the same way, on its worst init. "
            "After the ReLU we ask whether some layer is off by more than 2x. The report shows the measured "
            "worst-layer |log2 std| and its interval; the distance below 0.07 is labelled as such."),
    figures=(
        Figure.profile("Std per layer measured after BN (the blog's view)", "probe/norm_std", step=0, logy=True),
        Figure.profile("Std per layer measured after the ReLU (the commenter's view)", "probe/act_std", step=0,
                       logy=True),
        Figure("layer_histograms", "Histograms after BN vs after ReLU (0.01*N(0,1) init)",
               conditions=("blog setup, 0.01*N(0,1)",),
               options={"sites": ("norm", "act"), "layers": (0, 4, 9, 14, 19)}),
        Figure("layer_histograms", "The same with the blog's normalization axis (each example over its units)",
               conditions=("blog's unit norm, 0.01*N(0,1)",),
               options={"sites": ("norm", "act"), "layers": (0, 4, 9, 14, 19)}),
    ),
    literature=("By construction BN outputs gamma * (x - mean)/sqrt(var + eps) + beta, so at init (gamma=1, "
                "beta=0) each unit has mean 0 and variance var/(var + eps) over the batch whatever came before: "
                "1 unless the input's variance is comparable to eps (1e-5). The blog's histograms after BN "
                "therefore cannot show a depth effect. Its code normalizes across units instead of the batch "
                "(see claim 11), which is equally trivially normalizing."),
    caveats=("A measurement-method claim: it is true by construction, and the experiment checks the code path. "
             "Until v2 the 'He' arm inherited the blog's init_scale 0.01 and was 0.01 x He: its post-ReLU "
             "variance (about 7e-5) is within an order of magnitude of BN's eps, which shrinks the std after "
             "BN by about 7%, and on its own it failed the 5% test (worst layer 0.124 doublings) while the "
             "mean over the three inits passed. The trivial normalization holds only while var >> eps."),
    settle="",
)
