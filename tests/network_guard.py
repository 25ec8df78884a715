"""A pytest plugin that fails any test which tries to reach another machine.

It records the attempt and fails the test even when library code swallows the exception,
so a hidden telemetry call cannot pass unnoticed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from inference.offline import is_local_address

_attempts: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto"):
        address = args[-1]
        if getattr(args[0], "family", None) == 1 or is_local_address(address):  # 1 == AF_UNIX
            return
        _attempts.append(f"{event} {address!r}")
        raise ConnectionRefusedError(f"test blocked a network access: {event} {address!r}")
    if event == "socket.getaddrinfo" and args[0] is not None and not is_local_address(args[0]):
        _attempts.append(f"{event} {args[0]!r}")
        raise ConnectionRefusedError(f"test blocked a name lookup: {args[0]!r}")


def pytest_configure(config: pytest.Config) -> None:
    sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    del _attempts[:]
    yield
    if _attempts:
        attempts, _attempts[:] = list(_attempts), []
        pytest.fail("non-loopback network access attempted: " + "; ".join(attempts))
