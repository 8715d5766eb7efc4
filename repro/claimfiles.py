"""The one claim loader: find a directory's claim files, import each, and check the ids.

`claim_paths(directory)` lists the claim files (every `*.py` not starting with `_`, sorted by name);
`load_claim_file(path)` imports one and returns its CLAIM. Two ways to load a directory share them:

- `load_claims(directory)`: all or nothing, for library callers; the first broken file raises its
  own error (SyntaxError, SpecError, ClaimError, ...), a duplicate id raises ClaimError.
- `load_claims_with_broken(directory)`: the claims that loaded and a BrokenClaim for each file that
  did not (syntax error, exception at import, SpecError/ClaimError, no CLAIM, a duplicate id), with
  the file, the line in that file and the message: one line for the CLI, the report's provenance and
  the pytest plugin, so that one broken file cannot stop the others.

Both order the claims by number, then id, and reject a directory that does not exist (ClaimError:
a usage error, not a broken claim).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .claim import CLAIMS_DIR, Claim, ClaimError


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


def module_name(path: Path) -> str:
    """The name a claim file's module is registered under in sys.modules (loaded once per process)."""
    return f"repro_claims_{Path(path).stem}"


def load_claim_file(path: Path) -> Claim:
    """Import the claim file at `path` (once per process) and return its CLAIM, with its source text."""
    path = Path(path)
    name = module_name(path)
    if name in sys.modules:
        module = sys.modules[name]
    else:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ClaimError(f"{path}: not a Python file; a claim file is a .py module that defines CLAIM")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    claim = getattr(module, "CLAIM", None)
    if not isinstance(claim, Claim):
        raise ClaimError(f"{path}: define CLAIM = Claim(...)")
    return dataclasses.replace(claim, source=path.read_text())


def claim_paths(directory: Path = CLAIMS_DIR) -> list[Path]:
    """The claim files of `directory`: every `*.py` whose name does not start with `_` (helpers), by name."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ClaimError(f"claims directory {directory} not found; reinstall repro (pip install .) or pass "
                         f"a directory of claim files")
    return [p for p in sorted(directory.glob("*.py")) if not p.name.startswith("_")]


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
        sys.modules.pop(module_name(path), None)
        return broken_from(path, e)


def _load(directory: Path, load: Callable[[Path], Claim | BrokenClaim]) -> tuple[list[Claim], list[BrokenClaim]]:
    """Every claim of `directory` through `load`, a duplicate id made a BrokenClaim; claims by number, then id."""
    claims: list[Claim] = []
    broken: list[BrokenClaim] = []
    first: dict[str, Path] = {}
    for path in claim_paths(directory):
        got = load(path)
        if isinstance(got, Claim) and got.id in first:
            got = BrokenClaim(path, None, f"ClaimError: claim id {got.id!r} is already used by {first[got.id].name}")
        if isinstance(got, BrokenClaim):
            broken.append(got)
        else:
            first[got.id] = path
            claims.append(got)
    return sorted(claims, key=lambda c: (c.number, c.id)), broken


def load_claims_with_broken(directory: Path = CLAIMS_DIR) -> tuple[list[Claim], list[BrokenClaim]]:
    """Every loadable claim in `directory` (ordered by number, then id) and the broken files."""
    return _load(directory, load_one)


def load_claims(directory: Path = CLAIMS_DIR) -> list[Claim]:
    """Every claim in `directory`, ordered by number then id; the first broken file raises its own error,
    a duplicate id raises ClaimError naming both files."""
    claims, broken = _load(directory, load_claim_file)
    if broken:  # only duplicates reach here: load_claim_file raised on anything else
        raise ClaimError(str(broken[0]))
    return claims
