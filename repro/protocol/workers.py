"""Local worker processes that never outlive the run that started them, and can be stopped at once.

- `init_worker(parent_pid)` is the pool's initializer: on Linux the kernel sends the worker SIGKILL
  when its parent dies (prctl PR_SET_PDEATHSIG), whatever killed the parent (SIGKILL and the OOM
  killer included); everywhere a daemon thread also polls os.getppid() and exits the worker when
  its parent is gone. The worker closes its inherited copies of the cache-lock descriptors (a
  forked child shares its parent's flock otherwise, and would keep the cache locked as an orphan),
  and ignores SIGINT: a Ctrl-C in the terminal reaches the whole process group, and it is the
  parent's to handle (it terminates the workers).
- `Pool` is the run's ProcessPoolExecutor (Inline, in this process, for jobs=1), started at the
  first task (a fully cached run starts none), with `terminate()`: kill the workers now, cancel
  what is queued, wait for nothing.
- `stop_on_interrupt` is what a first Ctrl-C does (training.train_missing, verify): terminate the
  workers and make a second Ctrl-C exit at once (`exit_on_next_interrupt`, also for the CLI).
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from typing import Callable

from . import lock

PR_SET_PDEATHSIG = 1
PARENT_POLL_S = 1.0


def die_with_parent(parent_pid: int) -> bool:
    """Arrange for this process to end when `parent_pid` (its parent) does; True if the kernel does it (Linux)."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="repro-parent-watch", daemon=True).start()
    return armed


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def init_worker(parent_pid: int) -> None:
    """The pool's initializer (see the module docstring)."""
    for fd in list(lock.HELD_FDS):
        with contextlib.suppress(OSError):
            os.close(fd)
    lock.HELD_FDS.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


class Inline(cf.Executor):
    """Runs each task at submit time in this process (jobs=1: no pickling, no extra process)."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - delivered through the future, like a pool would
            future.set_exception(e)
        return future


class Pool(cf.Executor):
    """The run's own workers: a ProcessPoolExecutor of `jobs` workers (Inline for jobs=1) started at the
    first task (a fully cached run starts none) and kept for every phase of the run; its workers die
    with this process, and `terminate()` stops them without waiting."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool: cf.Executor | None = None
        self.terminated = False

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        if self.terminated:
            raise RuntimeError("the worker pool was terminated (the run was interrupted)")
        if self.pool is None:
            self.pool = Inline() if self.jobs == 1 else cf.ProcessPoolExecutor(
                max_workers=self.jobs, initializer=init_worker, initargs=(os.getpid(),))
        return self.pool.submit(fn, *args, **kwargs)

    def pids(self) -> list[int]:
        """The worker processes' ids (none before the first task)."""
        procs = getattr(self.pool, "_processes", None) or {}
        return [p.pid for p in list(procs.values()) if p.pid is not None]

    def terminate(self) -> None:
        """Kill the workers now (their running tasks are lost, finished ones are already cached), cancel
        the queued tasks, and return without waiting for anything. Idempotent."""
        self.terminated = True
        if self.pool is None:
            return
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        with contextlib.suppress(Exception):
            self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # reap them (SIGKILL is immediate): no zombie, no orphan
            with contextlib.suppress(Exception):
                p.join(timeout=1.0)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self.pool is not None and not self.terminated:
            self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def exit_on_next_interrupt(pids: Callable[[], list[int]] = lambda: []) -> bool:
    """Make a further Ctrl-C (SIGINT) end this process at once (exit 130), killing `pids()` first;
    True if installed (only the main thread can install signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return False

    def now(_signum, _frame) -> None:
        for pid in pids():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.write(2, b"repro: interrupted again: exiting now\n")
        os._exit(130)

    signal.signal(signal.SIGINT, now)
    return True


def stop_on_interrupt(executor: cf.Executor) -> None:
    """After a first Ctrl-C: a second one exits at once; the executor's workers are killed now
    (Pool.terminate) or, for another executor (e.g. Dask's), its queued tasks cancelled without waiting."""
    exit_on_next_interrupt(executor.pids if isinstance(executor, Pool) else (lambda: []))
    if isinstance(executor, Pool):
        executor.terminate()
    else:
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False, cancel_futures=True)
