"""Outputs are one set: staged, then moved into place together; a failed write (e.g. ENOSPC) is
one line and leaves the previous set intact; --seeds beyond MAX_SEEDS is refused up front."""
import errno
import json
import os
from pathlib import Path

import pytest

import repro.protocol.cache
from repro.cli import MAX_SEEDS, main
from repro.report.publish import OUTPUT_FILES

FIXTURE = Path(__file__).parent / "claims_fixture"


def run(out: Path, *extra: str) -> int:
    """A subset run: its report set goes to subset_of(out)."""
    return main(["run", "fixture-depth", "--quick", "--jobs", "1", "--out", str(out), "--claims-dir", str(FIXTURE),
                 *extra])


def subset_of(out: Path) -> Path:
    return out / "subset" / "fixture-depth"


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


@pytest.mark.parametrize("seeds", [str(MAX_SEEDS + 1), "1000000000"])
def test_absurd_seed_count_is_refused_up_front(tmp_path, capsys, seeds):
    code = main(["all", "--seeds", seeds, "--out", str(tmp_path / "out"), "--claims-dir", str(FIXTURE)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"to {MAX_SEEDS}" in err and not (tmp_path / "out").exists()


def test_full_disk_while_writing_the_report_is_one_line_and_keeps_the_old_set(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run(out, "--no-pdf") == 0
    out = subset_of(out)
    before = outputs(out)
    assert set(before) == {"report.html", "results.json", "results.csv", "per_seed.csv"}
    real = repro.protocol.cache.write_file

    def full_disk(fd, data, name):
        if ".report.html." in name:  # after results.json/csv were written into the staging directory
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, name)

    monkeypatch.setattr(repro.protocol.cache, "write_file", full_disk)
    capsys.readouterr()
    code = run(out.parent.parent, "--no-pdf", "--seeds", "3")  # another run: other numbers
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    line = [l for l in err.splitlines() if l.startswith("repro: error")]
    assert len(line) == 1 and "No space left on device" in line[0] and "report.html" in line[0]
    assert outputs(out) == before  # the old set, whole, and nothing from the failed run
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_a_new_set_replaces_the_old_one_whole(tmp_path, capsys):
    out = subset_of(tmp_path / "out")
    out.mkdir(parents=True)
    (out / "report.pdf").write_bytes(b"%PDF from an older run")
    assert run(tmp_path / "out", "--no-pdf") == 0
    assert not (out / "report.pdf").exists()  # no PDF of another run beside the new HTML
    assert {p.name for p in out.iterdir() if p.is_file()} <= set(OUTPUT_FILES)
    assert json.loads((out / "results.json").read_text())["claims"][0]["id"] == "fixture-depth"
