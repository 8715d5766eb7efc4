"""Fixture claim whose metric raises: it must end as an 'error' verdict, the others unaffected."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _tiny import TINY  # noqa: E402

from repro import Claim, Metric, Threshold  # noqa: E402


def _broken(r):
    return r["no such value"][:, -1]


CLAIM = Claim(
    id="fixture-broken", number=3, title="A claim that raises", quote="q", speaker="s", hypothesis="h",
    conditions={"bn": TINY},
    tests=(Threshold("never evaluated", metric=Metric("broken", _broken), a="bn", tau=0.0),),
    seeds=12,
)
