"""A claim's arms written once: the setup every arm shares, then only what differs per arm.

ExperimentSpec.describe() writes a whole recipe per arm (a dozen arms repeat the same data, optimizer
and budget a dozen times); here each recipe is cut into clauses, the clauses every arm shares are
printed once, and each arm keeps the clauses that are its own. The learning rate is left out of the
clauses: the report gives each arm's selected (or fixed) rate beside it.
"""
from __future__ import annotations

import re
from typing import Mapping

LEARNING_RATE = re.compile(r", learning rate [0-9.eE+-]+(?= \(cosine schedule\)|,)")


def clauses(description: str) -> list[str]:
    """A describe() text as its clauses: '6 hidden layers of 100 units', 'each Linear+bias -> BN -> ReLU',
    'init He normal', 'data ...', the training clause (without the learning rate)."""
    text = LEARNING_RATE.sub("", description.strip().rstrip("."))
    text = text.replace(" (cosine schedule)", ", cosine schedule")
    out = []
    for part in text.split("; "):
        head, sep, rest = part.partition(", each ")
        out += [head, "each " + rest] if sep else [part]
    return out


def shared_and_own(descriptions: Mapping[str, str]) -> tuple[list[str], dict[str, list[str]]]:
    """(the clauses every arm has, in order; per arm the clauses only some arms have)."""
    cut = {name: clauses(d) for name, d in descriptions.items()}
    if not cut:
        return [], {}
    first = next(iter(cut.values()))
    shared = [c for c in first if all(c in other for other in cut.values())] if len(cut) > 1 else []
    return shared, {name: [c for c in cs if c not in shared] for name, cs in cut.items()}


def sentence(parts: list[str]) -> str:
    """Clauses joined into one sentence."""
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""
