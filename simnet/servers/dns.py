"""DNS service: the network layer's DNS server engine (simnet.net.dns) on a scenario host.

Records come from the configuration (forward A records, each with its PTR unless disabled,
plus explicit PTRs). Faults: every query (or only those for one name) answered NXDOMAIN,
SERVFAIL, REFUSED, or not answered at all (``silence``; the scenario calls it ``timeout``).
"""

from __future__ import annotations

from typing import Any

from simnet.errors import ConfigError
from simnet.net.dns import DnsFormatError, DnsServerEngine, DnsZone, decode_message, normalise_name
from simnet.servers.config import get_bool, get_duration, get_int, get_mapping
from simnet.servers.service import Service

DNS_FAIL_MODES = ("nxdomain", "servfail", "refused", "silence", "timeout")


class DnsService(Service):
    type_name = "dns"
    transport = "udp"
    default_port = 53
    extra_keys = ("records", "ptr", "ttl", "reverse", "delay")

    def _configure(self, config: dict[str, Any], field: str) -> None:
        self.zone = DnsZone(ttl=get_int(config, "ttl", field, 300, 0, 2**31 - 1))
        reverse = get_bool(config, "reverse", field, True)
        for name, value in get_mapping(config, "records", field).items():
            ips = value if isinstance(value, list) else [value]
            for ip in ips:
                try:
                    self.zone.add_record(str(name), ip, reverse=reverse)
                except ConfigError as exc:
                    raise ConfigError(f"{field}.records.{name}", exc.message) from None
        for ip, name in get_mapping(config, "ptr", field).items():
            try:
                self.zone.add_ptr(str(ip), name)
            except ConfigError as exc:
                raise ConfigError(f"{field}.ptr.{ip}", exc.message) from None
        self.delay = get_duration(config, "delay", field, 0.0)
        self.engine = DnsServerEngine(self.zone)
        self.fault_name: str | None = None

    def dns_fail(
        self, mode: str, name: str | None = None, duration: float | str | None = None
    ) -> None:
        """Answer with ``mode`` (all names, or only ``name``) until cleared or ``duration``."""
        self._check_dns(mode, f"{self.field}.faults.dns")
        self.dns_mode = "silence" if mode == "timeout" else mode
        self.fault_name = normalise_name(name) if name else None
        self.record("fault", fault="dns", mode=self.dns_mode, name=self.fault_name)
        self._auto_clear(duration, lambda: self.clear_faults("dns"))

    def _check_dns(self, mode: object, field: str) -> None:
        if mode not in DNS_FAIL_MODES:
            raise ConfigError(
                f"{field}.mode", f"expected one of {', '.join(DNS_FAIL_MODES)}, got {mode!r}"
            )

    def _datagram(self, sock: Any, data: bytes, addr: tuple[str, int]) -> None:
        self.bytes_received += len(data)
        self.record("datagram", peer=f"{addr[0]}:{addr[1]}", size=len(data))
        if self.stalled:
            return
        mode = self.dns_mode
        if (
            mode is not None
            and self.fault_name is not None
            and self._qname(data) != self.fault_name
        ):
            mode = None  # the fault targets another name
        self.engine.fault = mode
        try:
            reply = self.engine.handle(data)
        finally:
            self.engine.fault = None
        if reply is None:
            return
        if self.delay > 0:
            self.sim.call_later(self.delay, self._send, reply, addr)
        else:
            self._send(reply, addr)

    def _send(self, reply: bytes, addr: tuple[str, int]) -> None:
        if self._udp is not None:
            self.bytes_sent += self._udp.sendto(reply, addr)

    @staticmethod
    def _qname(data: bytes) -> str | None:
        try:
            msg = decode_message(data)
        except (DnsFormatError, ValueError, IndexError):
            return None
        return normalise_name(msg.questions[0].name) if msg.questions else None
