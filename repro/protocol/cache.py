"""An on-disk cache of Records, keyed by spec.key(seeds).

Each entry is <key>.npz (the arrays) + <key>.json (spec, seeds, names, runtime, BLAS kernels,
sha256 of the npz, a digest of each seed's rows). Both are written atomically (temp file in the
same directory, then os.replace), the json last, so an entry is visible only once complete. A
damaged entry (checksum mismatch, unreadable file, names that disagree, arrays that do not fit
the spec and seeds, seed rows out of order: repro.protocol.integrity) is reported with a CacheWarning
naming the key and the reason and treated as a miss; the next put() overwrites it.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import integrity
from ..engine.record import Record
from ..engine.spec import ExperimentSpec

FORMAT = 2  # 2: per-seed digests ("seed_digests")
_AXIS, _VALUE = "axis:", "value:"


class CacheWarning(UserWarning):
    """A cache entry was damaged and will be recomputed."""


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: mkstemp creates files 0600; finished files get the permissions a plain open() would give.
FILE_MODE = _default_mode()


def write_file(fd: int, data: bytes, name: str) -> None:
    """Write `data` to the open file `fd` (called `name`), flush and fsync it; closes fd. Separate so a
    test can make it fail like a full disk."""
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write to a temp file in the same directory, then os.replace: never a half-written file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        write_file(fd, data.encode("utf-8") if isinstance(data, str) else data, tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename is None:  # e.g. ENOSPC from write(): say which file
            raise OSError(e.errno, e.strerror or str(e), str(path)) from e
        raise
    return path


class Cache:
    """Records on disk under `root` (created on first put)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    @contextlib.contextmanager
    def lock(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold an exclusive lock on this cache (fcntl.flock on <root>/.lock) for a whole run.

        A second run on the same cache calls `on_wait` once, blocks until the first finishes, and
        then finds the first run's records in the cache instead of training them again. The lock
        is released when the holder exits, however it exits (the kernel drops flock locks).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.npz", self.root / f"{key}.json"

    def get(self, spec: ExperimentSpec, seeds: tuple[int, ...]) -> Record | None:
        """The cached record of (spec, seeds), or None on a miss or a damaged entry."""
        seeds = tuple(int(s) for s in seeds)
        key = spec.key(seeds)
        npz_path, json_path = self.paths(key)
        if not json_path.exists():
            return None
        try:
            meta = json.loads(json_path.read_text())
            blob = npz_path.read_bytes()
            if hashlib.sha256(blob).hexdigest() != meta["sha256"]:
                raise ValueError("checksum mismatch")
            if meta["format"] != FORMAT or ExperimentSpec.from_dict(meta["spec"]) != spec or tuple(meta["seeds"]) != seeds:
                raise ValueError("entry describes another experiment")
            with np.load(io.BytesIO(blob), allow_pickle=False) as z:
                axes = {n: z[_AXIS + n] for n in meta["axes"]}
                values = {n: z[_VALUE + n] for n in meta["values"]}
            integrity.check(spec, seeds, values, axes, meta.get("seed_digests"))
        except Exception as e:  # any damage is a miss: the entry gets recomputed and overwritten
            warnings.warn(f"cache entry {key} in {self.root} is damaged ({type(e).__name__}: {e}); recomputing it",
                          CacheWarning, stacklevel=2)
            return None
        return Record(spec, seeds, values, axes, runtime_s=float(meta["runtime_s"]), kernels=meta.get("kernels", ""))

    def put(self, record: Record) -> str:
        """Store a record; returns its key. The json is written last: it marks the entry complete."""
        key = record.spec.key(record.seeds)
        self.root.mkdir(parents=True, exist_ok=True)
        npz_path, json_path = self.paths(key)
        buf = io.BytesIO()
        arrays = {_AXIS + n: np.asarray(v) for n, v in record.axes.items()}
        arrays.update({_VALUE + n: np.asarray(v) for n, v in record.values.items()})
        np.savez(buf, **arrays)
        blob = buf.getvalue()
        meta = {"format": FORMAT, "key": key, "spec": record.spec.to_dict(), "seeds": list(record.seeds),
                "axes": sorted(record.axes), "values": sorted(record.values),
                "runtime_s": float(record.runtime_s), "kernels": record.kernels,
                "sha256": hashlib.sha256(blob).hexdigest(),
                "seed_digests": integrity.seed_digests(record.values, len(record.seeds))}
        atomic_write(npz_path, blob)
        atomic_write(json_path, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
        return key
