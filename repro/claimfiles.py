"""Load claim files one by one, so that one broken file cannot stop the others.

`load_claims_with_broken(directory)` returns the claims that loaded and a BrokenClaim for each
file that did not (syntax error, exception at import, SpecError/ClaimError, no CLAIM, a
duplicate id), with the file, the line in that file and the message: one line for the CLI,
the report's provenance and the pytest plugin. `repro.claim.load_claims` keeps raising on the
first broken file, for library callers that want all or nothing.
"""
from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from .claim import CLAIMS_DIR, Claim, ClaimError, load_claim_file


@dataclass(frozen=True)
class BrokenClaim:
    """A claim file that could not be loaded: where and why."""

    path: Path
    line: int | None
    message: str

    @property
    def name(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


def broken_from(path: Path, error: BaseException) -> BrokenClaim:
    """The line of `path` where `error` arose (the innermost frame in that file) and a one-line message."""
    path = Path(path)
    if isinstance(error, SyntaxError) and error.filename and Path(error.filename).resolve() == path.resolve():
        return BrokenClaim(path, error.lineno, f"SyntaxError: {error.msg}")
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path.resolve()]
    line = frames[-1].lineno if frames else None
    text = " ".join(str(error).split()) or "(no message)"  # one line, whatever the exception says
    return BrokenClaim(path, line, f"{type(error).__name__}: {text}")


def load_one(path: Path) -> Claim | BrokenClaim:
    """The file's Claim, or a BrokenClaim saying where and why it failed (its half-made module is dropped)."""
    try:
        return load_claim_file(path)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - any failure of a claim file is that file's problem
        sys.modules.pop(f"repro_claims_{Path(path).stem}", None)  # the name load_claim_file registers
        return broken_from(path, e)


def load_claims_with_broken(directory: Path = CLAIMS_DIR) -> tuple[list[Claim], list[BrokenClaim]]:
    """Every loadable claim in `directory` (ordered by number, then id) and the broken files.

    A missing directory still raises ClaimError: that is a usage error, not a broken claim.
    """
    if not Path(directory).is_dir():
        raise ClaimError(f"claims directory {directory} not found; reinstall repro (pip install .) or pass "
                         f"a directory of claim files")
    claims: list[Claim] = []
    broken: list[BrokenClaim] = []
    first: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.py")):
        if path.name.startswith("_"):
            continue
        got = load_one(path)
        if isinstance(got, Claim) and got.id in first:
            got = BrokenClaim(path, None, f"ClaimError: claim id {got.id!r} is already used by {first[got.id].name}")
        if isinstance(got, BrokenClaim):
            broken.append(got)
        else:
            first[got.id] = path
            claims.append(got)
    return sorted(claims, key=lambda c: (c.number, c.id)), broken
