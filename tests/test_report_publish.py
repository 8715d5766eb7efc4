"""publish(): a staging directory left by a killed report writer is removed by the next write."""
from pathlib import Path

from repro.report.publish import publish, remove_stale_staging


def write_json(staging: Path) -> dict[str, Path]:
    path = staging / "results.json"
    path.write_text("{}\n")
    return {"json": path}


def test_a_killed_writers_staging_folder_goes_at_the_next_write(tmp_path):
    left = tmp_path / ".staging-abc123"
    (left / "deep").mkdir(parents=True)
    (left / "deep" / "report.html").write_text("half written")
    keep = tmp_path / "staging-notes"  # not publish's prefix: not ours to remove
    keep.mkdir()
    final = publish(tmp_path, write_json)
    assert final == {"json": tmp_path / "results.json"}
    assert not left.exists() and keep.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging-")]


def test_remove_stale_staging_touches_only_staging_directories(tmp_path):
    (tmp_path / ".staging-x").mkdir()
    (tmp_path / ".staging-file").write_text("a file, not a staging directory")
    removed = remove_stale_staging(tmp_path)
    assert removed == [tmp_path / ".staging-x"]
    assert (tmp_path / ".staging-file").exists()
