"""Configuration of one link direction (:class:`LinkConfig`), validated on construction.

Kept out of the compiled modules (simnet/_build.py): its fields take whatever a user or a
scenario writes and __post_init__ answers a wrong one with a ConfigError naming the field;
compiled code would refuse a value of another type than annotated with a bare TypeError
first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.dist import Distribution, make_distribution
from simnet.kernel.units import Real, parse_duration, parse_probability, parse_rate
from simnet.net.loss import LossSpec

# netem's default queue limit ("limit 1000" packets) when a rate is set and no bound is given.
DEFAULT_QUEUE_PACKETS = 1000
MIN_MTU = 68  # RFC 791: every IPv4 module must forward a 68-byte datagram
MAX_MTU = 65535


def _positive_int(value: object, field_name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            field_name, f"expected an integer between {low} and {high}, got {value!r}"
        )
    return value


@dataclass
class LinkConfig:
    """Configuration of one link direction. Values may use scenario units ("600ms", "40kbps").

    - ``delay``: propagation delay, a duration or a distribution mapping (see
      ``simnet.kernel.make_distribution``).
    - ``jitter``: extra delay uniform in [-jitter, +jitter] per packet (clamped at zero).
    - ``reorder``: if False (default) packets keep FIFO order whatever the jitter (an RLC link
      delivers in order); if True each packet's delay is independent, as netem does.
    - ``rate``: serialization rate in bit/s, or None for no serialization delay.
    - ``queue_bytes`` / ``queue_packets``: drop-tail bound of the queue waiting to serialize.
    - ``mtu``: largest IPv4 datagram carried; larger ones are dropped (DF semantics).
    - ``loss``: probability (Bernoulli) or a loss-model mapping (see ``simnet.net.loss``).
    - ``duplicate`` / ``corrupt``: per-packet probabilities.
    - ``outages``: scheduled outages, each ``{"at": t, "duration": d}`` or ``(t, d)``.
    """

    delay: Any = 0.0
    jitter: Any = 0.0
    reorder: bool = False
    rate: Any = None
    queue_bytes: int | None = None
    queue_packets: int | None = None
    mtu: int = 1500
    loss: Any = None
    duplicate: Real = 0.0
    corrupt: Real = 0.0
    outages: Sequence[Any] = ()
    prefix: str = field(default="link", repr=False, compare=False)

    # normalised values (filled by __post_init__)
    delay_dist: Distribution = field(init=False, repr=False, compare=False)
    jitter_s: Real = field(init=False, repr=False, compare=False)
    rate_bps: Real | None = field(init=False, repr=False, compare=False)
    loss_spec: LossSpec = field(init=False, repr=False, compare=False)
    outage_list: tuple[tuple[Real, Real], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self.prefix
        self.delay_dist = (
            self.delay
            if isinstance(self.delay, Distribution)
            else make_distribution(self.delay, f"{p}.delay")
        )
        self.jitter_s = parse_duration(self.jitter, f"{p}.jitter")
        if not isinstance(self.reorder, bool):
            raise ConfigError(f"{p}.reorder", f"expected true or false, got {self.reorder!r}")
        self.rate_bps = None if self.rate is None else parse_rate(self.rate, f"{p}.rate")
        if self.queue_bytes is not None:
            _positive_int(self.queue_bytes, f"{p}.queue_bytes", 1, 2**31 - 1)
        if self.queue_packets is not None:
            _positive_int(self.queue_packets, f"{p}.queue_packets", 1, 2**31 - 1)
        _positive_int(self.mtu, f"{p}.mtu", MIN_MTU, MAX_MTU)
        self.loss_spec = (
            self.loss if isinstance(self.loss, LossSpec) else LossSpec(self.loss, f"{p}.loss")
        )
        self.duplicate = parse_probability(self.duplicate, f"{p}.duplicate")
        self.corrupt = parse_probability(self.corrupt, f"{p}.corrupt")
        outages: list[tuple[Real, Real]] = []
        if isinstance(self.outages, str | bytes) or not isinstance(self.outages, Sequence):
            raise ConfigError(f"{p}.outages", "expected a list of {at, duration} entries")
        for i, entry in enumerate(self.outages):
            f = f"{p}.outages[{i}]"
            if isinstance(entry, Mapping):
                unknown = [k for k in entry if k not in ("at", "duration")]
                if unknown:
                    raise ConfigError(f"{f}.{unknown[0]}", "unknown key (expected at, duration)")
                if "at" not in entry or "duration" not in entry:
                    raise ConfigError(f, "an outage needs both 'at' and 'duration'")
                at, dur = entry["at"], entry["duration"]
            elif isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 2:
                at, dur = entry
            else:
                raise ConfigError(f, f"expected {{at, duration}}, got {entry!r}")
            outages.append(
                (
                    parse_duration(at, f"{f}.at"),
                    parse_duration(dur, f"{f}.duration", allow_zero=False),
                )
            )
        self.outage_list = tuple(sorted(outages))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, field_path: str = "link") -> LinkConfig:
        """Build from a scenario mapping, naming unknown keys with their full path."""
        if data is None:
            return cls(prefix=field_path)
        if not isinstance(data, Mapping):
            raise ConfigError(field_path, f"expected a mapping of link parameters, got {data!r}")
        allowed = (
            "delay",
            "jitter",
            "reorder",
            "rate",
            "queue_bytes",
            "queue_packets",
            "mtu",
            "loss",
            "duplicate",
            "corrupt",
            "outages",
        )
        for key in data:
            if key not in allowed:
                raise ConfigError(
                    f"{field_path}.{key}",
                    f"unknown link parameter (expected one of {', '.join(allowed)})",
                )
        return cls(**dict(data), prefix=field_path)
