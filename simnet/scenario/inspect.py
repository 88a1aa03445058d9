"""Inspection of a peer host, as ``checks:`` see it: ``sim.host("ftp.example.net").ftp_files()``.

A thin view over the host's services (simnet.servers): files on its FTP server, messages
received by SMTP per mailbox, messages left in POP3 mailboxes, bytes received per service, and
each service's command log.
"""

from __future__ import annotations

import email
import email.policy
from typing import TYPE_CHECKING, Any

from simnet.errors import ConfigError

if TYPE_CHECKING:
    from simnet.scenario.world import HostEntry, World


class HostView:
    def __init__(self, world: World, entry: HostEntry) -> None:
        self._world = world
        self._entry = entry
        self.name = entry.spec.name
        self.ip = entry.spec.ip

    def __repr__(self) -> str:
        kinds = ", ".join(f"{s.type}:{s.port}" for s, _ in self._entry.services)
        return f"<HostView {self.name} {self.ip} [{kinds}]>"

    @property
    def net_host(self) -> Any:
        """The simnet.net Host (sockets API)."""
        return self._entry.host

    def services(self) -> list[dict[str, Any]]:
        out = []
        for spec, svc in self._entry.services:
            summary = svc.summary() if hasattr(svc, "summary") else {}
            out.append({"type": spec.type, "port": spec.port, **summary})
        return out

    def service(self, which: str | int | None = None) -> Any:
        """The service object by type name or port (the only one when ``which`` is None)."""
        for spec, svc in self._entry.services:
            if which is None or which == spec.type or which == spec.port:
                return svc
        raise ConfigError("service", f"{self.name} has no service {which!r}")

    def _of_type(self, *types: str) -> list[Any]:
        return [svc for spec, svc in self._entry.services if spec.type in types]

    # -- FTP -----------------------------------------------------------------------------------
    def ftp_files(self) -> dict[str, bytes]:
        """``{path: content}`` of every file on the host's FTP server(s)."""
        files: dict[str, bytes] = {}
        for svc in self._of_type("ftp"):
            files.update(_files_of(svc))
        return dict(sorted(files.items()))

    def ftp_file(self, path: str) -> bytes | None:
        return self.ftp_files().get(path)

    files = ftp_files  # the servers layer's name for the same view

    # -- bytes ---------------------------------------------------------------------------------
    def bytes_received(self, service: str | None = None, port: int | None = None) -> int:
        """Payload bytes received by the matching services (all of them by default)."""
        total = 0
        for spec, svc in self._entry.services:
            if (service is None or spec.type == service) and (port is None or spec.port == port):
                total += int(getattr(svc, "bytes_received", 0))
        return total

    def tcp_retransmissions(self) -> int:
        """Data/FIN segments the host's TCP sent again over the run (all its connections)."""
        tcp = getattr(self._entry.host, "tcp", None)
        return int(getattr(tcp, "segments_retransmitted", 0))

    # -- mail ----------------------------------------------------------------------------------
    def mailbox(self, name: str, service: str | None = None) -> list[dict[str, str]]:
        """Messages for ``name``: received by SMTP (per recipient), or left in a POP3 maildrop.

        Each message is ``{"from", "to", "cc", "subject", "body"}``."""
        out: list[dict[str, str]] = []
        types = (service,) if service else ("smtp", "pop3")
        for stype in types:
            for svc in self._of_type(stype):
                messages = _messages_of(svc, name)
                if not service and stype == "pop3":
                    # a mail SMTP delivered is counted once, on the SMTP side
                    messages = [m for m in messages if m.get("origin") != "smtp"]
                out.extend(messages)
        return out

    messages = mailbox

    def mailboxes(self, service: str | None = None) -> dict[str, list[dict[str, str]]]:
        """Every mailbox of the host's SMTP / POP3 services, by name."""
        out: dict[str, list[dict[str, str]]] = {}
        for stype in (service,) if service else ("smtp", "pop3"):
            for svc in self._of_type(stype):
                boxes = svc.mailboxes() if callable(getattr(svc, "mailboxes", None)) else {}
                for name, msgs in boxes.items():
                    out.setdefault(name, []).extend(_message_dict(m) for m in msgs)
        return out

    def log(self, which: str | int | None = None) -> list[Any]:
        """The command/reply log of one service."""
        return list(getattr(self.service(which), "log", []))

    # -- SMS and calls (a host with an msisdn: simnet.bearer.sms.smsc.HostPhone) -----------------
    @property
    def msisdn(self) -> str | None:
        return self._entry.spec.msisdn

    def _phone(self) -> Any:
        phone = self._entry.phone
        if phone is None:
            raise ConfigError(
                "host",
                f"{self.name} has no msisdn (give it one under hosts: to send or receive SMS)",
            )
        return phone

    def sms(self) -> list[dict[str, Any]]:
        """Short messages the host received, concatenated parts joined: ``{"from", "text",
        "time" (virtual s), "scts" (the SC's time stamp), "parts", "alphabet"}``."""
        return [m.as_dict() for m in self._phone().inbox]

    def sms_reports(self) -> list[dict[str, Any]]:
        """Status reports the host received for messages it sent (TS 23.040 TP-ST in ``st``)."""
        return [{"mr": r.mr, "to": r.ra.number, "st": r.st} for r in self._phone().reports]

    def send_sms(
        self, text: str, to: str | None = None, *, status_report: bool = False
    ) -> list[int]:
        """Send ``text`` (concatenated parts when long) to ``to`` (default: the module); the SC
        has it after its submit delay. Returns the SC's message ids."""
        dest = to if to is not None else self._world_device_number()
        return [m.id for m in self._phone().send(dest, text, status_report=status_report)]

    def call(self, *, ring_for: float | None = None, hold: float | None = None) -> bool:
        """Call the module (a speech call): RING until answered or ``ring_for`` seconds; the
        caller hangs up ``hold`` s after the answer. False when the module cannot take it."""
        bearer = self._world.bearer
        if bearer is None or bearer.csd is None:
            raise ConfigError("call", "this scenario's module has no circuit-switched service")
        call = bearer.csd.incoming_call(
            self._phone().msisdn, voice=True, hold=hold, ring_timeout=ring_for
        )
        return call is not None

    def _world_device_number(self) -> str:
        bearer = self._world.bearer
        if bearer is None:
            raise ConfigError("to", "no module to send to (give to:)")
        return str(bearer.msisdn)


def _files_of(svc: Any) -> dict[str, bytes]:
    for attr in ("files", "ftp_files"):
        fn = getattr(svc, attr, None)
        if callable(fn):
            got = fn()
            return {p: _as_bytes(v) for p, v in dict(got).items()}
    tree = getattr(svc, "tree", None)
    if tree is not None and hasattr(tree, "inspect"):
        return {p: v["bytes"] for p, v in tree.inspect().items()}
    return {}


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict) and "bytes" in value:
        return bytes(value["bytes"])
    data = getattr(value, "data", None)
    if data is not None:
        return bytes(data)
    return bytes(value)


def _messages_of(svc: Any, name: str) -> list[dict[str, str]]:
    raw: Any = None
    for attr in ("mailbox", "messages_for", "messages"):
        fn = getattr(svc, attr, None)
        if callable(fn):
            raw = fn(name)
            break
    if raw is None:
        boxes = getattr(svc, "mailboxes", None)
        if isinstance(boxes, dict):
            raw = boxes.get(name, [])
    return [_message_dict(m) for m in (raw or [])]


def _message_dict(msg: Any) -> dict[str, str]:
    if isinstance(msg, dict):
        return {k: str(v) for k, v in msg.items()}
    if isinstance(msg, bytes | str):
        data = msg.encode("latin-1") if isinstance(msg, str) else msg
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        body = parsed.get_body(("plain",)) if parsed.is_multipart() else parsed
        return {
            "from": str(parsed.get("From", "")),
            "to": str(parsed.get("To", "")),
            "cc": str(parsed.get("Cc", "")),
            "subject": str(parsed.get("Subject", "")),
            "body": body.get_content() if body is not None else "",
        }
    out: dict[str, str] = {}
    for key in ("sender", "from_", "from", "to", "cc", "subject", "body", "text"):
        value = getattr(msg, key, None)
        if value is not None:
            out[{"sender": "from", "from_": "from", "text": "body"}.get(key, key)] = (
                ", ".join(value) if isinstance(value, list | tuple) else str(value)
            )
    return out
