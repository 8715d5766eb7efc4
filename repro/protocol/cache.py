"""An on-disk cache of Records, keyed by spec.key(seeds).

Each entry is <key>.npz (the arrays) + <key>.json (spec, seeds, names, runtime, BLAS kernels,
sha256 of the npz, a digest of each seed's rows). Both are written atomically (temp file in the
same directory, then os.replace), the json last, so an entry is visible only once complete. A
damaged entry (checksum mismatch, unreadable file, names that disagree, arrays that do not fit
the spec and seeds, seed rows out of order: repro.protocol.integrity) is reported with a CacheWarning
naming the key and the reason and treated as a miss; the next put() overwrites it.

The BLAS kernel set is part of what a record is (the kernels round differently, and float32
training amplifies it). Records made with the default kernels (repro.engine.blas pins OpenBLAS's
Haswell kernels; "" where no OpenBLAS is loaded) live in the cache root, as they always have;
records made with any other set live in a folder of their own, e.g. kernels-OpenBLAS-SkylakeX/.
A Cache reads only the namespace of its own kernel set (the kernels this process loaded, unless
given), so a default run after an AVX-512 run on the same cache reuses none of its records. An
entry whose recorded kernels differ from the Cache's (e.g. written to the root by a repro from
before the namespaces) is refused: a miss, with one CacheWarning per run naming both sets.
Records of a non-default set found in the root under that same set (such older caches) are read
and moved into their namespace.

The content hash of every entry a run read or wrote (sha256 of its arrays' npz) is kept in
`Cache.hashes` (repro.protocol.training.Training.entry_hashes), so two reports can be compared
entry by entry. Temporary files left by a killed run are removed when the next run takes the lock.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import integrity, lock as cache_lock
from ..engine.record import Record
from ..engine.spec import ExperimentSpec

FORMAT = 2  # 2: per-seed digests ("seed_digests")
_AXIS, _VALUE = "axis:", "value:"
NAMESPACE_PREFIX = "kernels-"
TEMP_GLOB = ".*.tmp"   # atomic_write's temporary files


def current_kernels() -> str:
    """The BLAS kernels this process trains with (repro.engine.blas.loaded_kernels), e.g. "OpenBLAS Haswell"."""
    import numpy  # noqa: F401 - loads the BLAS, so that it can be described
    from ..engine.blas import loaded_kernels
    return loaded_kernels()


def default_kernel_sets() -> frozenset[str]:
    """Kernel sets whose records live in the cache root: repro's pinned OpenBLAS kernels, and "" (no OpenBLAS)."""
    from ..engine.blas import KERNELS
    return frozenset({f"OpenBLAS {KERNELS}", ""})


def namespace(kernels: str) -> str:
    """The cache subfolder of a kernel set: "" (the root) for the default sets, else kernels-<name>."""
    if kernels in default_kernel_sets():
        return ""
    return NAMESPACE_PREFIX + (re.sub(r"[^A-Za-z0-9._+-]+", "-", kernels).strip("-") or "unnamed")


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
    """Records on disk under `root` (created on first put), read in the namespace of `kernels`
    (default: the kernels this process loaded)."""

    def __init__(self, root: str | os.PathLike, kernels: str | None = None):
        self.root = Path(root)
        self._kernels = kernels
        self.hashes: dict[str, str] = {}     # key -> sha256 of the npz, for every entry read or written
        self._refused: set[str] = set()      # foreign kernel sets already reported this run

    @property
    def kernels(self) -> str:
        if self._kernels is None:
            self._kernels = current_kernels()
        return self._kernels

    @contextlib.contextmanager
    def lock(self, on_wait: Callable | None = None, *, timeout: float | None = None,
             log: Callable[[str], None] | None = None, command: str = "repro run") -> Iterator[None]:
        """Hold an exclusive lock on this cache (<root>/.lock, repro.protocol.lock) for a whole run.

        A second run on the same cache calls `on_wait` once (with the holder, a lock.Holder or None,
        if it takes an argument), waits until the first finishes (at most `timeout` seconds, then
        lock.LockTimeout), and then finds the first run's records in the cache instead of training
        them again. The lock is released when the holder exits, however it exits; a lock held by
        orphans of a dead run is taken over (`log`, default stderr, says so). Temporary files of a
        killed run are removed once the lock is held.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        say = log or (lambda msg: print(f"repro: {msg}", file=sys.stderr, flush=True))
        held = cache_lock.hold(self.root / ".lock", on_wait=on_wait, timeout=timeout, log=say, command=command)
        with held as previous:
            if previous is not None and previous.pid != os.getpid():
                say(f"the last run on the cache {self.root} ({previous.describe()}) ended without releasing it "
                    f"(killed?); its finished experiments are reused")
            self.remove_temp_files()
            yield

    def remove_temp_files(self) -> list[Path]:
        """Delete the temporary files a killed run left (call only while holding the lock); returns them."""
        found = [p for d in [self.root, *self.root.glob(NAMESPACE_PREFIX + "*"), self.root / "figures"]
                 if d.is_dir() for p in d.glob(TEMP_GLOB)]
        for p in found:
            with contextlib.suppress(OSError):   # a read-only cache: the leftovers are ignored (never read) instead
                p.unlink(missing_ok=True)
        return found

    def directory(self, kernels: str | None = None) -> Path:
        """Where records of `kernels` (default: this cache's set) live."""
        return self.root / namespace(self.kernels if kernels is None else kernels)

    def paths(self, key: str, kernels: str | None = None) -> tuple[Path, Path]:
        d = self.directory(kernels)
        return d / f"{key}.npz", d / f"{key}.json"

    def get(self, spec: ExperimentSpec, seeds: tuple[int, ...]) -> Record | None:
        """The cached record of (spec, seeds), or None on a miss, a damaged entry or another kernel set's entry."""
        seeds = tuple(int(s) for s in seeds)
        key = spec.key(seeds)
        npz_path, json_path = self.paths(key)
        legacy = not json_path.exists() and namespace(self.kernels) != ""
        if legacy:  # a non-default set's record written to the root by a repro from before the namespaces
            npz_path, json_path = self.root / npz_path.name, self.root / json_path.name
        if not json_path.exists():
            return None
        try:
            meta = json.loads(json_path.read_text())
            blob = npz_path.read_bytes()
            digest = hashlib.sha256(blob).hexdigest()
            if digest != meta["sha256"]:
                raise ValueError("checksum mismatch")
            if meta["format"] != FORMAT or ExperimentSpec.from_dict(meta["spec"]) != spec or tuple(meta["seeds"]) != seeds:
                raise ValueError("entry describes another experiment")
            with np.load(io.BytesIO(blob), allow_pickle=False) as z:
                axes = {n: z[_AXIS + n] for n in meta["axes"]}
                values = {n: z[_VALUE + n] for n in meta["values"]}
            integrity.check(spec, seeds, values, axes, meta.get("seed_digests"))
        except Exception as e:  # any damage is a miss: the entry gets recomputed and overwritten
            if legacy:
                return None  # another set's root entry, not ours to judge
            warnings.warn(f"cache entry {key} in {self.root} is damaged ({type(e).__name__}: {e}); recomputing it",
                          CacheWarning, stacklevel=2)
            return None
        kernels = meta.get("kernels")  # None: written before kernels were recorded
        if kernels is not None and kernels != self.kernels:
            if not legacy:
                self._refuse(kernels)
            return None
        record = Record(spec, seeds, values, axes, runtime_s=float(meta["runtime_s"]), kernels=kernels or "")
        if legacy:
            self._move_to_namespace(record, json_path, npz_path)
        self.hashes[key] = digest
        return record

    def _move_to_namespace(self, record: Record, json_path: Path, npz_path: Path) -> None:
        """Move an older repro's root entry of a non-default kernel set into its namespace (copy first, then
        remove the root's, json first); on a read-only cache it stays where it is and is read from there."""
        try:
            self.put(record)
            for path in (json_path, npz_path):
                path.unlink(missing_ok=True)
        except OSError:
            pass

    def _refuse(self, kernels: str) -> None:
        """Say once per run and kernel set that entries of another kernel set are not reused."""
        if kernels in self._refused:
            return
        self._refused.add(kernels)
        warnings.warn(f"cache entries in {self.root} made with the BLAS kernels {kernels!r} are not reused by this "
                      f"run, which uses {self.kernels!r} (the kernels change the numbers): they are retrained",
                      CacheWarning, stacklevel=3)

    def put(self, record: Record) -> str:
        """Store a record in the namespace of its kernels; returns its key. The json is written last: it
        marks the entry complete."""
        key = record.spec.key(record.seeds)
        npz_path, json_path = self.paths(key, record.kernels)
        npz_path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        arrays = {_AXIS + n: np.asarray(v) for n, v in record.axes.items()}
        arrays.update({_VALUE + n: np.asarray(v) for n, v in record.values.items()})
        np.savez(buf, **arrays)
        blob = buf.getvalue()
        digest = hashlib.sha256(blob).hexdigest()
        meta = {"format": FORMAT, "key": key, "spec": record.spec.to_dict(), "seeds": list(record.seeds),
                "axes": sorted(record.axes), "values": sorted(record.values),
                "runtime_s": float(record.runtime_s), "kernels": record.kernels, "sha256": digest,
                "seed_digests": integrity.seed_digests(record.values, len(record.seeds))}
        atomic_write(npz_path, blob)
        atomic_write(json_path, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
        self.hashes[key] = digest
        return key

    def forget(self, key: str, kernels: str | None = None) -> None:
        """Remove an entry (json first: it is gone at once) and its hash (e.g. a chunk merged into its whole)."""
        for path in self.paths(key, kernels)[::-1]:
            path.unlink(missing_ok=True)
        self.hashes.pop(key, None)
