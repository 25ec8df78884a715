"""A pytest plugin that fails any test during which Enclave logs an unexpected warning.

As qutebrowser's tests/helpers/logfail.py does: a WARNING or worse from our own packages
means something went wrong, even when the test's assertions pass, so it fails the test. A
test that provokes one on purpose says which with `@pytest.mark.log_ignore(r"regex", ...)`
(matched against the message). Qt's own warnings fail a test through pytest-qt
(`qt_log_level_fail`), Python warnings through `filterwarnings = error`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

#: The loggers checked: ours. Third-party libraries' warnings are theirs to fix.
OWN_PACKAGES = ("app", "inference", "documents", "main")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in OWN_PACKAGES:
            self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_unexpected_log_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    collector = _Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    allowed = [re.compile(pattern) for marker in request.node.iter_markers("log_ignore")
               for pattern in marker.args]
    unexpected = [record for record in collector.records
                  if not any(pattern.search(record.getMessage()) for pattern in allowed)]
    if unexpected:
        lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()}" for r in unexpected)
        pytest.fail(f"unexpected log warnings (declare expected ones with "
                    f"@pytest.mark.log_ignore):\n{lines}", pytrace=False)
