"""The failure a WIPsoft operation ends in: a §9 code the command answers with
``+CME ERROR: <code>`` (``ERROR`` under AT+CMEE=0, §2.2)."""

from __future__ import annotations


class WipFailure(Exception):
    """Raised by the stack; the command handler turns it into ``+CME ERROR: <code>``."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(f"{int(code)} {detail}".strip())
        self.code = int(code)
        self.detail = detail
