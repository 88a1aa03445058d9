"""USSD (3GPP TS 22.090, TS 24.090) as the operator's menu answers it: sans-IO.

A scenario's ``network.ussd`` maps service codes to answers::

    ussd:
      "*100#": "Balance 12.50 EUR"                 # one answer, the dialogue ends
      "*123#":                                     # a menu: the user picks an option
        text: "1 Balance\\n2 Data"
        options:
          "1": "Balance 12.50 EUR"
          "2": {text: "1.2 GB left. 1 Buy 1 GB", options: {"1": "1 GB added"}}

:class:`UssdMenu` validates it; :meth:`UssdMenu.start` / :meth:`UssdSession.reply` give the
network's answer as (``m``, text) with ``m`` as +CUSD reports it (TS 27.007 §7.15): 0 no further
user action required (the network released the dialogue), 1 further user action required
(a menu), 4 operation not supported (an unknown code or option).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from simnet.errors import ConfigError

NO_FURTHER_ACTION = 0
FURTHER_ACTION = 1
TERMINATED_BY_NETWORK = 2
NOT_SUPPORTED = 4

MAX_TEXT = 182  # TS 23.038 §6.1.2.3.1: 160 octets of packed GSM 7-bit carry 182 characters


@dataclass(frozen=True)
class UssdNode:
    text: str
    options: dict[str, UssdNode] = field(default_factory=dict)


def _node(value: object, where: str) -> UssdNode:
    if isinstance(value, str):
        node = UssdNode(value)
    elif isinstance(value, Mapping):
        unknown = sorted(set(value) - {"text", "options"})
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}", "unknown key (allowed: options, text)")
        text = value.get("text")
        if not isinstance(text, str):
            raise ConfigError(f"{where}.text", "expected the text the network answers")
        options = value.get("options", {}) or {}
        if not isinstance(options, Mapping):
            raise ConfigError(f"{where}.options", "expected a mapping of user input to answers")
        node = UssdNode(
            text, {str(k): _node(v, f"{where}.options.{k}") for k, v in options.items()}
        )
    else:
        raise ConfigError(where, "expected a text or {text, options}")
    if len(node.text) > MAX_TEXT:
        raise ConfigError(
            where, f"a USSD string is at most {MAX_TEXT} characters (TS 23.038 §6.1.2.3.1)"
        )
    return node


class UssdMenu:
    """The operator's USSD services (see the module docstring)."""

    def __init__(
        self, services: Mapping[str, object] | None = None, field_name: str = "network.ussd"
    ) -> None:
        if services is None:
            services = {}
        if not isinstance(services, Mapping):
            raise ConfigError(
                field_name, 'expected a mapping of service codes (e.g. "*100#") to answers'
            )
        self.services: dict[str, UssdNode] = {}
        for code, value in services.items():
            code = str(code)
            if not code or any(c not in "0123456789*#+" for c in code):
                raise ConfigError(
                    f"{field_name}.{code}",
                    "a USSD service code uses 0-9, * and # (TS 22.030 §6.5.2)",
                )
            self.services[code] = _node(value, f"{field_name}.{code}")

    def start(self, code: str) -> tuple[int, str, UssdSession | None]:
        """The network's answer to a mobile-initiated request: (m, text, session or None)."""
        node = self.services.get(code.strip())
        if node is None:
            return NOT_SUPPORTED, "", None
        if node.options:
            return FURTHER_ACTION, node.text, UssdSession(node)
        return NO_FURTHER_ACTION, node.text, None


class UssdSession:
    """An open dialogue at a menu."""

    def __init__(self, node: UssdNode) -> None:
        self.node = node

    def reply(self, text: str) -> tuple[int, str, bool]:
        """(m, text, still open) for the user's answer."""
        node = self.node.options.get(text.strip())
        if node is None:
            return NOT_SUPPORTED, "", False
        self.node = node
        if node.options:
            return FURTHER_ACTION, node.text, True
        return NO_FURTHER_ACTION, node.text, False


__all__ = [
    "FURTHER_ACTION",
    "NOT_SUPPORTED",
    "NO_FURTHER_ACTION",
    "TERMINATED_BY_NETWORK",
    "UssdMenu",
    "UssdNode",
    "UssdSession",
]
