"""The carrier NAT's port pool shared by subscribers: a per-subscriber cap (RFC 6888 REQ-4
port blocks) and pool exhaustion drop new flows, traced with their reason."""

from simnet.kernel import Simulation
from simnet.net import NatConfig, Network

SERVER = "203.0.113.10"


def world(**nat):
    sim = Simulation(seed=3)
    net = Network(sim, nat=NatConfig(**nat), capture=False)
    srv = net.add_host("srv", SERVER)
    seen = []
    srv.udp_bind(5000, on_datagram=lambda s, d, a: seen.append((d, a)))
    mods = []
    for i in range(2):
        mod = net.add_module_host(f"m{i}", {"delay": 0.01}, {"delay": 0.01})
        mod.interface_up(f"10.0.0.{10 + i}", net.dns_ips)
        mods.append(mod)
    return sim, net, mods, seen


def drops(sim, reason):
    return [r for r in sim.trace.select(kind="nat") if r.fields.get("reason") == reason]


def test_per_subscriber_cap_drops_that_subscribers_new_flows_only():
    sim, net, (m0, m1), seen = world(per_subscriber=2)
    socks = [m0.udp_bind(40000 + i) for i in range(3)]
    for i, s in enumerate(socks):
        s.sendto(b"m0-%d" % i, (SERVER, 5000))
    m1.udp_bind(41000).sendto(b"m1", (SERVER, 5000))
    sim.advance(1)
    assert sorted(d for d, _ in seen) == [b"m0-0", b"m0-1", b"m1"]
    assert len(drops(sim, "subscriber_ports_exhausted")) == 1
    assert net.nat.subscriber_mappings("10.0.0.10") == 2 and net.nat.exhausted == 1
    # once a mapping expires (30 s UDP idle), the subscriber may open another
    sim.advance(31)
    assert net.nat.subscriber_mappings("10.0.0.10") == 0
    socks[2].sendto(b"m0-2 again", (SERVER, 5000))
    sim.advance(1)
    assert seen[-1][0] == b"m0-2 again"


def test_pool_exhaustion_is_shared_by_all_subscribers():
    sim, net, (m0, m1), seen = world(port_low=20000, port_high=20002)  # 3 public ports
    for i in range(2):
        m0.udp_bind(40000 + i).sendto(b"a", (SERVER, 5000))
    m1.udp_bind(41000).sendto(b"b", (SERVER, 5000))
    m1.udp_bind(41001).sendto(b"c", (SERVER, 5000))
    sim.advance(1)
    assert len(seen) == 3
    assert sorted(a[1] for _, a in seen) == [20000, 20001, 20002]
    assert len(drops(sim, "ports_exhausted")) == 1 and net.nat.exhausted == 1
