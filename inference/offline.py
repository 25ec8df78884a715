"""Keep Enclave off the network: offline switches for model libraries and a socket guard.

Both are installed by `main.py` before any model library is imported. The guard is an audit
hook, so it sees every `socket.connect` and name lookup made from Python, including those of
third-party libraries, and refuses any destination that is not this machine.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import sys
from typing import Any

from documents.errors import EnclaveError

log = logging.getLogger(__name__)

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    # ONNX Runtime (1.29 and later) uploads telemetry from native code on Linux and macOS,
    # out of the socket guard's sight; only this variable, set before it loads, turns it off.
    "ORT_DISABLE_TELEMETRY": "1",
}

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_installed = False


class NetworkBlockedError(EnclaveError, PermissionError):
    """A connection to another machine was attempted; Enclave never makes one."""


def set_offline_environment() -> None:
    """Switch Hugging Face libraries to local files only and ONNX Runtime's telemetry off;
    call before importing them."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ[name] = value


def is_local_address(address: Any) -> bool:
    """True for Unix sockets, loopback IPs and names that mean this machine."""
    if isinstance(address, (str, bytes)) and not isinstance(address, tuple):
        text = address.decode() if isinstance(address, bytes) else address
        if text.startswith("/") or text.startswith("\0") or text in _LOOPBACK_NAMES:
            return True  # AF_UNIX paths and abstract sockets stay on this machine.
        try:
            return ipaddress.ip_address(text.split("%")[0]).is_loopback
        except ValueError:
            return False
    if isinstance(address, tuple) and address:
        return is_local_address(address[0])
    return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[-1]
        family = getattr(sock, "family", None)
        if family == getattr(socket, "AF_UNIX", object()) or is_local_address(address):
            return
        _refuse(f"connect to {address!r}")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if host is None or is_local_address(host):
            return
        _refuse(f"name lookup of {host!r}")


def _refuse(what: str) -> None:
    message = f"Enclave blocked a network access ({what}): it works offline only."
    log.error(message)
    raise NetworkBlockedError(message)


def install_network_guard() -> None:
    """Refuse every non-loopback connection or lookup for the rest of the process.

    Audit hooks cannot be removed, which is the point: nothing loaded later can switch it off.
    """
    global _installed
    if _installed:
        return
    sys.addaudithook(_audit)
    _installed = True
