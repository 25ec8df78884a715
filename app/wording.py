"""Counts in words, as the window and the command line say them ("1 document", "3 files")."""

from __future__ import annotations


def count(number: int, noun: str, plural: str = "") -> str:
    """`number` (with thousands separators) and `noun`, in the plural unless there is exactly
    one: `plural` where adding an "s" is wrong ("file or folder")."""
    return f"{number:,} {noun if number == 1 else (plural or noun + 's')}"
