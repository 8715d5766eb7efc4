"""`repro new ID [--dir DIR]`: write a claim file skeleton that runs as it is.

The skeleton is a real, small claim (batch norm against none in the standard model, each arm at its
own best learning rate, one superiority test on test accuracy), so that `repro run ID --quick
--claims-dir DIR` works before a line is edited; the user then replaces the quote, the conditions
and the test with their own (docs/writing-a-claim.md walks through it). The file is
DIR/<id with '-' as '_'>.py; an existing file is never overwritten.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Sequence

ID_PATTERN = r"[a-z0-9]+(-[a-z0-9]+)*"   # the ids repro.claim.Claim accepts

SKELETON = '''"""{title}: a claim of my own, tested by repro.

Written by `repro new {id}`. It runs as it is:
    repro run {id} --quick --claims-dir {dir_hint}
Then make it yours: the quote, the hypothesis, the conditions and the test (docs/writing-a-claim.md).
"""
from repro import Claim, Figure, Superiority
from repro.metrics import final_accuracy
from repro.standard import MNIST_MLP

# The conditions: the standard model (MNIST-1D, 6 hidden layers of 100 ReLU units, BN before the
# activation, He init, SGD with momentum 0.9, cosine schedule, 2000 steps) with one change each.
# Probes off: accuracy is read from the evaluations, so nothing else needs recording.
WITH_BN = MNIST_MLP.replace(probes=(), probe_steps=())
WITHOUT_BN = WITH_BN.replace(norm="none")

CLAIM = Claim(
    id="{id}",
    title="{title}",
    quote="Batch norm makes a network train to a better accuracy.",
    speaker="(who said it, and where: a link, a paper, a thread)",
    hypothesis=("The standard model with batch norm reaches a test accuracy at least 1 point higher than "
                "the same model without it, each at its own best learning rate."),
    conditions={{"BN": WITH_BN, "no BN": WITHOUT_BN}},
    tests=(
        Superiority("BN beats no BN by more than 1 point", metric=final_accuracy(), a="BN", b="no BN",
                    margin=1.0),
    ),
    figures=(Figure("curves", "Test accuracy with and without batch norm", conditions=("BN", "no BN")),),
    method=("Paired seeds: seed i of both arms draws the same data order. Each arm's learning rate is "
            "chosen on the validation split. Margin: 1 point of test accuracy, the smallest gain a "
            "practitioner would act on for this model."),
    literature="(What published work says about the claim, with references.)",
    caveats="(What this experiment cannot tell: one data set, one width, one optimizer.)",
)
'''


class ScaffoldError(ValueError):
    """A bad id or a file that already exists: printed as one line, exit code 2."""


def file_name(claim_id: str) -> str:
    """The claim file's name for `claim_id`: its words joined by '_' (a module name), then '.py'."""
    return claim_id.replace("-", "_") + ".py"


def skeleton(claim_id: str, dir_hint: str = ".") -> str:
    """The text of a claim file for `claim_id` that loads and runs as it is."""
    check_id(claim_id)
    title = claim_id.replace("-", " ").capitalize()
    return SKELETON.format(id=claim_id, title=title, dir_hint=dir_hint)


def check_id(claim_id: str) -> str:
    """`claim_id` if it is lowercase letters and digits in words joined by '-', else ScaffoldError."""
    if not re.fullmatch(ID_PATTERN, claim_id or ""):
        raise ScaffoldError(f"ID {claim_id!r}: must be lowercase letters and digits in words joined by '-', "
                            f"e.g. adam-makes-bn-unnecessary")
    return claim_id


def write_skeleton(claim_id: str, directory: Path = Path(".")) -> Path:
    """Write the skeleton to directory/<file_name(claim_id)> (creating the directory); never overwrite."""
    check_id(claim_id)
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"--dir {directory} exists and is not a directory; choose a directory")
    path = directory / file_name(claim_id)
    if path.exists():
        raise ScaffoldError(f"{path} already exists; choose another ID or --dir, or delete the file first")
    directory.mkdir(parents=True, exist_ok=True)
    hint = "." if directory.resolve() == Path.cwd().resolve() else str(directory)
    with open(path, "x") as f:  # "x": fails rather than overwrite, even in a race
        f.write(skeleton(claim_id, hint))
    return path


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="repro new", description="Write a claim file skeleton that runs as it is "
                                "(repro run ID --quick --claims-dir DIR); see docs/writing-a-claim.md.")
    p.add_argument("id", metavar="ID", help="the claim's id: lowercase words joined by '-', e.g. my-claim")
    p.add_argument("--dir", type=Path, default=Path("."), metavar="DIR",
                   help="where to write <id with _>.py (default: the current directory; created if missing)")
    return p.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """`repro new ID [--dir DIR]`; returns the exit code (2 for a usage error)."""
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        path = write_skeleton(args.id, args.dir)
    except (ScaffoldError, OSError) as e:
        print(f"repro new: error: {e}", file=sys.stderr)
        return 2
    where = "." if args.dir.resolve() == Path.cwd().resolve() else str(args.dir)
    print(f"wrote {path}\ntry it: repro run {args.id} --quick --claims-dir {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
