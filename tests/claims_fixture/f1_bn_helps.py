"""Fixture claim: BN vs no BN on a tiny net (the verdict does not matter, the pipeline does)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _tiny import ACC, TINY  # noqa: E402

from repro import Claim, Superiority, Threshold  # noqa: E402

CLAIM = Claim(
    id="fixture-bn-helps", number=1, title="BN helps a tiny net", quote="q", speaker="s", hypothesis="h",
    conditions={"bn": TINY, "plain": TINY.replace(norm="none"), "bn wide": TINY.replace(width=16, steps=30)},
    tests=(Superiority("bn better", metric=ACC, a="bn", b="plain", margin=1.0),
           Threshold("bn above chance", metric=ACC, a="bn", tau=10.0, direction="above"),
           Superiority("wide better", metric=ACC, a="bn wide", b="bn", margin=1.0)),
    seeds=12,
)
