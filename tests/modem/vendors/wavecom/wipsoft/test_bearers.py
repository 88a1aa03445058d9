"""§4.2 AT+WIPBR: every <cmdtype>, every option with its range / read-only rule / storage, and
the 8xx statuses coming out of the bearer models (GPRS, GSM data calls, PPP on UART2 and on CMUX
channels, GSM server mode with ring count and caller filter)."""

from __future__ import annotations

from typing import Any

import pytest

from simnet.modem import DTE
from simnet.modem.dialup import PppHost, client_config
from tests.modem.vendors.wavecom.wipsoft.harness import (
    cme_after,
    exchange,
    gprs,
    ok,
    ok_after,
    start,
    wait_for,
    world,
)


def cme(sim: Any, line: str, code: int, timeout: float = 10.0) -> None:
    got = exchange(sim, line, cme_after(line, code), timeout)
    assert got == cme_after(line, code), got


def error(sim: Any, line: str) -> None:
    want = line.encode() + b"\r\r\nERROR\r\n"
    assert exchange(sim, line, want) == want


# -- §4.2.6 examples -------------------------------------------------------------------------------


def test_the_4_2_6_examples() -> None:
    sim = world()
    start(sim)
    ok(sim, "AT+WIPBR?")  # "No bearer has been opened yet": OK alone
    ok(sim, "AT+WIPBR=1,6")
    ok(sim, 'AT+WIPBR=2,6,11,"APN name"')
    want = ok_after("AT+WIPBR=3,6,11", '+WIPBR: 6,11,"APN name"')
    assert exchange(sim, "AT+WIPBR=3,6,11", want) == want
    ok(sim, 'AT+WIPBR=2,6,11,"internet"')  # the operator serves "internet"
    ok(sim, "AT+WIPBR=4,6", timeout=30)  # <mode> left out: client
    ok(sim, "AT+WIPBR=1,1")  # UART1: open (associated) but not started
    want = ok_after("AT+WIPBR?", "1,0", "6,1")
    assert exchange(sim, "AT+WIPBR?", want) == want
    ok(sim, "AT+WIPBR=5,6", timeout=30)
    ok(sim, "AT+WIPBR=0,6")
    ok(sim, "AT+WIPBR=0,1")
    ok(sim, "AT+WIPBR?")
    ok(sim, "AT+WIPBR=?")


# -- options ---------------------------------------------------------------------------------------

STRINGS = {0: 64, 1: 64, 2: 32, 11: 96}  # §4.2.3 max lengths
RANGES = {5: 65535, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1, 13: 1, 14: 1, 19: 1, 20: 1}
KIND_OPTIONS = {
    "uart": {0, 1, 6, 7, 8, 9, 10, 15, 16, 17, 18, 19, 20},
    "gsm": {0, 1, 2, 5, 7, 8, 9, 10, 15, 16, 17, 18, 19, 20},
    "gprs": {0, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
}


@pytest.mark.parametrize(("bid", "kind"), [(1, "uart"), (5, "gsm"), (6, "gprs")])
def test_every_option_range_and_which_bearer_has_it(bid: int, kind: str) -> None:
    sim = world(network={"bearer": "gsm"}) if kind == "gsm" else world()
    start(sim)
    ok(sim, f"AT+WIPBR=1,{bid}")
    read_only = {"gprs": {15, 16, 17, 18}, "gsm": {16, 17, 18}}.get(kind, set())
    for opt in range(0, 22):
        if opt not in KIND_OPTIONS[kind]:
            cme(sim, f"AT+WIPBR=2,{bid},{opt},1", 800)
            cme(sim, f"AT+WIPBR=3,{bid},{opt}", 800)
            continue
        if opt in read_only:
            cme(sim, f'AT+WIPBR=2,{bid},{opt},"1.2.3.4"', 806)
            want = ok_after(f"AT+WIPBR=3,{bid},{opt}", f'+WIPBR: {bid},{opt},"0.0.0.0"')
            assert exchange(sim, f"AT+WIPBR=3,{bid},{opt}", want) == want
        elif opt in STRINGS:
            n = STRINGS[opt]
            ok(sim, f'AT+WIPBR=2,{bid},{opt},"{"x" * n}"')
            cme(sim, f'AT+WIPBR=2,{bid},{opt},"{"x" * (n + 1)}"', 801)
            want = ok_after(f"AT+WIPBR=3,{bid},{opt}", f'+WIPBR: {bid},{opt},"{"x" * n}"')
            assert exchange(sim, f"AT+WIPBR=3,{bid},{opt}", want) == want
        elif opt in (15, 16, 17, 18):
            ok(sim, f'AT+WIPBR=2,{bid},{opt},"10.1.2.3"')
            cme(sim, f'AT+WIPBR=2,{bid},{opt},"10.1.2"', 801)
            want = ok_after(f"AT+WIPBR=3,{bid},{opt}", f'+WIPBR: {bid},{opt},"10.1.2.3"')
            assert exchange(sim, f"AT+WIPBR=3,{bid},{opt}", want) == want
        elif opt == 12:
            ok(sim, f"AT+WIPBR=2,{bid},12,4")
            cme(sim, f"AT+WIPBR=2,{bid},12,0", 801)
            cme(sim, f"AT+WIPBR=2,{bid},12,5", 801)
        else:
            hi = RANGES[opt]
            ok(sim, f"AT+WIPBR=2,{bid},{opt},{hi}")
            cme(sim, f"AT+WIPBR=2,{bid},{opt},{hi + 1}", 801)
            want = ok_after(f"AT+WIPBR=3,{bid},{opt}", f"+WIPBR: {bid},{opt},{hi}")
            assert exchange(sim, f"AT+WIPBR=3,{bid},{opt}", want) == want


def test_storage_in_flash_is_per_bearer_survives_restart_and_frees() -> None:
    sim = world()
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    ok(sim, 'AT+WIPBR=2,6,11,"first"')
    ok(sim, "AT+WIPBR=6,6,1")
    ok(sim, 'AT+WIPBR=2,6,11,"second"')
    ok(sim, "AT+WIPBR=6,6,1")  # §4.2.4: storing twice keeps the last set
    ok(sim, 'AT+WIPBR=2,6,11,"not stored"')
    sim.module.reboot("test")
    sim.advance(10)
    sim.dte.read_available()
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    want = ok_after("AT+WIPBR=3,6,11", '+WIPBR: 6,11,"second"')
    assert exchange(sim, "AT+WIPBR=3,6,11", want) == want
    ok(sim, "AT+WIPBR=6,6,0")
    cme(sim, "AT+WIPBR=6,6,0", 821)  # nothing stored any more
    ok(sim, "AT+WIPBR=0,6")
    ok(sim, "AT+WIPBR=1,6")
    want = ok_after("AT+WIPBR=3,6,11", '+WIPBR: 6,11,""')
    assert exchange(sim, "AT+WIPBR=3,6,11", want) == want


def test_errors_of_wipbr() -> None:
    sim = world()
    sim.advance(3)
    ok(sim, "AT+CMEE=1")
    cme(sim, "AT+WIPBR=1,6", 803)  # the stack is not started
    ok(sim, "AT+WIPCFG=1")
    cme(sim, "AT+WIPBR=1,3", 805)  # §4.2.3: 3 and 4 are N/A
    cme(sim, "AT+WIPBR=1,7", 801)
    cme(sim, 'AT+WIPBR=2,6,11,"x"', 803)  # not open
    ok(sim, "AT+WIPBR=1,6")
    cme(sim, "AT+WIPBR=1,6", 804)  # §9 804 device already open
    cme(sim, "AT+WIPBR=2,6,3,1", 800)  # reserved option
    cme(sim, "AT+WIPBR=2,6,11,internet", 801)  # a string without quotes
    cme(sim, 'AT+WIPBR=4,6,1,"a","b"', 806)  # GPRS has no server mode
    cme(sim, "AT+WIPBR=5,6", 803)  # not started
    error(sim, "AT+WIPBR=2,6,11")
    error(sim, "AT+WIPBR=4,6,0,1")
    error(sim, "AT+WIPBR=1")
    ok(sim, 'AT+WIPBR=2,6,11,"internet"')
    ok(sim, "AT+WIPBR=4,6,0", timeout=30)
    cme(sim, "AT+WIPBR=4,6,0", 803)  # already started
    ok(sim, "AT+WIPBR=1,1")
    cme(sim, "AT+WIPBR=4,1,0", 803)  # §4.2.7.1: one bearer started at a time
    ok(sim, "AT+WIPBR=5,6", timeout=30)
    cme(sim, "AT+WIPBR=4,1,0", 804)  # UART1 carries these commands


# -- GPRS ------------------------------------------------------------------------------------------


def result_time(sim: Any, code: int) -> float:
    return next(
        r.t for r in sim.trace.records if r.kind == "result" and r.fields.get("code") == code
    )


def test_gprs_reject_cause_is_812_at_the_reject_instant() -> None:
    sim = world(faults=[{"at": "0s", "action": "pdp-reject", "cause": 33}])
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    ok(sim, 'AT+WIPBR=2,6,11,"internet"')
    cme(sim, "AT+WIPBR=4,6,0", 812, timeout=30)
    reject = next(r for r in sim.trace.records if r.kind == "pdp_result")
    assert reject.fields["outcome"] == "pdp_reject" and reject.fields["cause"] == 33
    assert result_time(sim, 812) == reject.t


def test_gprs_silent_network_is_812_when_t3380_runs_out() -> None:
    sim = world(faults=[{"at": "0s", "action": "pdp-silent"}])
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    ok(sim, 'AT+WIPBR=2,6,11,"internet"')
    cme(sim, "AT+WIPBR=4,6,0", 812, timeout=400)
    timers = sim.bearer.gprs.timers
    first = next(r.t for r in sim.trace.records if r.kind == "pdp_request")
    # TS 24.008 §6.1.3.1.5: abort on the (retransmissions + 1)th expiry of T3380
    assert result_time(sim, 812) == pytest.approx(
        first + timers.t3380 * (timers.t3380_retransmissions + 1)
    )


@pytest.mark.parametrize(("sim_state", "code"), [("absent", 810), ("pin", 811)])
def test_gprs_without_a_ready_sim(sim_state: str, code: int) -> None:
    import simnet

    data = {
        "name": "sim",
        "module": "wavecom-wipsoft",
        "network": {"apn": {"name": "internet"}},
        "sim": {"state": sim_state, **({"pin": "1234"} if sim_state == "pin" else {})},
        "steps": [{"wait": 0}],
    }
    sim = simnet.Simulation.from_dict(data, seed=1)
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    cme(sim, "AT+WIPBR=4,6,0", code)


def test_gprs_pap_switches_reach_the_pdp_request() -> None:
    sim = world(
        network={"apn": {"name": "internet", "user": "user", "password": "pw", "auth": "chap"}}
    )
    start(sim)
    ok(sim, "AT+WIPBR=1,6")
    ok(sim, 'AT+WIPBR=2,6,11,"internet"')
    ok(sim, 'AT+WIPBR=2,6,0,"user"')
    ok(sim, 'AT+WIPBR=2,6,1,"pw"')
    ok(sim, "AT+WIPBR=2,6,8,0")  # CHAP not allowed: the context asks PAP, the APN wants CHAP
    cme(sim, "AT+WIPBR=4,6,0", 812, timeout=30)
    ok(sim, "AT+WIPBR=2,6,8,1")
    ok(sim, "AT+WIPBR=4,6,0", timeout=30)
    want = ok_after("AT+WIPBR=3,6,15", f'+WIPBR: 6,15,"{sim.module.host.ip}"')
    assert exchange(sim, "AT+WIPBR=3,6,15", want) == want


def test_gprs_bearer_lost_reports_812_unsolicited() -> None:
    sim = world(faults=[{"at": "20s", "action": "bearer-drop", "cause": 36}])
    gprs(sim)
    line = b"\r\n+WIPBR: 6,812,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0\r\n"
    assert wait_for(sim, line, 30) == line
    want = ok_after("AT+WIPBR?", "6,0")
    assert exchange(sim, "AT+WIPBR?", want) == want


# -- GSM -------------------------------------------------------------------------------------------


def gsm_world(faults: list[Any] | None = None) -> Any:
    """GSM data calls answered by the operator's PPP server (PAP as user "u", password "p")."""
    return world(
        network={"bearer": "gsm", "apn": {"name": "internet", "user": "u", "password": "p"}},
        faults=faults,
    )


def gsm_start(sim: Any) -> None:
    start(sim)
    ok(sim, "AT+WIPBR=1,5")
    ok(sim, 'AT+WIPBR=2,5,2,"0612345678"')
    ok(sim, 'AT+WIPBR=2,5,0,"u"')
    ok(sim, 'AT+WIPBR=2,5,1,"p"')


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"action": "call-fail", "outcome": "busy"}, 807),
        ({"action": "call-fail", "outcome": "no-answer"}, 808),
        ({"action": "call-fail", "outcome": "no-carrier"}, 809),
        ({"action": "ppp-fail", "phase": "lcp", "mode": "silent"}, 813),
        ({"action": "ppp-fail", "phase": "auth", "mode": "reject"}, 814),
        ({"action": "ppp-fail", "phase": "ipcp", "mode": "reject"}, 815),
    ],
)
def test_gsm_start_failures_come_from_the_call_and_ppp_models(
    fault: dict[str, Any], code: int
) -> None:
    sim = gsm_world([{"at": "0s", **fault}])
    gsm_start(sim)
    cme(sim, "AT+WIPBR=4,5,0", code, timeout=200)


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"action": "ppp-fail", "phase": "echo", "mode": "terminate"}, 816),
        ({"action": "ppp-fail", "phase": "echo", "mode": "silent"}, 817),
    ],
)
def test_gsm_link_lost_after_start(fault: dict[str, Any], code: int) -> None:
    sim = gsm_world([{"at": "0s", **fault}])
    gsm_start(sim)
    ok(sim, "AT+WIPBR=4,5,0", timeout=60)
    t_up = sim.now
    line = f"\r\n+WIPBR: 5,{code},0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0\r\n".encode()
    assert wait_for(sim, line, 300) == line
    if code == 817:
        # the module's LCP echo (every 30 s, 4 unanswered: docs/assumptions.md) gave up
        assert sim.now - t_up == pytest.approx(4 * 30.0, abs=2.0)


def test_gsm_client_addresses_are_read_only_and_shown() -> None:
    sim = gsm_world()
    gsm_start(sim)
    ok(sim, "AT+WIPBR=4,5,0", timeout=60)
    host = sim.module.host
    want = ok_after("AT+WIPBR=3,5,15", f'+WIPBR: 5,15,"{host.ip}"')
    assert exchange(sim, "AT+WIPBR=3,5,15", want) == want
    want = ok_after("AT+WIPBR=3,5,17", f'+WIPBR: 5,17,"{host.dns_servers[0]}"')
    assert exchange(sim, "AT+WIPBR=3,5,17", want) == want
    cme(sim, 'AT+WIPBR=2,5,16,"1.2.3.4"', 806)


def test_gsm_server_ring_count_caller_filter_and_ppp() -> None:
    sim = gsm_world()
    start(sim)
    ok(sim, "AT+WIPBR=1,5")
    ok(sim, "AT+WIPBR=2,5,5,3")  # answer at the third ring
    ok(sim, 'AT+WIPBR=4,5,1,"user","pass","+33111"')
    stranger = sim.bearer.dial_in_caller(
        "+33999", username="user", password="pass", name="stranger"
    )
    assert stranger is not None
    refused = (
        b"\r\nRING\r\n\r\nRING\r\n\r\nRING\r\n\r\n+WIPBR: 5,818,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0\r\n"
    )
    assert wait_for(sim, refused[-50:], 30) == refused
    sim.advance(40)
    sim.dte.read_available()
    caller = sim.bearer.dial_in_caller("+33111", username="user", password="pass")
    sim.run_until(lambda: caller.outcome is not None, 80)
    assert caller.outcome.ok and caller.outcome.ip == "192.168.1.2"
    line = b"\r\n+WIPBR: 5,0,192.168.1.1,192.168.1.2,0.0.0.0,0.0.0.0\r\n"
    assert wait_for(sim, line, 10) == b"\r\nRING\r\n" * 3 + line  # answered at the third ring
    # the caller reaches a TCP server of the module over the call
    ok(sim, "AT+WIPCREATE=3,1,80,1,2")
    sock = caller.host.tcp_connect("192.168.1.1", 80)
    sim.advance(3)
    sock.send(b"over the call")
    want = b"\r\n+WIPACCEPT: 1,1\r\n\r\n+WIPDATA: 2,1,13\r\n"
    assert wait_for(sim, want, 10) == want


def test_gsm_server_wrong_credentials_report_814() -> None:
    sim = gsm_world()
    start(sim)
    ok(sim, "AT+WIPBR=1,5")
    ok(sim, 'AT+WIPBR=4,5,1,"user","pass"')
    caller = sim.bearer.dial_in_caller("+33111", username="user", password="wrong")
    sim.run_until(lambda: caller.outcome is not None, 80)
    assert caller.outcome.kind == "auth_failed"
    line = b"\r\n+WIPBR: 5,814,0.0.0.0,0.0.0.0,0.0.0.0,0.0.0.0\r\n"
    assert wait_for(sim, line, 30).endswith(line)


# -- UART2 and CMUX channels -----------------------------------------------------------------------


@pytest.mark.parametrize("nullmodem", [0, 1])
def test_uart2_server_mode_with_a_ppp_host(nullmodem: int) -> None:
    sim = world()
    start(sim)
    ok(sim, "AT+WIPBR=1,2")
    ok(sim, f"AT+WIPBR=2,2,6,{nullmodem}")
    ok(sim, 'AT+WIPBR=4,2,1,"login","secret"')
    uart2 = DTE(sim, sim.module.open_uart("uart2"))
    if nullmodem:
        uart2.write(b"CLIENT")  # MS-Windows direct cable connection: CLIENT / CLIENTSERVER
        uart2.expect("CLIENTSERVER", 2)
    host = PppHost(uart2, client_config(username="login", password="secret")).start()
    sim.run_until(lambda: host.outcome is not None, 60)
    assert host.outcome.ok and host.ip == "192.168.1.2"
    line = b"\r\n+WIPBR: 2,0,192.168.1.1,192.168.1.2,0.0.0.0,0.0.0.0\r\n"
    assert wait_for(sim, line, 5) == line
    ok(sim, "AT+WIPCREATE=3,1,80,1,1")
    sock = host.tcp_connect("192.168.1.1", 80)
    sim.advance(2)
    sock.send(b"hello")
    want = b"\r\n+WIPACCEPT: 1,1\r\n\r\n+WIPDATA: 2,1,5\r\n"
    assert wait_for(sim, want, 10) == want
    ok(sim, "AT+WIPBR=5,2", timeout=20)
    assert wait_for(sim, b"\r\n+WIPPEERCLOSE: 2,1\r\n", 10) == b"\r\n+WIPPEERCLOSE: 2,1\r\n"


def test_uart2_client_mode_against_the_hosts_ppp_server() -> None:
    from simnet.bearer.ppp import PppConfig

    sim = world()
    start(sim)
    ok(sim, "AT+WIPBR=1,2")
    ok(sim, 'AT+WIPBR=2,2,0,"me"')
    ok(sim, 'AT+WIPBR=2,2,1,"pw"')
    uart2 = DTE(sim, sim.module.open_uart("uart2"))
    server = PppHost(
        uart2,
        PppConfig(
            role="server",
            auth="pap",
            credentials=(("me", "pw"),),
            passive=True,
            local_ip="192.168.5.1",
            peer_ip="192.168.5.9",
        ),
    )
    server.start()
    ok(sim, "AT+WIPBR=4,2,0", timeout=60)
    want = ok_after("AT+WIPBR=3,2,15", '+WIPBR: 2,15,"192.168.5.9"')
    assert exchange(sim, "AT+WIPBR=3,2,15", want) == want
    server.host.tcp_listen(7, lambda s: setattr(s, "on_data", lambda x: x.send(x.recv())))
    ok(sim, 'AT+WIPCREATE=2,1,"192.168.5.1",7', timeout=30)
    assert wait_for(sim, b"\r\n+WIPREADY: 2,1\r\n", 10) == b"\r\n+WIPREADY: 2,1\r\n"


def test_uart2_client_with_a_silent_host_is_813() -> None:
    sim = world()
    start(sim)
    ok(sim, "AT+WIPBR=1,2")
    cme(sim, "AT+WIPBR=4,2,0", 813, timeout=60)


def test_cmux_channel_bearer_and_uart1_under_the_multiplexer() -> None:
    sim = world()
    sim.advance(3)
    mux = sim.dte.cmux((1, 2))
    d1, d2 = mux.channels[1], mux.channels[2]
    for line in ("AT+CMEE=1", "AT+WIPCFG=1"):
        assert d1.command(line).final == "OK"
    assert d1.command("AT+WIPBR=1,1").final == "+CME ERROR: 805"  # UART1 carries the mux
    assert d1.command("AT+WIPBR=1,13").final == "+CME ERROR: 805"  # DLCI 3 not open
    assert d1.command("AT+WIPBR=1,12").final == "OK"
    r = d1.command('AT+WIPBR=4,12,1,"a","b"')
    assert r.final == "OK"
    host = PppHost(d2, client_config(username="a", password="b")).start()
    sim.run_until(lambda: host.outcome is not None, 60)
    assert host.outcome.ok
    urc = d1.next_urc(r"\+WIPBR:", 5)
    assert urc.text == "+WIPBR: 12,0,192.168.1.1,192.168.1.2,0.0.0.0,0.0.0.0"


def test_cmux_over_uart2_and_a_restart_gives_the_line_back() -> None:
    sim = world()
    start(sim)
    uart2 = DTE(sim, sim.module.open_uart("uart2"))
    mux = uart2.cmux((1, 2))  # AT+CMUX on UART2: its channels are bearers 21..24
    ok(sim, "AT+WIPBR=1,22")
    ok(sim, 'AT+WIPBR=4,22,1,"a","b"')
    line = "AT+WIPBR=1,2"  # UART2 carries the multiplexer now
    assert exchange(sim, line, cme_after(line, 805)) == cme_after(line, 805)
    host = PppHost(mux.channels[2], client_config(username="a", password="b")).start()
    sim.run_until(lambda: host.outcome is not None, 60)
    assert host.outcome.ok
    assert wait_for(sim, b"\r\n+WIPBR: 22,0,", 5).endswith(b"\r\n+WIPBR: 22,0,")
    channel = sim.module.ports["uart2.dlci2"]
    assert channel.in_data_mode
    sim.module.reboot("test")
    assert not channel.in_data_mode  # the channel is an AT line again
    assert sim.module.host.ip is None and sim.module.dialect.stack.bearers == {}
