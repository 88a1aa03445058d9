"""What chaos needs from the servers: per-connection stream records, and faults that end (a
storm must be over at the end of its window)."""

from __future__ import annotations

from typing import Any

import simnet

WORLD: dict[str, Any] = {
    "name": "echo",
    "module": "simcom-sim7600",
    "network": {"apn": {"name": "internet"}, "link": {"delay": "100ms"}},
    "hosts": {
        "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "tcp-echo", "port": 7}]}
    },
}


def _echo_once(sim: Any, link: int, data: bytes) -> str:
    dte = sim.dte
    dte.command(f'AT+CIPOPEN={link},"TCP","203.0.113.10",7')
    assert dte.expect(rf"\+CIPOPEN: {link},\d+", 30).group(0) == f"+CIPOPEN: {link},0"
    assert dte.command(f"AT+CIPSEND={link},{len(data)}").final == ">"
    dte.write(data)
    return dte.expect(rf"\+IPD{len(data)}|\+IPCLOSE: {link},\d+", 10).group(0)


def _netopen(sim: Any) -> None:
    sim.dte.command('AT+CGDCONT=1,"IP","internet"')
    sim.dte.command("AT+NETOPEN")
    sim.dte.expect(r"\+NETOPEN: 0", 30)


def test_streams_record_each_connection_byte_for_byte() -> None:
    sim = simnet.Simulation.from_dict(WORLD)
    svc = sim.host("echo.example.net").service("tcp-echo")
    streams = svc.record_streams()
    assert svc.record_streams() is streams  # idempotent
    _netopen(sim)
    assert _echo_once(sim, 0, b"first") == "+IPD5"
    assert _echo_once(sim, 1, b"second!") == "+IPD7"
    assert [(bytes(r.rx), bytes(r.tx), r.rx_total, r.port, r.role) for r in streams] == [
        (b"first", b"first", 5, 7, "control"),
        (b"second!", b"second!", 7, 7, "control"),
    ]
    assert streams[0].t_open < streams[1].t_open and streams[0].end is None


def test_a_server_reset_with_a_duration_ends() -> None:
    data = {
        **WORLD,
        "faults": [
            {
                "at": "4s",
                "action": "server-reset",
                "host": "echo.example.net",
                "port": 7,
                "after_bytes": 0,
                "duration": "6s",
            }
        ],
    }
    sim = simnet.Simulation.from_dict(data)
    _netopen(sim)
    sim.advance(5.0 - sim.now)
    assert _echo_once(sim, 0, b"cut") == "+IPCLOSE: 0,1"  # reset at once, inside the window
    sim.advance(11.0 - sim.now)
    assert _echo_once(sim, 1, b"whole") == "+IPD5"  # the window is over


def test_rate_limit_and_slow_greeting_with_a_duration_end() -> None:
    from simnet.servers import make_service

    svc = make_service("ftp", {"port": 21}, "hosts.x.services[0]")
    sim = simnet.Simulation.from_dict(WORLD)
    svc.attach(sim, sim.network.add_host("ftp_x", "203.0.113.99"))
    svc.apply_fault("server-rate-limit", rate="9600bps", duration="5s")
    svc.apply_fault("server-slow-greeting", delay="3s", duration="2s")
    assert (svc.rate, svc.greeting_delay) == (9600.0, 3.0)
    sim.advance(2.5)
    assert (svc.rate, svc.greeting_delay) == (9600.0, 0.0)
    sim.advance(3.0)
    assert (svc.rate, svc.greeting_delay) == (None, 0.0)
