"""§4.1 AT+WIPCFG: start/stop, every option with its range, the options' effect on the models,
version, storage in flash across a restart."""

from __future__ import annotations

import pytest

from tests.modem.vendors.wavecom.wipsoft.harness import (
    cme_after,
    exchange,
    gprs,
    ok,
    ok_after,
    start,
    tcp,
    udp,
    world,
)

# §4.1.3 defaults, in option order (the §4.1.6 AT+WIPCFG? example prints the same).
DEFAULTS = [64, 0, 60, 0, 536, 0, 8, 32, 0, 0, 4, 4]
# §4.1.3 ranges: (low, high) per option (8: no range printed, 0-255 assumed).
RANGES = [(0, 255), (0, 255), (1, 65535), (0, 65535), (536, 1460), (0, 3), (1, 172), (4, 42),
          (0, 255), (0, 2730), (1, 511), (1, 292)]


def read_lines(values: list[int]) -> tuple[str, ...]:
    return tuple(f"+WIPCFG: {i},{v}" for i, v in enumerate(values))


def test_read_shows_the_manual_defaults_and_a_changed_ttl() -> None:
    sim = world()
    start(sim)
    assert exchange(sim, "AT+WIPCFG?", ok_after("AT+WIPCFG?", *read_lines(DEFAULTS))) == ok_after(
        "AT+WIPCFG?", *read_lines(DEFAULTS))
    ok(sim, "AT+WIPCFG=2,0,10")
    changed = [10, *DEFAULTS[1:]]
    assert exchange(sim, "AT+WIPCFG?", ok_after("AT+WIPCFG?", *read_lines(changed))) == ok_after(
        "AT+WIPCFG?", *read_lines(changed))


def test_version_and_test_form() -> None:
    sim = world()
    sim.advance(3)
    assert exchange(
        sim, "AT+WIPCFG=3", ok_after("AT+WIPCFG=3", "WIP soft v201 on Open AT OS v312")
    ) == ok_after("AT+WIPCFG=3", "WIP soft v201 on Open AT OS v312")
    ok(sim, "AT+WIPCFG=?")


@pytest.mark.parametrize("opt", range(12))
def test_every_option_takes_its_range_and_refuses_outside(opt: int) -> None:
    lo, hi = RANGES[opt]
    sim = world()
    start(sim)
    ok(sim, f"AT+WIPCFG=2,{opt},{lo}")
    ok(sim, f"AT+WIPCFG=2,{opt},{hi}")
    line = f"AT+WIPCFG=2,{opt},{hi + 1}"
    assert exchange(sim, line, cme_after(line, 801)) == cme_after(line, 801)
    if lo > 0:
        line = f"AT+WIPCFG=2,{opt},{lo - 1}"
        assert exchange(sim, line, cme_after(line, 801)) == cme_after(line, 801)
    assert sim.module.dialect.stack.config[opt] == hi


def test_errors_of_wipcfg() -> None:
    sim = world()
    sim.advance(3)
    ok(sim, "AT+CMEE=1")
    for line, code in [
        ("AT+WIPCFG=2,0,10", 803),  # not started
        ("AT+WIPCFG=4,0", 821),
    ]:  # nothing stored to free
        assert exchange(sim, line, cme_after(line, code)) == cme_after(line, code)
    ok(sim, "AT+WIPCFG=1")
    for line, code in [
        ("AT+WIPCFG=1", 850),
        ("AT+WIPCFG=2,12,1", 800),
        ("AT+WIPCFG=2,3,x", 801),
        ("AT+WIPCFG=5", 801),
    ]:
        assert exchange(sim, line, cme_after(line, code)) == cme_after(line, code)
    for line in ("AT+WIPCFG=2,0", "AT+WIPCFG=1,1", "AT+WIPCFG"):
        assert (
            exchange(sim, line, line.encode() + b"\r\r\nERROR\r\n")
            == line.encode() + b"\r\r\nERROR\r\n"
        )
    # AT+CMEE=0: the same failure is a plain ERROR (§4.1.5)
    ok(sim, "AT+CMEE=0")
    assert (
        exchange(sim, "AT+WIPCFG=1", b"AT+WIPCFG=1\r\r\nERROR\r\n") == b"AT+WIPCFG=1\r\r\nERROR\r\n"
    )
    ok(sim, "AT+CMEE=2")
    line = "AT+WIPCFG=2,12,1"
    want = line.encode() + b"\r\r\n+CME ERROR: invalid option\r\n"
    assert exchange(sim, line, want) == want


def test_stored_configuration_survives_a_restart_and_applies_at_start() -> None:
    sim = world()
    start(sim)
    ok(sim, "AT+WIPCFG=2,0,33")
    ok(sim, "AT+WIPCFG=2,6,3")
    ok(sim, "AT+WIPCFG=4,1")
    sim.module.reboot("test")
    sim.advance(10)
    sim.dte.read_available()
    ok(sim, "AT+CMEE=1")
    ok(sim, "AT+WIPCFG=1")
    want = [33, *DEFAULTS[1:6], 3, *DEFAULTS[7:]]
    assert exchange(sim, "AT+WIPCFG?", ok_after("AT+WIPCFG?", *read_lines(want))) == ok_after(
        "AT+WIPCFG?", *read_lines(want)
    )
    # freed: the next start uses the defaults again
    ok(sim, "AT+WIPCFG=4,0")
    ok(sim, "AT+WIPCFG=0")
    ok(sim, "AT+WIPCFG=1")
    assert exchange(sim, "AT+WIPCFG?", ok_after("AT+WIPCFG?", *read_lines(DEFAULTS))) == ok_after(
        "AT+WIPCFG?", *read_lines(DEFAULTS)
    )


def sent_by_module(sim, proto: int):
    """Packets the module sent, as its interface's capture point keeps them."""
    host = sim.module.host
    return [
        p for _t, p in sim.network.pcap.packets(host.name) if p.src == host.ip and p.proto == proto
    ]


def test_ttl_tos_and_mss_options_reach_the_packets() -> None:
    from simnet.net import wire

    sim = world()
    gprs(sim)
    ok(sim, "AT+WIPCFG=2,0,17")
    ok(sim, "AT+WIPCFG=2,1,184")
    ok(sim, "AT+WIPCFG=2,4,1000")
    tcp(sim)
    syn = sent_by_module(sim, 6)[0]
    raw = wire.encode(syn)
    assert (raw[8], raw[1]) == (17, 184)  # IPv4 TTL and TOS octets (RFC 791 §3.1)
    assert syn.options["mss"] == 1000  # WIP_NET_OPT_TCP_MIN_MSS is the MSS offered


def test_sock_max_bounds_the_sockets_that_exist_at_once() -> None:
    sim = world()
    gprs(sim)
    ok(sim, "AT+WIPCFG=2,6,2")  # WIP_NET_OPT_SOCK_MAX: two sockets in all
    udp(sim, "AT+WIPCREATE=1,1,5001", 1)
    udp(sim, "AT+WIPCREATE=1,2,5002", 2)
    line = "AT+WIPCREATE=1,3,5003"
    assert exchange(sim, line, cme_after(line, 838)) == cme_after(line, 838)


def test_the_commands_exist_while_the_open_at_application_runs() -> None:
    sim = world()
    gprs(sim)
    ok(
        sim, "AT+WOPEN=0"
    )  # §3: WIPsoft is an Open AT application; stopped, it takes its stack along
    sim.advance(2)
    line = "AT+WIPCFG=1"
    assert (
        exchange(sim, line, line.encode() + b"\r\r\nERROR\r\n")
        == line.encode() + b"\r\r\nERROR\r\n"
    )
    assert sim.module.host.ip is None  # the GPRS bearer was stopped
    ok(sim, "AT+WOPEN=1")
    ok(sim, "AT+WIPCFG=1")
    ok(sim, "ATQ0")  # §2.2: ATQ is the V.250 command under WIPsoft
