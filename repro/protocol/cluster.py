"""A Dask cluster as an Executor that cannot hang: a bounded connect and a watchdog.

connect(address, timeout): before distributed.Client is created, the Dask handshake and an
`identity` request are done in our own event loop under a hard deadline (asyncio.wait_for).
Client(address, timeout=...) alone can hang forever when the port answers but is not a Dask
scheduler (e.g. an HTTP server). A refused or silent port, or a non-scheduler, raises
ClusterUnreachable (the CLI: one line, exit 2).

WatchedExecutor wraps client.get_executor(): its futures are ours, and a watchdog thread fails
every pending one with ClusterLost (the CLI: one line, exit 1; finished chunks stay cached) when
- no worker has been connected for NO_WORKER_TIMEOUT_S (every worker died, or none ever came), or
- the scheduler is lost: the client is no longer running, or Dask cancels our tasks.
A task's own exception passes through unchanged (it is that experiment's error verdict).
Once the cluster is lost or the executor shut down, Dask's own loggers are silenced: its client
would otherwise print tracebacks of its reconnection attempts (about 50 lines) after our one line.
"""
from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import socket
import threading
import time
from typing import Any, Callable

NO_WORKER_TIMEOUT_S = 60.0   # how long a run waits with no worker before it gives up
SCHEDULER_GRACE_S = 10.0     # how long the client may be disconnected before the scheduler counts as lost
POLL_S = 0.5


QUIETED = ("distributed", "tornado")  # loggers silenced once the cluster is lost or no longer used


def quiet_dask() -> None:
    """Silence Dask's loggers (and tornado's, its event loop): what they say after our error line is noise."""
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in QUIETED] + list(QUIETED)
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.disabled = True


def worker_kernels() -> str:
    """The BLAS kernels of the process it runs in (run on each Dask worker by WatchedExecutor.kernels)."""
    import numpy  # noqa: F401 - loads the BLAS, so that it can be described
    from ..engine.blas import loaded_kernels
    return loaded_kernels()


class ClusterError(RuntimeError):
    """The Dask cluster cannot be used; the message is one line saying what and what to do."""


class ClusterUnreachable(ClusterError):
    """No Dask scheduler answered at the address within the timeout (a usage error)."""


class ClusterLost(ClusterError):
    """The cluster went away during the run (no worker for too long, or the scheduler died)."""


async def _identity(address: str, timeout: float) -> dict:
    import distributed
    comm = await distributed.comm.connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity"})
        return await comm.read()
    finally:
        comm.abort()


def _listening(address: str, timeout: float) -> bool | None:
    """Whether a plain TCP connect to a tcp:// address succeeds (None: not a tcp:// address)."""
    import distributed
    try:
        scheme, location = distributed.comm.parse_address(address)
        if scheme != "tcp":
            return None
        host, port = distributed.comm.addressing.parse_host_port(location, default_port=8786)
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False
    except (ValueError, TypeError):
        return None


def probe(address: str, timeout: float) -> dict:
    """The scheduler's identity, or ClusterUnreachable; never takes much longer than `timeout` seconds."""
    listening = _listening(address, timeout)
    if listening is False:  # refused or silent: fail now (Dask's connect would retry until the timeout)
        raise ClusterUnreachable(f"no Dask scheduler at {address!r}: nothing accepts connections there within "
                                 f"{timeout:g} s; start one (dask scheduler) or check the address and port")
    try:
        reply = asyncio.run(asyncio.wait_for(_identity(address, timeout), timeout))
    except (OSError, TimeoutError, asyncio.TimeoutError) as e:
        what = ("something listens there but did not answer the Dask handshake" if listening
                else f"no answer ({type(e).__name__})")
        raise ClusterUnreachable(f"no Dask scheduler at {address!r} within {timeout:g} s: {what}; "
                                 f"start one (dask scheduler) or check the address and port") from None
    except Exception as e:  # noqa: BLE001 - bad address syntax, a protocol error from a non-Dask server
        raise ClusterUnreachable(f"{address!r} is not a usable Dask scheduler address ({type(e).__name__}: "
                                 f"{' '.join(str(e).split())[:200]}); check the address and port") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ClusterUnreachable(f"{address!r} answered but is not a Dask scheduler; check the address and port")
    return reply


def connect(address: str, timeout: float = 5.0) -> "WatchedExecutor":
    """A watched executor on the Dask scheduler at `address`; ClusterUnreachable within ~2 x timeout."""
    try:
        import distributed
    except ImportError:
        raise ClusterUnreachable("--scheduler needs Dask: install the dask extra: pip install -e '.[dask]'") from None
    probe(address, timeout)
    try:
        client = distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError) as e:
        raise ClusterUnreachable(f"cannot connect a Dask client to {address!r} within {timeout:g} s "
                                 f"({type(e).__name__}); check the scheduler") from None
    return WatchedExecutor(client, address)


class WatchedExecutor(cf.Executor):
    """client.get_executor() with a watchdog that turns a lost cluster into ClusterLost on every pending future."""

    def __init__(self, client: Any, address: str, *, no_worker_timeout_s: float | None = None,
                 scheduler_grace_s: float | None = None):
        self.client, self.address = client, address
        self.inner = client.get_executor()
        self.no_worker_timeout_s = NO_WORKER_TIMEOUT_S if no_worker_timeout_s is None else no_worker_timeout_s
        self.scheduler_grace_s = SCHEDULER_GRACE_S if scheduler_grace_s is None else scheduler_grace_s
        self._pending: set[cf.Future] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.failure: ClusterLost | None = None
        self._watchdog = threading.Thread(target=self._watch, name="repro-cluster-watchdog", daemon=True)
        self._watchdog.start()

    def submit(self, fn: Callable, /, *args, **kwargs) -> cf.Future:
        outer: cf.Future = cf.Future()
        outer.set_running_or_notify_cancel()
        with self._lock:
            if self.failure is not None:
                outer.set_exception(self.failure)
                return outer
            self._pending.add(outer)
        inner = self.inner.submit(fn, *args, **kwargs)
        inner.add_done_callback(lambda f: self._deliver(f, outer))
        return outer

    def _deliver(self, inner: cf.Future, outer: cf.Future) -> None:
        if inner.cancelled() or isinstance(inner.exception(), (cf.CancelledError, asyncio.CancelledError)):
            # we never cancel a task ourselves while the run goes on: Dask cancels them when the scheduler is lost
            self._fail(f"lost the Dask scheduler at {self.address} (its tasks were cancelled)")
            return
        with self._lock:  # whoever takes `outer` out of _pending (here or _fail) completes it
            if outer not in self._pending:
                return
            self._pending.discard(outer)
        if inner.exception() is not None:
            outer.set_exception(inner.exception())
        else:
            outer.set_result(inner.result())

    def _fail(self, reason: str) -> None:
        quiet_dask()
        with self._lock:
            if self.failure is None:
                self.failure = ClusterLost(f"{reason}; finished experiments are cached, rerun to resume")
            pending, self._pending = self._pending, set()
        for f in pending:
            if not f.done():
                f.set_exception(self.failure)

    def kernels(self) -> str | None:
        """The BLAS kernel set the cluster's workers train with (repro.engine.blas.loaded_kernels) if they
        all report the same one, else None (no worker yet, workers that differ, or no answer). The run's
        Cache should read that set's namespace (repro.protocol.cache), not the client machine's."""
        try:
            found = set(self.client.run(worker_kernels).values())
        except Exception:  # noqa: BLE001 - a cluster that cannot answer: the caller keeps its own kernels
            return None
        return found.pop() if len(found) == 1 else None

    def _n_workers(self) -> int:
        try:
            return len(self.client.scheduler_info().get("workers", {}))
        except Exception:  # noqa: BLE001 - a disconnected client: no worker we can use
            return 0

    def _watch(self) -> None:
        no_worker_since = disconnected_since = None
        while not self._stop.wait(POLL_S):
            now = time.monotonic()
            running = getattr(self.client, "status", "running") == "running"
            disconnected_since = None if running else (disconnected_since or now)
            if disconnected_since is not None and now - disconnected_since >= self.scheduler_grace_s:
                self._fail(f"lost the Dask scheduler at {self.address} (disconnected for {self.scheduler_grace_s:g} s)")
            idle = not self._pending  # nothing to run: having no worker is not a problem yet
            no_worker_since = None if idle or self._n_workers() else (no_worker_since or now)
            if no_worker_since is not None and now - no_worker_since >= self.no_worker_timeout_s:
                self._fail(f"no Dask worker connected to {self.address} for {self.no_worker_timeout_s:g} s "
                           f"(start workers: dask worker {self.address})")

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the watchdog and close the client (pending Dask tasks are released)."""
        self._stop.set()
        quiet_dask()
        if cancel_futures:
            self._fail("the run was shut down")
        try:
            self.client.close(timeout=2)
        except Exception:  # noqa: BLE001 - closing a client whose scheduler is gone may fail; nothing to keep
            pass
