"""Tiny specs shared by the fixture claims (seconds to train; the leading _ keeps load_claims away)."""
from repro import ExperimentSpec, Metric

TINY = ExperimentSpec(data="teacher", depth=1, width=8, steps=40, eval_every=10, batch_size=32,
                      optimizer="sgd", lr=0.1)


def _final_acc(r):
    return 100.0 * r["test_acc"][:, -1]


ACC = Metric("final test accuracy", _final_acc, unit="% points")
