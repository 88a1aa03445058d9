"""Must show: a pcap of a TCP transfer reads back with scapy (count, addresses, payload)."""



from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402

from simnet.kernel import Simulation  # noqa: E402
from simnet.net import Network  # noqa: E402

SERVER = "203.0.113.10"
MOD_IP = "10.0.0.9"


def test_tcp_transfer_pcap(tmp_path):
    sim = Simulation(seed=6)
    net = Network(sim)
    srv = net.add_host("srv", SERVER)
    mod = net.add_module_host(
        "m1", {"delay": 0.2, "rate": "40kbps"}, {"delay": 0.2, "rate": "40kbps"}
    )
    mod.interface_up(MOD_IP, net.dns_ips)
    received = bytearray()

    def on_accept(sock):
        sock.on_data = lambda s: received.extend(s.recv())

    srv.tcp_listen(8080, on_accept)
    data = bytes(range(256)) * 20  # 5120 bytes
    sock = mod.tcp_connect(SERVER, 8080)
    sent = [0]

    def pump(s):
        if sent[0] < len(data):
            sent[0] += s.send(data[sent[0] :])

    sock.on_connected = pump
    sock.on_writable = pump
    assert sim.run_until(lambda: len(received) == len(data), 120)
    sim.advance(5)
    path = str(tmp_path / "tcp.pcap")
    n = net.write_pcap(path, "m1")
    frames = rdpcap(path)
    # expected count, from the trace: every packet m1 sent and every packet that reached it
    tx = [r for r in sim.trace.select(source="m1.uplink", kind="pkt") if r.fields["ev"] == "tx"]
    rx = [r for r in sim.trace.select(source="m1.downlink", kind="pkt") if r.fields["ev"] == "rx"]
    assert n == len(frames) == len(tx) + len(rx)
    up = [f for f in frames if f[IP].src == MOD_IP]
    down = [f for f in frames if f[IP].dst == MOD_IP]
    assert len(up) == len(tx) and len(down) == len(rx)
    assert all(f[IP].dst == SERVER and f[TCP].dport == 8080 for f in up)
    assert all(f[IP].src == SERVER and f[TCP].sport == 8080 for f in down)
    syn = up[0][TCP]
    assert syn.flags == "S" and dict(syn.options).get("MSS")
    # reassemble the module's stream by sequence number (retransmissions overwrite)
    isn = syn.seq
    stream = {}
    for f in up:
        payload = bytes(f[TCP].payload)
        if payload:
            stream[(f[TCP].seq - isn - 1) % 2**32] = payload
    joined = b"".join(stream[k] for k in sorted(stream))
    assert joined == data
    for f in frames:  # checksums as Wireshark would verify them
        rebuilt = f.copy()
        del rebuilt[TCP].chksum
        del rebuilt[IP].chksum
        again = IP(bytes(rebuilt))
        assert again[TCP].chksum == f[TCP].chksum and again[IP].chksum == f[IP].chksum
