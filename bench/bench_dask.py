"""How `repro` scales on a Dask cluster: wall time with 1 and 2 local workers against a local run.

Starts a `dask scheduler` and `dask worker` processes on 127.0.0.1 exactly as on several machines
(one single-threaded worker process per core, OPENBLAS_CORETYPE=Haswell as docs/usage.md asks, "On a Dask cluster"), runs
the same claims with an empty cache each time, and checks that every per-seed value
(per_seed.csv) and every verdict is identical to the local run's. A benchmark, not a test:

    python bench/bench_dask.py                      # the quick profile of every claim
    python bench/bench_dask.py --full bn-maintains-variance bn-after-activation-better
    python bench/bench_dask.py --settings width-32,digits  # the thorough profile (quick) on those settings

Needs the dask extra: pip install -e ".[dask]".
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ENV = {**os.environ, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "Haswell")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the Dask scheduler did not listen on port {port} within {limit} s")


def start_cluster(n_workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and n single-threaded worker processes, as `dask scheduler` / `dask worker` start them."""
    port = free_port()
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", f"127.0.0.1:{free_port()}"], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    wait_for_port(port)
    address = f"tcp://127.0.0.1:{port}"
    procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", str(n_workers),
                                   "--nthreads", "1", "--no-dashboard"], env=ENV,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return address, procs


def run(claims: list[str], quick: bool, out: Path, extra: list[str]) -> float:
    """`repro run` (or `repro all`) into out with an empty cache; returns its wall time."""
    cmd = [sys.executable, "-m", "repro", *(["run", *claims] if claims else ["all"]), "--out", str(out), "--no-pdf"]
    cmd += ["--quick"] if quick else []
    start = time.perf_counter()
    subprocess.run(cmd + extra, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def outcome(out: Path) -> tuple[str, dict]:
    """The per-seed values and the verdicts of a run (what must not depend on where it trained)."""
    report = out if (out / "results.json").exists() else next((out / "subset").iterdir())
    results = json.loads((report / "results.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in results["claims"]}
    for cell in (results.get("robustness") or {}).get("cells", []):  # the thorough profile's settings
        verdicts[(cell["claim"], cell["setting"])] = cell.get("verdict")
    return (report / "per_seed.csv").read_text(), verdicts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("claims", nargs="*", help="claim ids (default: every claim)")
    ap.add_argument("--full", action="store_true", help="the default profile instead of --quick")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Dask worker counts to time")
    ap.add_argument("--settings", default=None, metavar="NAMES",
                    help="run the thorough profile with these settings (comma-separated; see repro all --help)")
    args = ap.parse_args(argv)
    quick = not args.full
    profile = ["--profile", "thorough", "--settings", args.settings] if args.settings else []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "local"
        t_local = run(args.claims, quick, local, profile + ["--jobs", str(max(args.workers))])
        reference = outcome(local)
        rows.append((f"local, --jobs {max(args.workers)}", t_local, None))
        for n in args.workers:
            address, procs = start_cluster(n)
            try:
                out = Path(tmp) / f"dask{n}"
                t = run(args.claims, quick, out, profile + ["--scheduler", address])
            finally:
                for p in procs:
                    p.kill()
                    p.wait(timeout=30)
            rows.append((f"Dask, {n} worker{'s' if n > 1 else ''}", t, outcome(out) == reference))
            shutil.rmtree(out, ignore_errors=True)
    what = ", ".join(args.claims) or "every claim"
    kind = f"{'default' if args.full else 'quick'} profile" + (f", thorough settings {args.settings}" if args.settings else "")
    print(f"{what}, {kind}, empty cache each run, no PDF")
    base = next(t for name, t, _ in rows if name.startswith("Dask, 1 "))
    print(f"{'where':<22} {'wall':>9} {'vs 1 Dask worker':>17}  per-seed values and verdicts")
    for name, t, same in rows:
        verdict = "(the reference)" if same is None else "identical to the local run" if same else "DIFFERENT"
        print(f"{name:<22} {t:8.1f}s {base / t:16.2f}x  {verdict}")
    return 0 if all(same is not False for _, _, same in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
