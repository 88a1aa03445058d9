"""Error tables as data: +CME ERROR (3GPP TS 27.007 §9.2) and +CMS ERROR (TS 27.005 §3.2.5).

A dialect starts from these and overrides or extends rows with its manual's own table
(``ErrorTable.extend``); every row cites where it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorRow:
    code: int
    text: str
    source: str  # spec section the row is taken from


class ErrorTable:
    """Numeric error code -> verbose text (for CMEE=2), with the citation of every row."""

    def __init__(self, rows: Iterable[ErrorRow | tuple[int, str, str]] = ()) -> None:
        self._rows: dict[int, ErrorRow] = {}
        self._text_map: dict[int, str] | None = None
        for row in rows:
            r = row if isinstance(row, ErrorRow) else ErrorRow(*row)
            self._rows[r.code] = r

    def extend(self, rows: Iterable[ErrorRow | tuple[int, str, str]]) -> ErrorTable:
        """A new table: these rows added on top (same code = the vendor's text wins)."""
        merged = ErrorTable(self._rows.values())
        for row in rows:
            r = row if isinstance(row, ErrorRow) else ErrorRow(*row)
            merged._rows[r.code] = r
        return merged

    def text(self, code: int) -> str | None:
        row = self._rows.get(code)
        return row.text if row else None

    def __contains__(self, code: int) -> bool:
        return code in self._rows

    def __iter__(self):
        return iter(sorted(self._rows.values(), key=lambda r: r.code))

    def as_text_map(self) -> Mapping[int, str]:
        if self._text_map is None:  # tables are not changed after construction: cache it
            self._text_map = {code: row.text for code, row in self._rows.items()}
        return self._text_map


_S = "3GPP TS 27.007 §9.2.1"
_G = "3GPP TS 27.007 §9.2.2"
CME_27007 = ErrorTable(
    [
        (0, "phone failure", _S),
        (1, "no connection to phone", _S),
        (2, "phone-adaptor link reserved", _S),
        (3, "operation not allowed", _S),
        (4, "operation not supported", _S),
        (5, "PH-SIM PIN required", _S),
        (6, "PH-FSIM PIN required", _S),
        (7, "PH-FSIM PUK required", _S),
        (10, "SIM not inserted", _S),
        (11, "SIM PIN required", _S),
        (12, "SIM PUK required", _S),
        (13, "SIM failure", _S),
        (14, "SIM busy", _S),
        (15, "SIM wrong", _S),
        (16, "incorrect password", _S),
        (17, "SIM PIN2 required", _S),
        (18, "SIM PUK2 required", _S),
        (20, "memory full", _S),
        (21, "invalid index", _S),
        (22, "not found", _S),
        (23, "memory failure", _S),
        (24, "text string too long", _S),
        (25, "invalid characters in text string", _S),
        (26, "dial string too long", _S),
        (27, "invalid characters in dial string", _S),
        (30, "no network service", _S),
        (31, "network timeout", _S),
        (32, "network not allowed - emergency calls only", _S),
        (40, "network personalization PIN required", _S),
        (41, "network personalization PUK required", _S),
        (42, "network subset personalization PIN required", _S),
        (43, "network subset personalization PUK required", _S),
        (44, "service provider personalization PIN required", _S),
        (45, "service provider personalization PUK required", _S),
        (46, "corporate personalization PIN required", _S),
        (47, "corporate personalization PUK required", _S),
        (50, "Incorrect parameters", _S),
        (100, "unknown", _S),
        (103, "Illegal MS", _G),
        (106, "Illegal ME", _G),
        (107, "GPRS services not allowed", _G),
        (111, "PLMN not allowed", _G),
        (112, "Location area not allowed", _G),
        (113, "Roaming not allowed in this location area", _G),
        (132, "service option not supported", _G),
        (133, "requested service option not subscribed", _G),
        (134, "service option temporarily out of order", _G),
        (148, "unspecified GPRS error", _G),
        (149, "PDP authentication failure", _G),
        (150, "invalid mobile class", _G),
    ]
)

_M = "3GPP TS 27.005 §3.2.5"
CMS_27005 = ErrorTable(
    [
        (300, "ME failure", _M),
        (301, "SMS service of ME reserved", _M),
        (302, "operation not allowed", _M),
        (303, "operation not supported", _M),
        (304, "invalid PDU mode parameter", _M),
        (305, "invalid text mode parameter", _M),
        (310, "SIM not inserted", _M),
        (311, "SIM PIN required", _M),
        (312, "PH-SIM PIN required", _M),
        (313, "SIM failure", _M),
        (314, "SIM busy", _M),
        (315, "SIM wrong", _M),
        (316, "SIM PUK required", _M),
        (317, "SIM PIN2 required", _M),
        (318, "SIM PUK2 required", _M),
        (320, "memory failure", _M),
        (321, "invalid memory index", _M),
        (322, "memory full", _M),
        (330, "SMSC address unknown", _M),
        (331, "no network service", _M),
        (332, "network timeout", _M),
        (340, "no +CNMA acknowledgement expected", _M),
        (500, "unknown error", _M),
    ]
)

# Named codes the base commands use, so handlers read as prose.
CME_OPERATION_NOT_ALLOWED = 3
CME_NOT_SUPPORTED = 4
CME_SIM_NOT_INSERTED = 10
CME_SIM_PIN_REQUIRED = 11
CME_SIM_PUK_REQUIRED = 12
CME_SIM_FAILURE = 13
CME_SIM_BUSY = 14
CME_INCORRECT_PASSWORD = 16
CME_INVALID_INDEX = 21
CME_NOT_FOUND = 22
CME_NO_NETWORK = 30
CME_NETWORK_TIMEOUT = 31
CME_INCORRECT_PARAMETERS = 50
CME_UNKNOWN = 100
CME_GPRS_NOT_ALLOWED = 107
CME_UNSPECIFIED_GPRS = 148
CME_PDP_AUTH_FAILURE = 149
