"""The cache lock: one run per cache, a named holder, a bounded wait, and stale locks taken over.

The lock is fcntl.flock on <cache>/.lock (the kernel releases it when its holder exits, however it
exits). The file's content names the holder: host, pid and the process's start time (field 22 of
/proc/<pid>/stat on Linux), so that
- a waiting run can say whom it waits for ("repro run pid 1234 started 22:51"), and
- a run that finds the lock held while its recorded holder is gone (dead, or its pid reused by a
  process with another start time) knows the lock is held by orphans of a killed run (worker
  processes of an older repro inherit the lock's file descriptor): it takes the lock over by
  replacing the lock file (a new inode the orphans hold nothing on) and says so. A lock file that
  names no holder (written by an older repro) is judged by the flock's owner in /proc/locks.
Workers started by this repro close their inherited copy of the descriptor at once
(repro.protocol.workers), so they never hold the lock; they also die with their parent.

A wait is bounded when a timeout is given: LockTimeout (the CLI: one line, exit 2).
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import inspect
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

POLL_S = 0.25          # how often a waiting run retries the lock
STALE_RECHECK_S = 1.0  # a holder that looks gone is checked again after this long before its lock is taken over

#: descriptors of the locks this process holds: a forked worker closes its inherited copies
HELD_FDS: set[int] = set()


class LockTimeout(TimeoutError):
    """The cache stayed locked by another run for longer than the allowed wait; the message names it."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a cache lock."""

    host: str
    pid: int
    start: int | None      # process start time in clock ticks since boot (Linux), None elsewhere
    started: str           # ISO time the holder took the lock, for people
    command: str = "repro run"

    def describe(self) -> str:
        """E.g. "repro run pid 1234 started 22:51" (plus the host when it is another machine)."""
        when = self.started[11:16] if len(self.started) >= 16 else self.started
        where = "" if self.host == socket.gethostname() else f" on host {self.host}"
        return f"{self.command} pid {self.pid}" + (f" started {when}" if when else "") + where

    def to_json(self) -> str:
        return json.dumps({"host": self.host, "pid": self.pid, "start": self.start, "started": self.started,
                           "command": self.command}) + "\n"

    @staticmethod
    def from_text(text: str) -> "Holder | None":
        try:
            d = json.loads(text)
            return Holder(str(d["host"]), int(d["pid"]), d.get("start"), str(d.get("started", "?")),
                          str(d.get("command", "repro run")))
        except (ValueError, KeyError, TypeError):
            return None


def process_start(pid: int) -> int | None:
    """The start time of process `pid` in clock ticks since boot (Linux /proc), None if unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat[stat.rindex(")") + 2:].split()[19])  # field 22; the command name may hold spaces
    except (ValueError, IndexError):
        return None


def me(command: str = "repro run") -> Holder:
    """This process as a lock holder."""
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return Holder(socket.gethostname(), os.getpid(), process_start(os.getpid()), now, command)


def alive(holder: Holder) -> bool:
    """Whether the holder's process still runs (a holder on another host is assumed alive)."""
    if holder.host != socket.gethostname():
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that pid: alive, compare start times below
        pass
    if _zombie(holder.pid):  # exited, not yet reaped by its parent: it holds nothing
        return False
    if holder.start is None or not Path("/proc").is_dir():
        return True
    return process_start(holder.pid) == holder.start  # None (gone meanwhile) or another start: pid reused


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()[0] == "Z"
    except (OSError, ValueError, IndexError):
        return False


def read_holder(path: Path) -> Holder | None:
    """The holder named in the lock file; else (an older repro names none) the process the kernel lists
    as the flock's owner in /proc/locks (Linux), which for orphans is their dead parent; else None."""
    try:
        named = Holder.from_text(Path(path).read_text())
    except OSError:
        return None
    if named is not None:
        return named
    pid = flock_owner(path)
    return None if pid is None else Holder(socket.gethostname(), pid, None, "", "a process that records no name")


def flock_owner(path: Path, locks: Path = Path("/proc/locks")) -> int | None:
    """The pid that took the flock on `path`, from /proc/locks (None if unknown, or outside our pid namespace)."""
    try:
        st = os.stat(path)
        text = locks.read_text()
    except OSError:
        return None
    where = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == where and fields[4].isdigit():
            return int(fields[4]) or None   # 0: a process in another pid namespace
    return None


def _call(on_wait: Callable, holder: Holder | None) -> None:
    """on_wait(holder) if it takes an argument, else on_wait() (callers written for the older, argument-less hook)."""
    try:
        takes = bool(inspect.signature(on_wait).parameters)
    except (TypeError, ValueError):
        takes = False
    on_wait(holder) if takes else on_wait()


def waiting_message(root: Path, holder: Holder | None, timeout: float | None) -> str:
    """The line a run prints while it waits for the lock."""
    who = holder.describe() if holder is not None else "another run (one that does not record its pid)"
    limit = (f"waiting at most {timeout:g} s" if timeout is not None
             else "--lock-timeout SECONDS to stop waiting")
    return f"waiting for {who} to release the cache at {root}; {limit}"


def _try_lock(path: Path) -> int | None:
    """A descriptor holding the flock on `path` (the file still at that path), or None if another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    try:
        same = os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        same = False
    if not same:  # replaced (taken over) between our open and our lock: lock the new file instead
        os.close(fd)
        return _try_lock(path)
    return fd


def _take_over_if_stale(path: Path, log: Callable[[str], None]) -> bool:
    """If the lock's recorded holder is gone, replace the lock file (orphans keep the old inode); True if done."""
    holder = read_holder(path)
    if holder is None or alive(holder):
        return False
    owner = flock_owner(path)   # the kernel's view, when it has one: a live owner is no stale lock
    if owner is not None and owner != holder.pid and alive(Holder(socket.gethostname(), owner, None, "")):
        return False
    time.sleep(STALE_RECHECK_S)  # a new holder writes its name right after locking: let it, then look again
    if read_holder(path) != holder or _probe_free(path):
        return False
    log(f"the cache lock {path} is held by processes left over from {holder.describe()}, which is no longer "
        f"running: taking the lock over")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    return True


def _probe_free(path: Path) -> bool:
    fd = _try_lock(path)
    if fd is None:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    return True


@contextlib.contextmanager
def hold(path: Path, *, on_wait: Callable | None = None, timeout: float | None = None,
         log: Callable[[str], None] = lambda _msg: None, command: str = "repro run") -> Iterator[Holder | None]:
    """Hold the lock file `path` for the block; yields the previous holder if it ended without releasing
    the lock (a killed run), else None.

    on_wait(holder) (or on_wait()) is called once if another live run holds it; the wait then lasts
    at most `timeout` seconds (None: no limit) before LockTimeout. `log` receives the take-over note.
    """
    if timeout is not None and not timeout >= 0:
        raise ValueError(f"timeout={timeout!r}: must be a number of seconds >= 0, or None to wait without limit")
    path = Path(path)
    deadline = None if timeout is None else time.monotonic() + timeout
    waited = False
    while (fd := _try_lock(path)) is None:
        if _take_over_if_stale(path, log):
            continue
        if not waited:
            waited = True
            if on_wait is not None:
                _call(on_wait, read_holder(path))
        if deadline is not None and time.monotonic() >= deadline:
            holder = read_holder(path)
            who = holder.describe() if holder else "another run"
            raise LockTimeout(f"the cache at {path.parent} is still locked by {who} after {timeout:g} s "
                              f"(--lock-timeout); wait for it to finish, or stop it")
        time.sleep(POLL_S)
    try:
        previous = Holder.from_text(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        os.ftruncate(fd, 0)
        os.pwrite(fd, me(command).to_json().encode(), 0)
        HELD_FDS.add(fd)
        yield previous
    finally:
        HELD_FDS.discard(fd)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # released cleanly: no holder to report
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
