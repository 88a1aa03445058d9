"""One sans-IO convention (docs/architecture.md): every protocol engine hands its glue typed,
immutable events - taken all at once with ``take_events()`` or one at a time with
``next_event()`` (None when there is none) - never tagged tuples or mutable objects."""

from __future__ import annotations

import dataclasses
import random

import pytest

from simnet.bearer.ppp import PppConfig, PppEndpoint
from simnet.bearer.ppp.events import PhaseChange, SendPacket, SetTimer
from simnet.modem.at import LineAssembler, LineReady, NeedData
from simnet.modem.cmux.engine import CmuxEngine, Opened, Transmit
from simnet.net.packet import ACK, SYN
from simnet.net.tcp_engine import TcpConfig, TcpConnection
from simnet.net.tcp_events import CONNECTED, Segment, StateChanged
from simnet.net.tcp_state import TcpState
from simnet.servers.events import Write
from simnet.servers.smtp_engine import MailStore, SmtpEngine, SmtpSettings


def drain(engine: object) -> list[object]:
    out = []
    while (ev := engine.next_event()) is not None:  # type: ignore[attr-defined]
        out.append(ev)
    return out


def test_tcp_handshake_events_in_order() -> None:
    conn = TcpConnection(TcpConfig(), iss=1000)
    conn.open_active(0.0)
    syn = conn.out.pop()
    assert isinstance(syn, Segment) and syn.flags == SYN and syn.seq == 1000
    assert drain(conn) == [StateChanged(TcpState.CLOSED, TcpState.SYN_SENT)]
    conn.on_segment(0.1, 5000, 1001, SYN | ACK, 65535, b"", 1460)
    assert drain(conn) == [StateChanged(TcpState.SYN_SENT, TcpState.ESTABLISHED), CONNECTED]
    assert conn.next_event() is None and conn.take_events() == []
    with pytest.raises(AttributeError):
        syn.seq = 1  # type: ignore[misc]  # immutable


def test_ppp_events_are_typed_and_frozen() -> None:
    ep = PppEndpoint(PppConfig(role="client"), random.Random(1))
    ep.lower_up()
    ep.open()
    first = ep.next_event()
    rest = ep.take_events()
    events = [first, *rest]
    assert {type(e) for e in events} <= {PhaseChange, SendPacket, SetTimer}
    assert any(isinstance(e, SendPacket) and e.protocol == 0xC021 for e in events)  # LCP
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].phase = None  # type: ignore[union-attr]
    assert ep.next_event() is None


def test_cmux_events_in_order() -> None:
    host = CmuxEngine("host")
    host.open(0)
    (tx,) = host.take_events()
    assert isinstance(tx, Transmit)
    module = CmuxEngine("module")
    module.feed(tx.data)
    answer = drain(module)
    host.feed(b"".join(e.data for e in answer if isinstance(e, Transmit)))
    assert host.next_event() == Opened(0)


def test_at_assembler_events_carry_what_they_consumed() -> None:
    asm = LineAssembler()
    partial = asm.feed(b"AT+CS")
    assert isinstance(partial, NeedData) and partial.consumed == 5
    line = asm.feed(b"Q\rAT\r")
    assert line == LineReady("+CSQ") and line.consumed == 2  # the rest waits for the next line


def test_server_engine_returns_typed_events() -> None:
    events = SmtpEngine(MailStore(), SmtpSettings()).start()
    assert events and all(isinstance(e, Write) for e in events)
    assert events[0].data.startswith(b"220 ")
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].data = b""  # type: ignore[misc]
