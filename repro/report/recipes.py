"""A claim's arms written once: the setup most arms share, then only what differs per arm.

ExperimentSpec.describe() writes a whole recipe per arm (a dozen arms repeat the same data, optimizer
and budget a dozen times); here each recipe is cut into clauses, the setup most arms share is
printed once, and each arm keeps the clauses where it differs from it. The learning rate is left out of the
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
    """(the setup written once, in order; per arm the clauses where it differs from that setup).

    Recipes with the same clause structure (the usual case: layers, block, init, data, training) are
    compared clause by clause: the setup holds each position's most common clause (when at least two arms
    share it), and an arm lists the clauses where it has another. Otherwise the setup is the clauses
    every arm has, and each arm lists the rest."""
    cut = {name: clauses(d) for name, d in descriptions.items()}
    if len(cut) < 2:
        return [], cut
    lengths = {len(cs) for cs in cut.values()}
    if len(lengths) == 1:
        shared: list[str] = []
        for position in range(lengths.pop()):
            column = [cs[position] for cs in cut.values()]
            common = max(dict.fromkeys(column), key=column.count)
            if column.count(common) >= 2:
                shared.append(common)
        return shared, {name: [c for c in cs if c not in shared] for name, cs in cut.items()}
    first = next(iter(cut.values()))
    shared = [c for c in first if all(c in other for other in cut.values())]
    return shared, {name: [c for c in cs if c not in shared] for name, cs in cut.items()}


def sentence(parts: list[str]) -> str:
    """Clauses joined into one sentence."""
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""
