"""Progress display: a tqdm bar on a terminal, plain periodic lines in CI logs and pipes, a verdict
table at the end.

The engine has no step callback, so progress counts finished training tasks: seed chunks (a
stacked learning-rate task finishes several chunks at once). Each phase (tuning stage, look) is
announced by training.Training.fill through `log`, then counted by begin/advance/end. The ETA
weighs each task by its cost (training.task_cost: example passes x layers x width^2 x seeds), not by
its count: a phase's 50-layer tasks take many times its 2-layer ones.
"""
from __future__ import annotations

import os
import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


def on_terminal(stream: TextIO) -> bool:
    """Bars only on an interactive terminal, never in CI logs (CI=true) or pipes."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


class Progress:
    """Reports task completion to `stream` (stderr by default).

    tty=None detects a terminal: there a tqdm bar per phase shows finished/total tasks, rate and
    ETA. Otherwise a plain line is printed when an experiment finishes and at most every `interval`
    seconds in between. enabled=False prints nothing.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True, tty: bool | None = None,
                 interval: float = 10.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = on_terminal(self.stream) if tty is None else tty
        self.interval = interval
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.costs: dict[str, float] = {}   # label -> cost of one of its tasks (relative units)
        self._resumed_cost = 0.0            # cost of the tasks found done: not part of this run's rate
        self.failed: set[str] = set()
        self._bar = None
        self._last = 0.0
        self._t0 = time.perf_counter()

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    def log(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        else:
            self._write(message + "\n")

    def begin(self, experiments: dict[str, int], cached: int = 0, resumed: int = 0,
              costs: dict[str, float] | None = None) -> None:
        """experiments: label -> number of tasks (seed chunks) of each experiment not in the cache;
        cached: whole experiments found in the cache; resumed: chunks found there (a killed run's);
        costs: label -> the cost of one of its tasks (default 1 each: the ETA counts tasks)."""
        self.totals = dict(experiments)
        self.done = {label: 0 for label in experiments}
        self.costs = {label: float((costs or {}).get(label, 1.0)) for label in experiments}
        self._resumed_cost = 0.0
        self.failed = set()
        self._t0 = self._last = time.perf_counter()
        n = sum(self.totals.values()) - resumed
        again = f", {resumed} task(s) resumed from an interrupted run" if resumed else ""
        self.log(f"[repro] {len(experiments)} experiment(s) to train in {n} task(s); "
                 f"{cached} found in the cache{again}")
        if self.tty and self.enabled and self.totals:
            from tqdm import tqdm
            self._bar = tqdm(total=100.0, file=self.stream, dynamic_ncols=True, smoothing=0.1, leave=False,
                             desc="[repro] training", bar_format="{desc}: {n:.0f}% of the cost |{bar}| "
                             "{elapsed}<{remaining}{postfix}")

    def advance(self, label: str, failed: bool = False, resumed: bool = False) -> None:
        """One task of `label` finished (resumed: found finished in the cache, at no cost to this run)."""
        self.done[label] = self.done.get(label, 0) + 1
        if resumed:
            self._resumed_cost += self.costs.get(label, 1.0)
        if failed:
            self.failed.add(label)
        if self._bar is not None:
            cost_total = sum(n * self.costs.get(k, 1.0) for k, n in self.totals.items())
            self._bar.set_postfix_str(f"{sum(self.done.values())}/{sum(self.totals.values())} tasks, {label[:40]}",
                                      refresh=False)
            self._bar.update(100.0 * self.costs.get(label, 1.0) / cost_total)
            return
        finished = self.done[label] == self.totals.get(label, 0)
        now = time.perf_counter()
        if finished or failed or now - self._last >= self.interval:
            self._last = now
            state = "FAILED" if label in self.failed else ("done" if finished else "running")
            self._write(f"[repro] {self._overall()} | {state}: {label}\n")

    def _overall(self) -> str:
        """done/total tasks, percent of the phase's cost, elapsed, and (once a task finished) the ETA
        from the cost trained so far."""
        total, done = sum(self.totals.values()), sum(self.done.values())
        cost_total = sum(n * self.costs.get(label, 1.0) for label, n in self.totals.items())
        cost_done = sum(n * self.costs.get(label, 1.0) for label, n in self.done.items())
        pct = 100 * cost_done / cost_total if cost_total else 100
        elapsed = time.perf_counter() - self._t0
        text = f"{done}/{total} tasks ({pct:.0f}% of the cost), {_clock(elapsed)} elapsed"
        trained = cost_done - self._resumed_cost
        if 0 < done < total and elapsed > 0 and trained > 0:
            text += f", ETA {_clock((cost_total - cost_done) * elapsed / trained)}"
        return text

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.totals:
            self._write(f"[repro] training finished: {self._overall()}\n")


def summary_table(run) -> str:
    """The verdicts of a RunResult as a fixed-width text table: one row per claim, and one indented row
    per part for a claim with several (its verdict follows from theirs, repro.protocol.decision)."""
    rows = [("claim", "verdict", "recorded", "estimate [CI]", "seeds", "p_adj")]

    def cells(t) -> tuple[str, str, str]:
        est = f"{t.estimate:.3g} [{t.ci[0]:.3g}, {t.ci[1]:.3g}]"
        if t.kind == "threshold":
            est += f" (tau {t.tau:.3g})"
        p = "-" if t.p_adjusted is None or t.p_adjusted != t.p_adjusted else f"{t.p_adjusted:.3g}"
        return est, p, str(t.n_seeds)

    for cr in run.claims:
        parts = cr.parts if cr.tests else []
        est, p, n = cells(parts[0]) if len(parts) == 1 else ("-", "-", "-")
        rec = cr.claim.recorded.verdict if cr.claim.recorded else "(none)"
        rows.append((cr.claim.id, cr.verdict, rec, est, n, p))
        if len(parts) > 1:
            for t in parts:
                est, p, n = cells(t)
                rows.append((f"  part: {t.name}", t.verdict, "", est, n, p))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if run.profile == "quick":
        lines.append("(quick profile: smoke test, verdicts are not confirmatory)")
    return "\n".join(lines)
