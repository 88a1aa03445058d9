"""UDP peers through the simulated network: echo, sink, NTP (RFC 5905) and DNS."""

from __future__ import annotations

import datetime
import struct

import pytest

from simnet import ConfigError
from simnet.kernel import Simulation
from simnet.net import Network
from simnet.net.dns import NXDOMAIN, SERVFAIL, TYPE_PTR, decode_message, make_query
from simnet.servers import make_service
from simnet.servers.ntp import ntp_timestamp, ntp_to_unix

SERVER_IP = "198.51.100.7"
CLIENT_IP = "198.51.100.20"


def world(stype: str, config: dict | None = None, seed: int = 1):
    sim = Simulation(seed)
    net = Network(sim)
    server = net.add_host("srv", SERVER_IP)
    client = net.add_host("cli", CLIENT_IP)
    svc = make_service(stype, config or {}, "hosts.srv.services[0]").attach(sim, server)
    return sim, svc, client


class UdpClient:
    def __init__(self, host) -> None:
        self.got: list[tuple[float, bytes]] = []
        self.errors: list[str] = []
        self.sim = host.sim
        self.sock = host.udp_bind(0, self._on_datagram, self._on_error)

    def _on_datagram(self, sock, data, addr) -> None:
        self.got.append((self.sim.now, data))

    def _on_error(self, sock, kind, addr) -> None:
        self.errors.append(kind)

    def ask(self, data: bytes, port: int, wait: float = 2.0) -> bytes | None:
        before, errors = len(self.got), len(self.errors)
        self.sock.sendto(data, (SERVER_IP, port))
        self.sim.run_until(lambda: len(self.got) > before or len(self.errors) > errors, wait)
        return self.got[-1][1] if len(self.got) > before else None


def test_udp_echo_and_sink():
    sim, svc, client = world("udp-echo", {"port": 7})
    c = UdpClient(client)
    payload = bytes(range(256))
    assert c.ask(payload, 7) == payload
    assert svc.bytes_received == 256 and svc.bytes_sent == 256
    sim2, sink, client2 = world("udp-sink", {"port": 9})
    c2 = UdpClient(client2)
    assert c2.ask(b"x" * 100, 9, wait=1.0) is None
    assert sink.bytes_received == 100


def test_udp_refuse_gives_port_unreachable_then_recovers():
    sim, svc, client = world("udp-echo", {"port": 7})
    c = UdpClient(client)
    svc.refuse(duration=5.0)
    assert c.ask(b"a", 7) is None
    assert c.errors == ["port_unreachable"]
    sim.advance(5.0)
    assert c.ask(b"b", 7) == b"b"


def test_udp_stall_is_silence():
    sim, svc, client = world("udp-echo", {"port": 7})
    c = UdpClient(client)
    svc.stall()
    assert c.ask(b"a", 7, wait=3.0) is None and c.errors == []
    svc.clear_faults("stall")
    assert c.ask(b"b", 7) == b"b"


def ntp_request(transmit: bytes, version: int = 4, poll: int = 6) -> bytes:
    # LI=0, VN, mode 3 (client); the rest zero except the transmit timestamp (RFC 5905 Fig. 8)
    return struct.pack("!BBbb", (version << 3) | 3, 0, poll, 0) + b"\0" * 36 + transmit


def test_ntp_reply_fields_and_time():
    epoch = "2026-01-01T00:00:00Z"
    sim, svc, client = world("ntp", {"epoch": epoch, "stratum": 2, "refid": "192.0.2.1"})
    c = UdpClient(client)
    sim.advance(100.25)
    origin = bytes(range(1, 9))
    reply = c.ask(ntp_request(origin), 123)
    assert reply is not None and len(reply) == 48
    assert reply[0] == (0 << 6) | (4 << 3) | 4  # LI 0, version 4, mode 4 (server)
    assert reply[1] == 2 and struct.unpack("!b", reply[2:3])[0] == 6
    assert reply[12:16] == bytes([192, 0, 2, 1])  # refid: upstream IPv4 for stratum > 1
    assert reply[24:32] == origin  # origin timestamp = client's transmit
    # expected receive time from first principles: 2026-01-01 is 3976214400 s after 1900-01-01
    ntp_2026 = (datetime.datetime(2026, 1, 1) - datetime.datetime(1900, 1, 1)).total_seconds()
    assert ntp_2026 == 3976214400
    # both directions cross the same links with equal-size datagrams, so the server stamped
    # the request halfway between the client's send (100.25 s) and its receipt of the reply
    sent, got_back = 100.25, c.got[-1][0]
    arrival = sent + (got_back - sent) / 2
    recv_secs, recv_frac = struct.unpack("!II", reply[32:40])
    assert recv_secs == ntp_2026 + int(arrival)
    assert abs(recv_frac / 2**32 - (arrival % 1)) < 1e-6
    assert reply[32:40] == reply[40:48]  # no processing delay configured
    assert abs(ntp_to_unix(reply[40:48]) - (1767225600 + arrival)) < 1e-5
    # reference time: the server's last 64 s poll mark (assumption, docs/assumptions.md)
    assert ntp_to_unix(reply[16:24]) == 1767225600 + 64


def test_ntp_stratum1_refid_and_drops():
    sim, svc, client = world("ntp", {"refid": "PPS", "processing_delay": "10ms"})
    c = UdpClient(client)
    reply = c.ask(ntp_request(b"\0" * 8, version=3), 123)
    assert reply[12:16] == b"PPS\0" and reply[0] & 0x38 == 3 << 3
    recv = ntp_to_unix(reply[32:40])
    xmit = ntp_to_unix(reply[40:48])
    assert abs((xmit - recv) - 0.010) < 1e-6
    assert c.ask(b"short", 123, wait=1.0) is None  # not an NTP packet: dropped, as ntpd does
    bad_mode = bytearray(ntp_request(b"\0" * 8))
    bad_mode[0] = (4 << 3) | 4
    assert c.ask(bytes(bad_mode), 123, wait=1.0) is None


def test_ntp_era_encoding():
    # 2036-02-07T06:28:16Z is the start of NTP era 1: seconds wrap to 0 (RFC 5905 section 6)
    era1 = datetime.datetime(2036, 2, 7, 6, 28, 16, tzinfo=datetime.UTC).timestamp()
    assert ntp_timestamp(era1) == b"\0" * 8
    assert ntp_timestamp(era1 + 1.5) == struct.pack("!II", 1, 2**31)
    assert ntp_to_unix(ntp_timestamp(era1 + 1.5), era=1) == era1 + 1.5
    assert ntp_timestamp(0.0) == struct.pack("!II", 2208988800, 0)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"stratum": 0}, "stratum"),
        ({"stratum": 1, "refid": "TOOLONG"}, "refid"),
        ({"stratum": 3, "refid": "GPS"}, "refid"),
        ({"epoch": "yesterday"}, "epoch"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_ntp_config_errors(config, key):
    with pytest.raises(ConfigError) as err:
        make_service("ntp", config, "hosts.t.services[1]")
    assert err.value.field == f"hosts.t.services[1].{key}"


def query(c: UdpClient, name: str, qtype: int = 1, port: int = 53):
    reply = c.ask(make_query(0x1234, name, qtype), port)
    return None if reply is None else decode_message(reply)


def test_dns_forward_reverse_and_faults():
    sim, svc, client = world(
        "dns",
        {
            "records": {
                "ftp.example.net": "192.0.2.21",
                "multi.example.net": ["192.0.2.1", "192.0.2.2"],
            }
        },
    )
    c = UdpClient(client)
    msg = query(c, "ftp.example.net")
    assert msg.id == 0x1234 and [a.data for a in msg.answers] == ["192.0.2.21"]
    assert [a.data for a in query(c, "multi.example.net").answers] == ["192.0.2.1", "192.0.2.2"]
    ptr = query(c, "21.2.0.192.in-addr.arpa", TYPE_PTR)
    assert [a.data for a in ptr.answers] == ["ftp.example.net"]
    assert query(c, "nope.example.net").rcode == NXDOMAIN
    svc.dns_fail("servfail", name="ftp.example.net")
    assert query(c, "ftp.example.net").rcode == SERVFAIL
    assert query(c, "multi.example.net").rcode == 0  # other names unaffected
    svc.apply_fault("dns", mode="nxdomain")
    assert query(c, "multi.example.net").rcode == NXDOMAIN
    svc.dns_fail("timeout", duration="3s")
    assert query(c, "ftp.example.net") is None
    sim.advance(3)
    assert query(c, "ftp.example.net").rcode == 0
    assert c.ask(b"\x00", 53, wait=1.0) is None  # too short even for an id: dropped
    with pytest.raises(ConfigError):
        svc.dns_fail("explode")


def test_dns_config_errors():
    with pytest.raises(ConfigError) as err:
        make_service("dns", {"records": {"a.example": "999.1.1.1"}}, "s")
    assert err.value.field == "s.records.a.example"


def test_fault_scheduled_at_a_time_with_duration():
    sim, svc, client = world("udp-echo", {"port": 7})
    c = UdpClient(client)
    svc.fault_at(5.0, "server-refuse", duration="3s")
    assert c.ask(b"a", 7) == b"a"
    sim.advance(5.0 - sim.now + 0.5)
    assert c.ask(b"b", 7) is None and c.errors == ["port_unreachable"]
    sim.advance(8.0 - sim.now + 0.5)
    assert c.ask(b"c", 7) == b"c"
    faults = [(r.t, r.fields["on"]) for r in sim.trace.records if r.kind == "fault"]
    assert faults == [(5.0, True), (8.0, False)]
    assert all(r.source == "server.srv.udp-echo.7" for r in sim.trace.records if r.kind == "fault")


@pytest.mark.parametrize(("stype", "port"), [("udp-echo", 7), ("ntp", 123), ("dns", 53)])
def test_udp_refuse_and_stall_for_every_udp_service(stype, port):
    sim, svc, client = world(
        stype, {"records": {"a.example": "192.0.2.1"}} if stype == "dns" else {}
    )
    c = UdpClient(client)
    request = {
        "udp-echo": b"hello",
        "ntp": ntp_request(b"\x01" * 8),
        "dns": make_query(7, "a.example"),
    }[stype]
    assert c.ask(request, port) is not None
    svc.apply_fault("server-stall")
    assert c.ask(request, port, wait=5.0) is None and c.errors == []
    svc.clear_faults()
    svc.apply_fault("server-refuse")
    assert c.ask(request, port) is None and c.errors == ["port_unreachable"]
    svc.clear_faults()
    assert c.ask(request, port) is not None


def test_dns_malformed_queries_get_formerr_or_nothing():
    sim, svc, client = world("dns", {"records": {"a.example": "192.0.2.1"}})
    c = UdpClient(client)
    reply = c.ask(b"\xab\xcd" + b"\xff" * 20, 53)  # an id, then garbage
    assert reply is not None
    msg = decode_message(reply)
    assert msg.id == 0xABCD and msg.rcode == 1  # FORMERR (RFC 1035 section 4.1.1)
    assert c.ask(b"\x01", 53, wait=1.0) is None
    assert query(c, "a.example").answers[0].data == "192.0.2.1"  # still serving
