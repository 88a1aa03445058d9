"""The trace as a typed DataFrame, the analysis helpers, and common random numbers."""

from __future__ import annotations

import pytest

import simnet
from simnet.kernel.sim import Simulation as KernelSimulation
from simnet.kernel.tidy import to_dataframe
from simnet.kernel.trace import read_jsonl
from simnet.net.link import Link, LinkConfig
from simnet.net.packet import Packet

pd = pytest.importorskip("pandas")

RADIO, WIRED = (
    0.3,
    0.010,
)  # one-way delays: the scenario's radio link, an internet host's wired link
RATE = 40_000  # bit/s each way on the radio link (the wired link has no rate limit)


def echo_session(seed=1, loss=0.0):
    """Open a TCP connection to the echo server over a 300 ms, 40 kbit/s radio link (no jitter)
    and send HELLO."""
    sim = simnet.Simulation.from_dict(
        {
            "name": "ttfb",
            "module": "simcom-sim7600",
            "network": {
                "apn": {"name": "internet"},
                "link": {"delay": "300ms", "rate": "40kbps", "loss": loss},
            },
            "hosts": {
                "echo.example.net": {
                    "ip": "203.0.113.10",
                    "services": [{"type": "tcp-echo", "port": 7}],
                }
            },
        },
        seed=seed,
    )
    dte = sim.dte
    dte.command("AT+NETOPEN")
    dte.next_urc(r"\+NETOPEN: 0", timeout=60)
    dte.command('AT+CIPOPEN=0,"TCP","203.0.113.10",7')
    dte.next_urc(r"\+CIPOPEN: 0,0", timeout=120)
    assert dte.command("AT+CIPSEND=0,5").final == ">"
    dte.write(b"HELLO")
    dte.next_urc(r"\+IPD5", timeout=60)
    return sim


def test_dataframe_has_typed_packet_and_byte_columns():
    sim = echo_session()
    df = sim.trace.to_dataframe()
    assert df["t"].dtype == "float64"
    syn = df[
        (df["kind"] == "pkt")
        & (df["source"] == "module.uplink")
        & (df["ev"] == "tx")
        & (df["flags"] == "S")
    ]
    assert len(syn) == 1
    row = syn.iloc[0]
    assert (
        row["proto"] == "TCP"
        and row["dst"] == "203.0.113.10"
        and row["dport"] == 7
        and row["len"] == 0
    )
    assert str(df["seq"].dtype) == "Int64" and str(df["sport"].dtype) == "Int64"
    data = df[(df["kind"] == "pkt") & (df["source"] == "module.uplink") & (df["len"] == 5)].iloc[0]
    assert data["flags"] in ("PA", "AP") or "P" in data["flags"]
    uart = df[df["kind"] == "dte>"]
    assert isinstance(uart["data"].iloc[0], bytes) and uart["nbytes"].iloc[0] == len(
        uart["data"].iloc[0]
    )


def test_dataframe_from_a_jsonl_file_restores_bytes(tmp_path):
    sim = echo_session()
    path = tmp_path / "t.jsonl"
    sim.trace.to_jsonl(str(path))
    live, loaded = sim.trace.to_dataframe(), to_dataframe(read_jsonl(str(path)))
    assert list(live[live["kind"] == "dte<"]["data"]) == list(
        loaded[loaded["kind"] == "dte<"]["data"]
    )


def test_connections_timeline_and_time_to_first_byte_follow_the_link_delays():
    sim = echo_session()
    conns = simnet.analysis.tcp_connections(sim)
    module = conns[conns["host"] == "module"].iloc[0]
    # one round trip, plus serializing SYN and SYN-ACK on the radio link: 20 bytes of IP header,
    # 20 of TCP header and the 4-byte MSS option each (RFC 791, RFC 9293 §3.1, §3.7.1)
    handshake = 2 * (RADIO + WIRED) + 2 * (20 + 24) * 8 / RATE
    assert module["established"] - module["opened"] == pytest.approx(handshake)
    assert module["retransmissions"] == 0
    ttfb = simnet.analysis.time_to_first_byte(sim).iloc[0]
    df = sim.trace.to_dataframe()
    sent = df[
        (df["kind"] == "pkt")
        & (df["source"] == "module.uplink")
        & (df["ev"] == "tx")
        & (df["len"] == 5)
    ]
    # the echo comes back one round trip after HELLO entered the radio link, plus serializing
    # the 45-byte segment (20 + 20 + 5) up and its echo down
    assert ttfb["first_byte"] - sent["t"].iloc[0] == pytest.approx(
        2 * (RADIO + WIRED) + 2 * 45 * 8 / RATE
    )
    assert ttfb["ttfb"] == pytest.approx(ttfb["first_byte"] - module["opened"])
    events = simnet.analysis.timeline(sim, conn=module["conn"])
    assert list(events["detail"][:2]) == ["CLOSED > SYN_SENT", "SYN_SENT > ESTABLISHED"]


def test_retransmissions_are_counted_per_connection_and_cause():
    sim = echo_session(seed=4, loss=0.3)
    rtx = simnet.analysis.retransmissions(sim)
    raw = [r for r in sim.trace.records if r.kind == "tcp_retransmit"]
    assert rtx["count"].sum() == len(raw) > 0
    conns = simnet.analysis.tcp_connections(sim)
    assert conns["retransmissions"].sum() == len(raw)


def test_common_random_numbers_losses_at_1_percent_are_a_subset_of_those_at_5():
    """Same seed, same link, same offered packets: each packet's loss draw is the same uniform
    number whatever the rate, so raising the loss rate only adds losses (docs: common random
    numbers)."""

    def lost(p):
        sim = KernelSimulation(seed=11)
        link = Link(sim, "m1.uplink", LinkConfig.from_dict({"loss": p}), deliver=lambda pkt: None)
        out = []
        for i in range(2000):
            before = link.drops.get("loss", 0)
            link.send(
                Packet(src="10.0.0.1", dst="10.0.0.2", proto=17, sport=1, dport=2, payload=b"x")
            )
            if link.drops.get("loss", 0) > before:
                out.append(i)
        return set(out)

    low, high = lost(0.01), lost(0.05)
    assert low and low < high
    assert 0.005 < len(low) / 2000 < 0.02 and 0.035 < len(high) / 2000 < 0.065
