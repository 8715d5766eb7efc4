"""Put a run's output files in place as one set: never files of two runs side by side.

The report writer writes into a staging directory inside out_dir (same filesystem, so the
moves are renames); only when every file is written are they moved into out_dir, and files of
the previous set that this run did not produce (e.g. report.pdf after --no-pdf) are removed.
If anything fails while writing, the staging directory is removed and the previous set stays
as it was; the error is an OutputError saying what failed and where. A staging directory left by a
writer that was killed (SIGKILL, power loss) is removed by the next write into the same out_dir.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

#: every file a run writes into out_dir (report.write_report's outputs)
OUTPUT_FILES = ("report.html", "report.pdf", "results.json", "results.csv", "per_seed.csv")
STAGING_PREFIX = ".staging-"


class OutputError(RuntimeError):
    """Writing the outputs failed; the message is one line and the previous outputs are intact."""


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove staging directories an earlier, killed writer left in out_dir; returns those removed.

    Only directories named '.staging-*' directly in out_dir are touched (what publish creates); a
    concurrent writer into the same out_dir is not supported (the cache lock serializes runs)."""
    removed = []
    for path in Path(out_dir).glob(STAGING_PREFIX + "*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def publish(out_dir: Path, write: Callable[[Path], dict[str, Path]]) -> dict[str, Path]:
    """Run `write(staging_dir)` (it returns name -> path of what it wrote), then move the set into out_dir."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as e:
        raise OutputError(f"cannot create the output directory {out_dir}: {e.strerror or e}") from None
    try:
        try:
            written = write(staging)
        except OSError as e:
            raise OutputError(f"could not write the outputs for {out_dir} ({e.strerror or e}: {e.filename or staging}); "
                              f"the previous report files there are unchanged") from None
        unknown = [p.name for p in written.values() if p.name not in OUTPUT_FILES]
        if unknown:
            raise ValueError(f"write produced {unknown}, which publish does not know; add them to OUTPUT_FILES")
        try:
            for name in OUTPUT_FILES:  # renames within one directory: no data is written from here on
                if (staging / name).exists():
                    os.replace(staging / name, out_dir / name)
                else:
                    (out_dir / name).unlink(missing_ok=True)  # the old set's file this run does not produce
        except OSError as e:
            raise OutputError(f"could not move the new outputs into {out_dir} ({e.strerror or e}: {e.filename}); "
                              f"the files there may come from two runs: rerun") from None
        final = {kind: out_dir / p.name for kind, p in written.items()}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
