"""--scheduler cannot hang: a non-Dask listener is refused within 30 s (exit 2, one line); a run
with no worker for NO_WORKER_TIMEOUT_S fails with one line; a lost scheduler is named.
Everything listens on 127.0.0.1 only."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from repro.protocol import cluster  # noqa: E402
from repro.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "claims_fixture"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        assert proc.poll() is None, "the helper process exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {limit} s")


@pytest.fixture
def procs():
    started: list[subprocess.Popen] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=30)


def scheduler(procs) -> str:
    port = free_port()
    p = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                          "--dashboard-address", f"127.0.0.1:{free_port()}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    wait_for_port(port, p)
    return f"tcp://127.0.0.1:{port}"


def worker(procs, address: str) -> subprocess.Popen:
    p = subprocess.Popen([str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                          "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p


def test_non_dask_listener_exits_2_with_one_line_within_30s(procs, tmp_path):
    port = free_port()
    http = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    procs.append(http)
    wait_for_port(port, http)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "repro", "all", "--quick", "--no-pdf", "--out", str(tmp_path / "out"),
                        "--claims-dir", str(FIXTURE), "--scheduler", f"tcp://127.0.0.1:{port}"],
                       capture_output=True, text=True, env=ENV, timeout=30)
    assert time.monotonic() - t0 < 30
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "did not answer the Dask handshake" in p.stderr and not (tmp_path / "out").exists()


def test_all_workers_dead_fails_pending_tasks_after_the_declared_time(procs):
    address = scheduler(procs)
    w = worker(procs, address)
    client = __import__("distributed").Client(address, timeout=10)
    client.wait_for_workers(1, timeout=120)  # a loaded machine starts workers slowly: not what is tested
    ex = cluster.WatchedExecutor(client, address, no_worker_timeout_s=3)
    try:
        assert ex.submit(time.sleep, 0.0).result(timeout=60) is None  # the worker is up
        future = ex.submit(time.sleep, 120.0)  # stdlib: the workers can unpickle it
        w.kill()
        t0 = time.monotonic()
        with pytest.raises(cluster.ClusterLost, match="no Dask worker connected .* for 3 s"):
            future.result(timeout=60)
        assert time.monotonic() - t0 < 40
    finally:
        ex.shutdown()


def test_lost_scheduler_is_named(procs):
    address = scheduler(procs)
    worker(procs, address)
    ex = cluster.WatchedExecutor(__import__("distributed").Client(address, timeout=10), address,
                                 scheduler_grace_s=3)
    try:
        assert ex.submit(time.sleep, 0.0).result(timeout=60) is None
        future = ex.submit(time.sleep, 120.0)  # stdlib: the workers can unpickle it
        procs[0].kill()
        with pytest.raises(cluster.ClusterLost, match=f"lost the Dask scheduler at {address}"):
            future.result(timeout=60)
        with pytest.raises(cluster.ClusterLost):  # and nothing more is sent to it
            ex.submit(time.sleep, 0.0).result(timeout=5)
    finally:
        ex.shutdown()


def test_cli_run_without_workers_ends_with_one_line_exit_1(procs, tmp_path, monkeypatch, capsys):
    address = scheduler(procs)
    monkeypatch.setattr(cluster, "NO_WORKER_TIMEOUT_S", 2.0)
    code = main(["run", "fixture-depth", "--quick", "--no-pdf", "--out", str(tmp_path / "out"),
                 "--claims-dir", str(FIXTURE), "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("repro: error")]
    assert lines == [l for l in lines if "no Dask worker connected" in l] and len(lines) == 1, err
    assert "Traceback" not in err and not (tmp_path / "out" / "results.json").exists()


def test_killed_scheduler_ends_the_cli_with_one_line_and_no_dask_traceback(procs, tmp_path):
    address = scheduler(procs)
    worker(procs, address)
    run = subprocess.Popen([sys.executable, "-m", "repro", "run", "bn-trains-very-deep-networks", "--quick", "--no-pdf",
                            "--out", str(tmp_path / "out"), "--scheduler", address],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        head = []
        while not any("to train" in line for line in head):   # tasks are on the cluster
            line = run.stderr.readline()
            assert line, "".join(head)
            head.append(line)
        time.sleep(3)
        procs[0].kill()
        _, rest = run.communicate(timeout=120)
    finally:
        run.kill()
    err = "".join(head) + rest
    assert run.returncode == 1, err
    assert "repro: error: lost the Dask scheduler" in rest and "Traceback" not in err and "distributed." not in err, err
    assert [line for line in rest.splitlines() if line.strip() and not line.startswith("[repro]")] == \
        [line for line in rest.splitlines() if line.startswith("repro: error: lost the Dask scheduler")], err


def test_the_cluster_reports_the_kernels_its_workers_train_with(procs):
    from repro.protocol.cache import current_kernels
    address = scheduler(procs)
    worker(procs, address)
    client = __import__("distributed").Client(address, timeout=10)
    ex = cluster.WatchedExecutor(client, address)
    try:
        client.wait_for_workers(1, timeout=120)
        assert ex.kernels() == current_kernels()   # the workers inherit repro's pinned kernels here
        from repro.engine.spec import ExperimentSpec
        from repro.protocol.training import train_chunk
        spec = ExperimentSpec(data="teacher", depth=1, width=8, steps=4, eval_every=2, batch_size=8)
        assert ex.submit(train_chunk, spec, (0,)).result(timeout=120).kernels == ex.kernels()
    finally:
        ex.shutdown()
