"""pcap export: read back with scapy; counts, addresses, payloads, timestamps, checksums."""

import struct

import pytest
from scapy.layers.inet import ICMP, IP, UDP, IPerror
from scapy.utils import rdpcap

from simnet.kernel import Simulation
from simnet.net import Network

SERVER = "203.0.113.10"


def checksum_ok(frame, layer):
    """Recompute the checksum with scapy from scratch and compare with the stored one."""
    stored = frame[layer].chksum
    rebuilt = frame.copy()
    del rebuilt[layer].chksum
    return IP(bytes(rebuilt))[layer].chksum == stored


def test_udp_transfer_pcap_reads_back(tmp_path):
    sim = Simulation(seed=2)
    net = Network(sim)
    srv = net.add_host("echo", SERVER)
    mod = net.add_module_host(
        "m1", {"delay": 0.2, "rate": "40kbps"}, {"delay": 0.2, "rate": "40kbps"}
    )
    mod.interface_up("10.0.0.7", net.dns_ips)
    srv.udp_bind(7, on_datagram=lambda s, d, a: s.sendto(d, a))
    sock = mod.udp_bind(40000)
    payloads = [bytes([i]) * (10 + i) for i in range(20)]
    for i, p in enumerate(payloads):
        sim.call_later(i * 0.5, sock.sendto, p, (SERVER, 7))
    sim.advance(15)
    path = tmp_path / "m1.pcap"
    n = net.write_pcap(str(path), "m1")
    with open(path, "rb") as fp:
        magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", fp.read(24))
    assert magic == 0xA1B23C4D and linktype == 101  # nanosecond pcap, LINKTYPE_RAW
    frames = rdpcap(str(path))
    assert n == len(frames) == 40
    up = [f for f in frames if f[IP].src == "10.0.0.7"]
    down = [f for f in frames if f[IP].dst == "10.0.0.7"]
    assert len(up) == len(down) == 20
    assert [bytes(f[UDP].payload) for f in up] == payloads
    assert [bytes(f[UDP].payload) for f in down] == payloads
    assert all(f[UDP].sport == 40000 and f[UDP].dport == 7 and f[IP].dst == SERVER for f in up)
    assert all(checksum_ok(f, UDP) for f in frames)
    # first datagram sent at t=0; its echo arrives after 2 x (serialization + 0.2 + 0.01)
    assert float(up[0].time) == 0.0
    size = 20 + 8 + 10
    assert float(down[0].time) == pytest.approx(2 * (size * 8 / 40_000 + 0.2 + 0.010), abs=1e-9)


def test_icmp_error_and_corrupted_frames(tmp_path):
    sim = Simulation(seed=2)
    net = Network(sim)
    net.add_host("echo", SERVER)
    mod = net.add_module_host("m1", {"delay": 0.1}, {"delay": 0.1, "corrupt": 1.0})
    mod.interface_up("10.0.0.7", net.dns_ips)
    sock = mod.udp_bind(40001)
    sock.sendto(
        b"nobody", (SERVER, 9)
    )  # port closed -> ICMP port unreachable (corrupted on the way)
    sim.advance(2)
    path = str(tmp_path / "e.pcap")
    net.write_pcap(path)
    frames = rdpcap(path)
    assert len(frames) == 2
    err = frames[1]
    assert err[ICMP].type == 3 and err[ICMP].code == 3
    assert err[IPerror].dst == SERVER and err[IPerror].src == "10.0.0.7"
    assert not checksum_ok(err, ICMP)  # the link corrupted it: checksum deliberately wrong
    assert checksum_ok(frames[0], UDP)
    assert mod.packets_dropped == 1  # and the module's stack dropped it as a checksum failure


def test_server_side_capture_shows_translated_addresses(tmp_path):
    sim = Simulation(seed=2)
    net = Network(sim)
    srv = net.add_host("echo", SERVER)
    net.capture_host("echo")
    mod = net.add_module_host("m1", {"delay": 0.1}, {"delay": 0.1})
    mod.interface_up("10.0.0.7", net.dns_ips)
    srv.udp_bind(7, on_datagram=lambda s, d, a: s.sendto(d, a))
    mod.udp_bind(40002).sendto(b"x", (SERVER, 7))
    sim.advance(2)
    path = str(tmp_path / "srv.pcap")
    assert net.write_pcap(path, "echo") == 2
    frames = rdpcap(path)
    public_port = net.nat.mappings()[0].public_port
    assert frames[0][IP].src == net.nat.public_ip and frames[0][UDP].sport == public_port
    assert frames[1][IP].dst == net.nat.public_ip and frames[1][UDP].dport == public_port
    # merged capture of both points: 4 frames in time order
    assert net.write_pcap(str(tmp_path / "all.pcap")) == 4
    times = [float(f.time) for f in rdpcap(str(tmp_path / "all.pcap"))]
    assert times == sorted(times)
