"""Counts in words, as the window and the command line say them ("1 document", "3 files")."""

from __future__ import annotations


def count(number: int, noun: str) -> str:
    """`number` and `noun`, with an "s" unless there is exactly one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
