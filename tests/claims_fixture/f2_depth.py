"""Fixture claim sharing an experiment with f1 (the 'bn' condition) and adding a deeper one."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _tiny import ACC, TINY  # noqa: E402

from repro import Claim, Equivalence  # noqa: E402

CLAIM = Claim(
    id="fixture-depth", number=2, title="Depth 2 matches depth 1", quote="q", speaker="s", hypothesis="h",
    conditions={"d1": TINY, "d2": TINY.replace(depth=2), "d2 tanh": TINY.replace(depth=2, activation="tanh")},
    tests=(Equivalence("depth equivalent", metric=ACC, a="d2", b="d1", margin=5.0),
           Equivalence("tanh equivalent", metric=ACC, a="d2 tanh", b="d2", margin=5.0)),
    seeds=12,
)
