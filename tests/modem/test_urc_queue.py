"""The Python host API keeps every byte: URCs survive command(), a URC queue, handlers, host
tasks on the virtual clock, and socket data per link for every dialect's receive format."""

from __future__ import annotations

import pytest

import simnet
from simnet.kernel.tasks import TaskCancelled
from simnet.modem.urc import UrcFramer

ECHO = "203.0.113.10"
# Bytes a host could mistake for a final result code or a new URC when they are socket data.
TRICKY = b"A\r\nOK\r\n+IPD3\r\nZ\x00\xff"


def simcom(**network):
    net = {"apn": {"name": "internet"}, "pdp": {"activation_delay": "1s"}, **network}
    return simnet.Simulation.from_dict(
        {
            "name": "host api",
            "module": "simcom-sim7600",
            "network": net,
            "hosts": {
                "echo.example.net": {
                    "ip": ECHO,
                    "services": [
                        {"type": "tcp-echo", "port": 7},
                        {"type": "tcp-echo", "port": 2007},
                    ],
                }
            },
        }
    )


def fibocom():
    return simnet.Simulation.from_dict(
        {
            "name": "host api",
            "module": "fibocom-l610",
            "network": {"apn": {"name": "internet"}, "pdp": {"activation_delay": "1s"}},
            "hosts": {
                "echo.example.net": {
                    "ip": ECHO,
                    "services": [{"type": "tcp-echo", "port": 7}, {"type": "udp-echo", "port": 7}],
                }
            },
        }
    )


def simcom_open(sim, link=0, port=7, netopen=True):
    dte = sim.dte
    if netopen:
        sim.advance(1.0)
        assert dte.command("AT+NETOPEN").ok
        dte.next_urc(r"\+NETOPEN: 0", timeout=30)
    assert dte.command(f'AT+CIPOPEN={link},"TCP","{ECHO}",{port}').ok
    dte.next_urc(rf"\+CIPOPEN: {link},0", timeout=30)


def simcom_send(sim, link, data):
    assert sim.dte.command(f"AT+CIPSEND={link},{len(data)}").final == ">"
    sim.dte.write(data)
    sim.dte.next_urc(rf"\+CIPSEND: {link},{len(data)},{len(data)}", timeout=30)


# -- URCs and command() ------------------------------------------------------------------------
def test_urc_that_arrived_before_a_command_is_kept_for_expect_and_in_the_queue():
    sim = simcom()
    dte = sim.dte
    simcom_open(sim)
    dte.command("AT+CIPCLOSE=0")
    sim.advance(5.0)  # +CIPCLOSE: 0,0 arrives while the host does nothing
    r = dte.command("AT+CSQ")  # the next command must not throw it away
    assert r.ok and r.lines and r.lines[0].startswith("+CSQ: ")
    assert all("+CIPCLOSE" not in ln for ln in r.lines)
    assert dte.expect(r"\+CIPCLOSE: 0,0", timeout=0).group(0) == "+CIPCLOSE: 0,0"
    assert [u.text for u in dte.urcs if u.text.startswith("+CIPCLOSE")] == []  # expect read it
    # the queue view: a URC that no one expected is still there after commands
    assert dte.command("AT+NETCLOSE").ok
    sim.advance(3.0)
    dte.command("AT")
    dte.command("AT+CSQ")
    urc = dte.next_urc(r"\+NETCLOSE", timeout=0)
    assert urc.text == "+NETCLOSE: 0" and urc.t <= sim.now


def test_next_urc_waits_on_the_clock_skips_non_matching_and_times_out():
    sim = simcom()
    dte = sim.dte
    sim.advance(1.0)
    dte.command("AT+NETOPEN")
    t0 = sim.now
    urc = dte.next_urc(r"\+NETOPEN", timeout=30)
    # pdp activation_delay 1 s: the URC is not there before the context is up
    assert urc.text == "+NETOPEN: 0" and urc.t - t0 >= 1.0 - 0.2
    with pytest.raises(simnet.ExpectTimeout):
        dte.next_urc(r"\+NEVER", timeout=2.0)


def test_on_handler_is_called_at_arrival_and_may_not_block():
    sim = simcom()
    dte = sim.dte
    seen = []
    remove = dte.on(r"\+NETOPEN", lambda u: seen.append((u.text, sim.now)))
    sim.advance(1.0)
    dte.command("AT+NETOPEN")
    sim.advance(5.0)
    assert seen and seen[0][0] == "+NETOPEN: 0" and seen[0][1] < 5.0 + 1.0
    assert not any(u.text.startswith("+NETOPEN") for u in dte.urcs)  # handled, not queued
    remove()
    dte.on(r"\+CIPOPEN", lambda u: dte.command("AT"))
    dte.command(f'AT+CIPOPEN=0,"TCP","{ECHO}",7')
    with pytest.raises(RuntimeError, match="must not wait"):
        sim.advance(5.0)


def test_framer_takes_announced_payload_even_when_it_looks_like_lines():
    f = UrcFramer("simcom")
    data = (
        b"\r\nRECV FROM:1.2.3.4:7\r\n+IPD"
        + str(len(TRICKY)).encode()
        + b"\r\n"
        + TRICKY
        + b"\r\n+IPCLOSE: 0,1\r\n"
    )
    out = []
    for i in range(len(data)):  # one byte at a time: framing does not depend on chunking
        out += f.feed(data[i : i + 1], i, float(i))
    assert [(u.text, u.data) for u in out] == [
        ("RECV FROM:1.2.3.4:7", b""),
        (f"+IPD{len(TRICKY)}", TRICKY),
        ("+IPCLOSE: 0,1", b""),
    ]


# -- host tasks ----------------------------------------------------------------------------------
def test_two_spawned_host_tasks_interleave_on_the_clock():
    sim = simcom()
    dte = sim.dte
    log = []

    def main_loop():  # a firmware main loop: poll the signal every 2 s
        for _ in range(3):
            r = dte.command("AT+CSQ")
            log.append(("csq", round(r.started, 6)))
            sim.advance(2.0)
        return "main done"

    def urc_handler():  # generator style: wait for the context, then for the socket
        dte.command("AT+NETOPEN")
        log.append(("netopen", round(dte.next_urc(r"\+NETOPEN", timeout=30).t, 6)))
        yield 0.5
        log.append(("slept", round(sim.now, 6)))
        return "urc done"

    sim.advance(1.0)
    a = sim.spawn(main_loop)
    b = sim.spawn(urc_handler)
    assert a.join(timeout=60) == "main done" and b.join(timeout=60) == "urc done"
    kinds = [k for k, _ in log]
    times = [t for _, t in log]
    assert times == sorted(times)  # one clock: events in time order across both tasks
    assert kinds.index("netopen") < kinds.index("csq", 1) or kinds.count("csq") == 3
    csq = [t for k, t in log if k == "csq"]
    # each poll starts 2 s after the previous one ended (a command takes a few ms)
    assert all(1.99 < b - a < 2.2 for a, b in zip(csq, csq[1:], strict=False))
    netopen = dict(log)["netopen"]
    assert dict(log)["slept"] == pytest.approx(netopen + 0.5, abs=0.05)
    assert 1.0 + 1.0 <= netopen  # after the 1 s activation delay


def test_tasks_are_deterministic_cancellable_and_report_errors():
    def run():
        sim = simcom()
        out = []

        def ticker(name, period):
            while True:
                sim.advance(period)
                out.append((name, round(sim.now, 9)))

        sim.spawn(ticker, "a", 0.3)
        sim.spawn(ticker, "b", 0.5)
        sim.advance(3.0)
        sim.cancel_tasks()
        return out, sim.trace.digest()

    first, second = run(), run()
    assert first == second
    assert [t for n, t in first[0] if n == "a"] == [round(0.3 * k, 9) for k in range(1, 11)]

    sim = simcom()
    task = sim.spawn(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        task.join(timeout=1)
    slow = sim.spawn(lambda: sim.advance(100))
    with pytest.raises(TimeoutError):
        slow.join(timeout=1)
    slow.cancel()
    assert slow.done and slow.exception is None
    assert issubclass(TaskCancelled, BaseException)


# -- socket data per dialect ---------------------------------------------------------------------
def test_simcom_push_with_recv_from_and_ipd_per_link():
    sim = simcom()
    simcom_open(sim, 0)
    simcom_open(sim, 1, port=2007, netopen=False)
    simcom_send(sim, 0, TRICKY)
    simcom_send(sim, 1, b"two!")
    sim.advance(3.0)
    rx = sim.dte.socket_data
    assert rx.received(0) == TRICKY and rx.received(1) == b"two!"
    assert {c.remote for c in rx.chunks} == {(ECHO, 7), (ECHO, 2007)}
    assert rx.read(0) == TRICKY and rx.received(0) == b""


def test_simcom_receive_header_type_1_and_no_address():
    sim = simcom()
    dte = sim.dte
    assert dte.command("AT+CIPCCFG=10,0,0,1,1,0,500").ok  # HeaderType 1: +RECEIVE,<link>,<len>
    assert dte.command("AT+CIPSRIP=0").ok
    simcom_open(sim, 2)
    simcom_send(sim, 2, TRICKY)
    sim.advance(3.0)
    assert dte.socket_data.received(2) == TRICKY
    assert not any(u.text.startswith("RECV FROM") for u in dte.urcs)


def test_simcom_buffer_mode_ciprxget_ascii_and_hex():
    sim = simcom()
    dte = sim.dte
    assert dte.command("AT+CIPRXGET=1").ok
    simcom_open(sim, 0)
    simcom_send(sim, 0, TRICKY)
    dte.next_urc(r"\+CIPRXGET: 1,0", timeout=30)
    rx = dte.socket_data
    assert rx.pending[0] == 1
    assert rx.fetch(0, size=4) == TRICKY  # several reads of 4 bytes, "OK" inside the data
    simcom_send(sim, 0, b"\x01\x02hex")
    dte.next_urc(r"\+CIPRXGET: 1,0", timeout=30)
    r = dte.command("AT+CIPRXGET=3,0,100")
    assert r.ok and rx.read(0) == b"\x01\x02hex"


def fibocom_open(sim, sid=1):
    dte = sim.dte
    assert dte.command('AT+MIPCALL=1,"internet"', timeout=5).ok
    dte.next_urc(r"\+MIPCALL: \d", timeout=35)
    assert dte.command(f'AT+MIPOPEN={sid},,"{ECHO}",7,0').ok
    dte.next_urc(rf"\+MIPOPEN: {sid},1", timeout=30)


def fibocom_send(sim, sid, data):
    assert sim.dte.command(f'AT+MIPSEND={sid},"{data.hex().upper()}"').ok
    assert sim.dte.command(f"AT+MIPPUSH={sid}").ok


@pytest.mark.parametrize("iprfmt", [0, 2])
def test_fibocom_miprtcp_hex_and_raw_header(iprfmt):
    sim = fibocom()
    dte = sim.dte
    assert dte.command(f'AT+GTSET="IPRFMT",{iprfmt}').ok
    fibocom_open(sim)
    fibocom_send(sim, 1, TRICKY)
    sim.advance(5.0)
    assert dte.socket_data.received(1) == TRICKY
    if iprfmt == 2:
        assert any(u.text.startswith("+MIPRTCP: 1,") and u.data == TRICKY for u in dte.urcs)


def test_fibocom_miprudp_hex():
    sim = fibocom()
    dte = sim.dte
    assert dte.command('AT+MIPCALL=1,"internet"', timeout=5).ok
    dte.next_urc(r"\+MIPCALL: \d", timeout=35)
    assert dte.command(f'AT+MIPOPEN=3,,"{ECHO}",7,1').ok
    dte.next_urc(r"\+MIPOPEN: 3,1", timeout=30)
    fibocom_send(sim, 3, b"dgram\r\nOK")
    sim.advance(5.0)
    rx = dte.socket_data
    assert rx.received(3) == b"dgram\r\nOK"
    assert rx.chunks[-1].remote == (ECHO, 7)


def test_fibocom_read_mode_mipdata_and_mipread():
    sim = fibocom()
    dte = sim.dte
    assert dte.command('AT+GTSET="IPRFMT",5').ok
    fibocom_open(sim)
    fibocom_send(sim, 1, TRICKY)
    dte.next_urc(r"\+MIPDATA: 1,", timeout=30)
    rx = dte.socket_data
    assert rx.pending[1] == len(TRICKY)
    assert rx.fetch(1, size=5) == TRICKY
    assert 1 not in rx.pending


def test_join_without_timeout_from_the_main_program_and_from_a_task():
    sim = simcom()

    def child():
        sim.advance(3.0)
        return "child"

    def parent():
        return sim.spawn(child).join() + "+parent"

    assert sim.spawn(parent).join() == "child+parent"
    assert sim.now == pytest.approx(3.0)
    assert sim.run_tasks() is True


def test_expect_after_urc_in_the_live_buffer_takes_it_from_the_queue():
    sim = simcom()
    dte = sim.dte
    sim.advance(1.0)
    dte.command("AT+NETOPEN")
    sim.advance(5.0)
    assert [u.text for u in dte.urcs] == ["+NETOPEN: 0"]
    dte.expect(r"\+NETOPEN: 0", timeout=0)  # read from the stream: no longer an unread URC
    assert list(dte.urcs) == []
    dte.command(f'AT+CIPOPEN=0,"TCP","{ECHO}",7')
    sim.advance(5.0)
    dte.command("AT")  # the URC is now before a command: expect_event still finds it
    ev = dte.expect_event(r"\+CIPOPEN: 0,0", timeout=1)
    assert ev.triggered and ev.value.group(0) == "+CIPOPEN: 0,0"
    assert not any(u.text.startswith("+CIPOPEN") for u in dte.urcs)
