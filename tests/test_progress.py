"""Progress: real task counts with rate and ETA, a tqdm bar on a terminal, plain lines elsewhere."""
import io
import re

from repro.protocol.progress import Progress, on_terminal


def run_phase(progress: Progress) -> None:
    progress.log("[repro] tuning stage 1: 3 runs")
    progress.begin({"a: bn": 2, "a: plain": 1, "b: x": 2})
    for label in ("a: bn", "a: plain", "b: x", "a: bn", "b: x"):
        progress.advance(label)
    progress.end()


def test_plain_lines_count_tasks_with_rate_and_eta():
    stream = io.StringIO()
    run_phase(Progress(stream, tty=False, interval=0.0))
    text = stream.getvalue()
    assert "\x1b" not in text and "\r" not in text  # nothing a log viewer garbles
    assert "[repro] tuning stage 1: 3 runs" in text and "3 experiment(s) to train in 5 task(s)" in text
    assert re.search(r"2/5 tasks \(40% of the cost\), \d+s elapsed, ETA \d+s \| done: a: plain", text)
    assert "training finished: 5/5 tasks (100% of the cost)" in text


def test_the_eta_weighs_tasks_by_their_cost_and_not_the_resumed_ones(monkeypatch):
    """One cheap task done of a cheap and a 9x dearer one: 10% of the cost, 9x the elapsed time to go."""
    now = [0.0]
    monkeypatch.setattr("repro.protocol.progress.time.perf_counter", lambda: now[0])
    stream = io.StringIO()
    progress = Progress(stream, tty=False, interval=0.0)
    progress.begin({"cheap": 1, "dear": 1, "old": 1}, costs={"cheap": 1.0, "dear": 9.0, "old": 5.0})
    progress.advance("old", resumed=True)
    now[0] = 10.0
    progress.advance("cheap")
    line = stream.getvalue().splitlines()[-1]
    assert "2/3 tasks (40% of the cost), 10s elapsed, ETA 1m30s | done: cheap" in line, line


def test_terminal_bar_is_tqdm_with_counts_rate_and_eta():
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    progress.begin({"a: bn": 2, "b: x": 2})
    progress.advance("a: bn")
    progress.log("[repro] look 1")  # printed above the bar, not into it
    progress._bar.refresh()
    text = stream.getvalue()
    assert re.search(r"25% of the cost \|.*\| .*<.*1/4 tasks", text), text  # cost done, elapsed<ETA, tasks
    assert "[repro] look 1\n" in text
    progress.end()
    assert progress._bar is None and "training finished: 1/4 tasks" in stream.getvalue()


def test_no_bars_in_ci_or_pipes(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.delenv("CI", raising=False)
    assert on_terminal(Tty()) and not on_terminal(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not on_terminal(Tty())


def test_disabled_prints_nothing():
    stream = io.StringIO()
    run_phase(Progress(stream, enabled=False, tty=True))
    assert stream.getvalue() == ""


def test_a_run_measured_only_at_init_weighs_its_evaluations_and_probes():
    """Stage phases mix 2000-step runs with runs measured at init (steps=0); the old cost counted the
    latter as one step, so when they finished first the ETA read hours for minutes of work."""
    from repro.protocol.training import task_cost
    from repro.standard import MNIST_MLP_NO_BN
    trained = MNIST_MLP_NO_BN.replace(depth=20, probes=("gradients",))
    at_init = trained.replace(steps=0, probe_steps=(0,))
    share = task_cost(at_init, 12) / task_cost(trained, 12)
    assert 0.003 < share < 0.05
    assert task_cost(trained, 24) == 2 * task_cost(trained, 12)
    assert task_cost(trained.replace(depth=41), 12) == 2 * task_cost(trained, 12)
