"""The invariants judge what happened, not what the code under test says happened: each is
shown to hold on a clean run and to break, with its own words, when the model is made to
misbehave (a module that loses, corrupts or duplicates bytes while telling the host all is
well, a module gone deaf, a handler that raises, a queue without its bound)."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pytest

import simnet
from simnet.net.tcp import TcpSocket
from simnet.scenario.invariants import CENSUS_PERIOD
from simnet.scenario.runner import Runner

BASE: dict[str, Any] = {
    "name": "echo under invariants",
    "module": "simcom-sim7600",
    "network": {
        "registration": {"state": "home", "after": "1s"},
        "apn": {"name": "internet"},
        "pdp": {"activation_delay": "1s"},
        "link": {"delay": "100ms", "rate": "40kbps"},
    },
    "hosts": {
        "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "tcp-echo", "port": 7}]}
    },
    "steps": [
        {"wait": "1s"},
        {"send": 'AT+CGDCONT=1,"IP","internet"'},
        {"expect": "OK"},
        {"send": "AT+NETOPEN"},
        {"expect": "+NETOPEN: 0", "within": "30s"},
        {"send": 'AT+CIPOPEN=0,"TCP","203.0.113.10",7'},
        {"expect": "+CIPOPEN: 0,0", "within": "30s"},
        {"send": "AT+CIPSEND=0,5"},
        {"expect": ">"},
        {"send_raw": "HELLO"},
        {"expect": "+CIPSEND: 0,5,5", "within": "30s"},
        {"expect": "+IPD5", "within": "30s"},
        {"send": "AT+CIPCLOSE=0"},
        {"expect": "+CIPCLOSE: 0,0", "within": "30s"},
    ],
    "chaos": {"window": ["0s", "20s"], "grace": "10s", "settle": "60s"},
}


def run(data: dict[str, Any] | None = None, **chaos: Any) -> Any:
    data = copy.deepcopy(data or BASE)
    data["chaos"].update(chaos)
    sim = simnet.Simulation.from_dict(data)
    return sim, Runner(sim).run()


def verdicts(result: Any) -> dict[str, tuple[bool, str]]:
    return {i.name: (i.passed, i.detail) for i in result.invariants}


def test_a_clean_run_keeps_every_invariant() -> None:
    sim, result = run()
    v = verdicts(result)
    assert list(v) == ["integrity", "responsive", "no-errors", "bounded"]
    assert all(ok for ok, _ in v.values()), v
    assert v["integrity"][1] == "1 sessions, 0 claims"
    assert result.passed and result.judged_by_invariants
    assert v["responsive"][1] == "answered AT with OK at t=30.005 s"  # window end 20 s + grace 10 s


def _module_send(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    """Make the module's own TCP sockets (host "module") misbehave on send."""
    original = TcpSocket.send

    def send(self: TcpSocket, data: bytes) -> int:
        if self._stack.host.name == "module":
            return change(lambda d: original(self, d), bytes(data))
        return original(self, data)

    monkeypatch.setattr(TcpSocket, "send", send)


def test_integrity_breaks_when_the_module_loses_bytes_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = copy.deepcopy(BASE)
    data["steps"] = data["steps"][:10]  # HELLO confirmed, then nothing more from the host
    _module_send(monkeypatch, lambda real, d: len(d))  # "accepted" - and never sent
    _sim, result = run(data)
    ok, detail = verdicts(result)["integrity"]
    assert not ok
    assert re.fullmatch(
        r"link 0 to 203\.0\.113\.10:7 \(opened t=[\d.]+\): the host was told 5 bytes "
        r"were sent; the peer received 0 \(still open, no error reported\)",
        detail,
    ), detail


def test_integrity_breaks_on_corruption(monkeypatch: pytest.MonkeyPatch) -> None:
    _module_send(monkeypatch, lambda real, d: real(d[:1] + bytes([d[1] ^ 0x20]) + d[2:]))
    _sim, result = run()
    ok, detail = verdicts(result)["integrity"]
    assert not ok
    assert detail.startswith("link 0 to 203.0.113.10:7 (opened t=")
    assert (
        "the peer received 5 bytes that differ from what the host sent at byte 1 (host 'ELLO', "
        "peer 'eLLO')"
        in detail
    )


def test_integrity_breaks_on_duplication(monkeypatch: pytest.MonkeyPatch) -> None:
    _module_send(monkeypatch, lambda real, d: real(d) and real(d))
    _sim, result = run()
    ok, detail = verdicts(result)["integrity"]
    assert not ok and detail.endswith(
        "the peer received 10 bytes, the host sent 5 (bytes duplicated)"
    ), detail


def test_responsive_breaks_when_the_module_goes_deaf(monkeypatch: pytest.MonkeyPatch) -> None:
    from simnet.modem.module import Module

    original = Module._on_rx

    def deaf_after(self: Module, data: bytes, t: float, bt: float) -> None:
        if self.sim.now < 25.0:
            original(self, data, t, bt)

    monkeypatch.setattr(Module, "_on_rx", deaf_after)
    _sim, result = run()
    ok, detail = verdicts(result)["responsive"]
    assert (
        not ok
        and detail == "probed from t=30.000 s: no final result code to AT within 5 s (attempt 3)"
    )
    assert result.failure.name == "responsive" and not result.passed


def test_no_errors_breaks_on_a_handler_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    from simnet.modem.vendors.simcom.dialect import SimcomDialect

    def broken(self: Any, ctx: Any, cmd: Any) -> Any:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(SimcomDialect, "cipclose", broken)
    _sim, result = run()
    ok, detail = verdicts(result)["no-errors"]
    assert not ok and re.match(
        r"t=[\d.]+ modem handler_error in \+CIPCLOSE=0: ZeroDivisionError\('a bug'\)", detail
    )


def test_bounded_breaks_when_a_queue_grows_past_its_bound() -> None:
    data = copy.deepcopy(BASE)
    sim = simnet.Simulation.from_dict(data)
    bound = sim.module.profile.uart_rx_buffer
    # A leak, as a bug would make one: the module's input queue swells past its bound at 12 s.
    sim.call_at(12.0, lambda: sim.module._pending_input.extend(b"x" * (bound + 1)))
    result = Runner(sim).run()
    ok, detail = verdicts(result)["bounded"]
    seen_at = math.ceil(12.0 / CENSUS_PERIOD) * CENSUS_PERIOD  # the first look after the leak
    assert (
        not ok and detail == f"modem UART input queue: {bound + 1} > {bound} at t={seen_at:.3f} s"
    )


def test_always_checks_and_completes_are_invariants() -> None:
    data = copy.deepcopy(BASE)
    data["checks"] = [
        {"host": "echo.example.net", "service": "tcp-echo", "bytes_received": 5, "always": True},
        {"host": "echo.example.net", "service": "tcp-echo", "bytes_received": 6},
    ]
    data["chaos"]["invariants"] = ["integrity", "completes"]
    _sim, result = run(data)
    v = verdicts(result)
    assert v["check 1"] == (True, "service echo.example.net: bytes_received 5")
    assert v["completes"] == (
        False,
        "check 2 (service echo.example.net): bytes_received is 5, expected 6",
    )


def test_program_claims_are_checked_against_the_peer() -> None:
    data = copy.deepcopy(BASE)
    del data["steps"]
    data["program"] = {
        "function": "simnet.chaos.hosts:tcp_echo",
        "args": {"host": "echo.example.net", "records": 2, "size": 50},
    }
    sim, result = run(data)
    assert result.passed, verdicts(result)
    assert verdicts(result)["integrity"] == (True, "1 sessions, 2 claims")
    # A claim the peer contradicts
    sim.claims.stream("echo.example.net", 7, b"never sent", "a lie")
    problems = sim.world.oracles.integrity()
    assert problems == [
        "the host program claims 10 bytes reached echo.example.net:7 on one connection "
        f"(a lie) at t={sim.now:.3f}; the most any connection there received is 100"
    ]


def test_file_and_mail_claims_are_checked_against_the_servers() -> None:
    data = {
        "name": "mail and files",
        "module": "simcom-sim7600",
        "network": {"apn": {"name": "internet"}},
        "hosts": {
            "srv.example.net": {
                "ip": "203.0.113.20",
                "services": [
                    {"type": "ftp", "port": 21, "files": {"/a.txt": "alpha"}},
                    {"type": "smtp", "port": 25, "domain": "example.net"},
                ],
            }
        },
        "program": {
            "function": "simnet.chaos.hosts:mail_round_trip",
            "args": {"host": "srv.example.net", "to": "x@example.net"},
        },
        "chaos": {"invariants": ["integrity"]},
    }
    sim = simnet.Simulation.from_dict(data)
    sim.claims.file("srv.example.net", "a.txt", b"alpha", "true")
    sim.claims.file("srv.example.net", "/a.txt", b"alphabet", "longer")
    sim.claims.file("srv.example.net", "/b.txt", b"beta", "absent")
    sim.claims.mail("srv.example.net", "x@example.net", "never sent", "body", "absent")
    assert sim.world.oracles.integrity() == [
        "the host program claims /a.txt on srv.example.net holds 8 bytes (longer); it has 5 bytes, "
        "differing at byte 5",
        "the host program claims /b.txt on srv.example.net holds 4 bytes (absent); it does not "
        "exist",
        "the host program claims srv.example.net accepted 'never sent' for x@example.net (absent); "
        "its messages there: []",
    ]


def test_the_census_covers_the_dialects_socket_buffers() -> None:
    from simnet.scenario.invariants import buffer_census

    sim = simnet.Simulation.from_dict(BASE)
    assert buffer_census(sim.world) == []
    rx = sim.module.dialect.rx[3]
    rx.data.extend(b"x" * (rx.capacity + 7))
    assert buffer_census(sim.world) == [
        ("modem link 3 receive buffer", rx.capacity + 7, rx.capacity)
    ]
    fib = simnet.Simulation.from_dict({**BASE, "module": "fibocom-l610", "steps": [{"send": "AT"}]})
    fib.advance(2.0)  # registered after 1 s
    fib.dte.command('AT+MIPCALL=1,"internet"')
    fib.dte.expect(r"\+MIPCALL: \d+\.\d+\.\d+\.\d+", 30)
    fib.dte.command('AT+MIPOPEN=1,,"203.0.113.10",7,0')
    fib.dte.expect(r"\+MIPOPEN: 1,1", 30)
    buf = fib.module.dialect.sockets[1].buf
    buf.pending.extend(b"y" * (buf.capacity + 1))
    assert ("modem socket 1 accumulating buffer", buf.capacity + 1, buf.capacity) in buffer_census(
        fib.world
    )
