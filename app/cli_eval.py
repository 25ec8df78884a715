"""The `eval` command (placeholder until it is implemented)."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the `eval` sub-command to the CLI's sub-parsers; set `handler` on its parser."""
