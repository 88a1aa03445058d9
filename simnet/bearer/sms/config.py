"""``SmsConfig``: the operator's short message service centre, its timing and its USSD menu.

Defaults (docs/assumptions.md, "SMS and USSD"):

- ``submit_delay`` 1-3 s: an MO short message from the RP-DATA to the RP-ACK (signalling
  channel set-up, CP/RP transfer, the SC's answer through the MSC/MME);
- ``deliver_delay`` 0.5-2 s: the SC's delivery attempt through the HLR and MSC/MME up to the
  radio (paging of an idle UE is added by the radio link: ``RadioLinkController.signalling``);
- ``retry_interval`` 300 s: how often the SC retries a message for an absent or busy subscriber
  besides the alert it gets when the subscriber comes back (TS 23.040 §3.2.5, TS 29.002 alert);
- ``validity`` 7 days: the longest the SC keeps a message, and the validity of one that names
  none;
- ``link_setup`` 0.5 s: the part of the MO transfer time that sets up the signalling link; a
  message sent while the previous one's link is kept (+CMMS, TS 27.005 §3.5.6) saves it;
- ``tr1m`` 40 s: TS 24.011 §10 TR1M (35-45 s), an MO message that gets no answer fails after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel import Distribution, make_distribution, parse_duration


def _dist(value: object, field_name: str) -> Distribution:
    if isinstance(value, Distribution):
        return value
    return make_distribution(value, field_name)


def valid_msisdn(value: object, field_name: str) -> str:
    """An MSISDN as scenarios write it: ``+`` and 3..15 digits (E.164, ITU-T E.164 §6), or 3..20
    digits without the ``+``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ConfigError(
            field_name, f'expected a phone number such as "+33612345678", got {value!r}'
        )
    digits = value.removeprefix("+")
    limit = 15 if value.startswith("+") else 20
    if not digits.isdigit() or not 3 <= len(digits) <= limit or not digits.isascii():
        raise ConfigError(
            field_name, f'expected a phone number such as "+33612345678", got {value!r}'
        )
    return value


@dataclass(frozen=True)
class SmsConfig:
    """See the module docstring. ``smsc``: the SC address (also the SIM's +CSCA default);
    ``tz_quarters``: the SC's time zone in its time stamps (quarters of an hour);
    ``ussd``: the operator's USSD menu (``simnet.bearer.sms.ussd``); ``ussd_delay``: network
    answer time of a USSD request; ``ussd_timeout``: the network releases an idle dialogue
    after it (+CUSD: 2)."""

    smsc: str = "+33609001390"
    submit_delay: Any = field(default_factory=lambda: {"min": 1.0, "max": 3.0})
    deliver_delay: Any = field(default_factory=lambda: {"min": 0.5, "max": 2.0})
    retry_interval: Any = 300.0
    validity: Any = 7 * 86400.0
    tr1m: Any = 40.0
    link_setup: Any = 0.5
    tz_quarters: int = 0
    ussd: Mapping[str, Any] = field(default_factory=dict)
    ussd_delay: Any = field(default_factory=lambda: {"min": 0.5, "max": 2.0})
    ussd_timeout: Any = 60.0

    def __post_init__(self) -> None:
        p = "network.sms"
        valid_msisdn(self.smsc, f"{p}.smsc")
        for name in ("submit_delay", "deliver_delay", "ussd_delay"):
            _dist(getattr(self, name), f"{p}.{name}")
        for name in ("retry_interval", "validity", "tr1m", "ussd_timeout"):
            object.__setattr__(
                self, name, parse_duration(getattr(self, name), f"{p}.{name}", allow_zero=False)
            )
        object.__setattr__(self, "link_setup", parse_duration(self.link_setup, f"{p}.link_setup"))
        tz = self.tz_quarters
        if isinstance(tz, bool) or not isinstance(tz, int) or not -48 <= tz <= 56:
            raise ConfigError(
                f"{p}.tz_quarters", f"expected -48..56 quarters of an hour, got {tz!r}"
            )
        from simnet.bearer.sms.ussd import UssdMenu

        UssdMenu(self.ussd, "network.ussd")  # validate

    def distribution(self, name: str) -> Distribution:
        return _dist(getattr(self, name), f"network.sms.{name}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field_name: str = "network.sms") -> SmsConfig:
        if not isinstance(data, Mapping):
            raise ConfigError(field_name, "expected a mapping")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError(
                    f"{field_name}.{key}", f"unknown key (allowed: {', '.join(sorted(known))})"
                )
        return cls(**{k: v for k, v in data.items() if v is not None})


__all__ = ["SmsConfig", "valid_msisdn"]
