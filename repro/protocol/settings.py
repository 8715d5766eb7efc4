"""The settings of the thorough profile: where each claim's primary test runs again.

A Setting changes the specs of a claim's primary conditions (another data set, another width, or
a new draw of the data for every seed); the hypothesis, the test, its margin and the sequential
design stay as the claim declares them, and every arm is tuned again on the validation split of
that setting. The robustness matrix of the report is each claim's primary verdict in each setting.

The default profile randomizes, per seed, the weights at init, the minibatch order and, since
protocol 4, the draw of MNIST-1D itself (Bouthillier et al. 2021; and the noise of the blog's noise
loss and of noisy BN). The "fixed-data" setting shares one draw between every seed, as protocols 1-3
did: the matrix then shows what sampling the data changes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..claim import Claim
from ..engine.spec import ExperimentSpec


@dataclass(frozen=True)
class Setting:
    """A departure from the default setting (MNIST-1D, one draw, width 100), one factor at a time."""

    name: str                  # lowercase words joined by '-', part of the derived claim ids
    label: str                 # the robustness matrix's column header, a few words
    description: str           # what changes, for the report
    data: str | None = None    # replaces MNIST-1D (other data sets, e.g. the blog's Gaussian input, stay)
    fixed_data: bool = False   # one draw of MNIST-1D shared by every seed (protocols 1-3)
    width: int | None = None   # every hidden layer's width

    def apply(self, spec: ExperimentSpec) -> ExperimentSpec:
        """`spec` in this setting (unchanged where the setting does not apply to it)."""
        changes: dict = {}
        if self.data is not None and spec.data == "mnist1d":
            changes.update(data=self.data, resample_data=False)   # the other data sets have one draw
        if self.fixed_data and spec.resample_data:
            changes["resample_data"] = False
        if self.width is not None and spec.width != self.width:
            changes["width"] = self.width
        return spec.replace(**changes) if changes else spec


DEFAULT = Setting("default", "default",
                  "the default profile: MNIST-1D drawn per seed, 100 units per layer; its primary verdicts are the "
                  "recorded ones")
FIXED_DATA = Setting("fixed-data", "one data draw",
                     "every seed trains and is tested on the same draw of MNIST-1D (make_dataset's default seed), as "
                     "protocols 1-3 did: the interval leaves out the data set's variance", fixed_data=True)
DIGITS = Setting("digits", "digits",
                 "scikit-learn's 8x8 handwritten digits (1180 train + 168 validation / 449 test, 64 features) "
                 "instead of MNIST-1D; conditions on other data (the blog's Gaussian input) are unchanged",
                 data="digits")
NARROW = Setting("width-32", "width 32", "MNIST-1D, every hidden layer 32 units wide instead of 100", width=32)
WIDE = Setting("width-400", "width 400", "MNIST-1D, every hidden layer 400 units wide instead of 100", width=400)

#: The thorough profile's settings besides the default, in the matrix's column order.
THOROUGH = (FIXED_DATA, DIGITS, NARROW, WIDE)
SETTINGS = {s.name: s for s in (DEFAULT,) + THOROUGH}


def in_setting(claim: Claim, setting: Setting) -> Claim | None:
    """The claim's parts alone (no secondary test), their conditions moved to `setting`; None when the
    setting changes none of them (e.g. a data set for a claim measured on the blog's Gaussian input)."""
    conditions = {c: claim.conditions[c] for c in claim.part_conditions()}
    moved = {c: setting.apply(spec) for c, spec in conditions.items()}
    if moved == conditions:
        return None
    return dataclasses.replace(
        claim, id=f"{claim.id}-in-{setting.name}", conditions=moved, parts=claim.parts, tests=(), figures=(),
        fixed_rate=tuple(c for c in claim.fixed_rate if c in moved), recorded=None)


def randomized(specs) -> list[str]:
    """What each seed draws anew in these specs: the sources of variance a claim's interval covers."""
    specs = list(specs)
    sources = ["init"]
    if any(s.steps > 0 for s in specs):
        sources.append("minibatch order")
    if any(s.loss == "noise" for s in specs):
        sources.append("the noise loss")
    if any(s.norm == "noisy_batch" and s.steps > 0 for s in specs):
        sources.append("BN noise")
    if any(s.resample_data for s in specs):
        sources.append("data draw")
    return sources
