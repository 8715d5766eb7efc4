"""Paths given on the command line must be text: the report writes them into UTF-8 files (HTML,
JSON, CSV, the provenance's command line), so a path holding bytes that are not UTF-8 (Python
carries them as lone surrogates) would fail only after training. Checked before anything runs."""
from __future__ import annotations

import os


class PathNotText(ValueError):
    """A path is not valid UTF-8; the message names the option and the first bad byte."""


def require_utf8(path: str | os.PathLike, option: str) -> None:
    """Raise PathNotText unless `path` (given as `option`, e.g. "--out") is valid UTF-8."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        try:
            text.decode("utf-8")
            return
        except UnicodeDecodeError as e:
            bad = text[e.start]
    else:
        try:
            text.encode("utf-8")
            return
        except UnicodeEncodeError as e:
            bad = os.fsencode(text[e.start])[0] if 0xDC80 <= ord(text[e.start]) <= 0xDCFF else ord(text[e.start])
    try:
        shown = os.fsencode(text).decode("utf-8", "backslashreplace")   # the bad byte shown as \xff
    except UnicodeError:
        shown = text.encode("utf-8", "backslashreplace").decode()
    raise PathNotText(f"{option} {shown}: the path holds the byte "
                      f"0x{bad:02x}, which is not UTF-8; the report writes its paths into UTF-8 files: "
                      f"choose a path in UTF-8")
