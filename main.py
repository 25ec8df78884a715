"""Enclave's entry point: go offline first, then hand over to the CLI or the desktop app."""

from __future__ import annotations

import sys

from inference.offline import install_network_guard, set_offline_environment


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "provision":
        # Provisioning is the set-up step that fetches the pinned wheels; nothing else may.
        install_network_guard()
    from documents.isolation import WORKER_ARGUMENT, serve

    if args[:1] == [WORKER_ARGUMENT]:  # A frozen app's own document-parsing worker.
        serve()
        return 0
    from app.cli import run

    return run(args or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
