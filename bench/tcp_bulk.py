"""Benchmark (not a test): 1,000,000 bytes of bulk TCP over a slow, lossy, long radio link.

Workload (issue 2): MSS 1400, 40 kbit/s each way, 600 ms one-way delay, 1 % random loss each
way, over the real Network (module host behind the radio link and the carrier NAT, server on
the internet side). The module uploads; the server reads everything and closes when the module
has half-closed.

Prints virtual time, wall time, simulated packets per wall second and the virtual/wall ratio.
"Packets" are IP packets the two TCP endpoints put on the network (data segments, ACKs,
handshake and FIN); each crosses two link directions (radio + wired), also reported as hops.

    .venv/bin/python bench/tcp_bulk.py [--bytes N] [--seed S] [--profile] [--trace] [--capture]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

from simnet.kernel import Simulation
from simnet.net import Network
from simnet.net.tcp import TcpConfig, TcpSocket

SERVER_IP = "203.0.113.80"
MODULE_IP = "10.64.0.2"
PORT = 5001


def run(
    total: int, seed: int, *, keep_trace: bool, capture: bool, digest: bool = False
) -> dict[str, float]:
    """One transfer. ``digest``: the trace's SHA-256 is computed inside the timed part (full
    tracing means every record is also digested, as a scenario run does)."""
    sim = Simulation(seed)
    if not keep_trace:
        sim.trace.mute("pkt", "drop")  # per-packet records; state changes stay recorded
    net = Network(sim, capture=capture)
    radio = {"delay": 0.6, "rate": "40kbps", "loss": 0.01}
    srv_host = net.add_host("srv", SERVER_IP)
    mod_host = net.add_module_host("m1", radio, radio)
    mod_host.interface_up(MODULE_IP)
    cfg = TcpConfig(mss=1400)

    received = [0]
    # Completion is an event the run stops on: no per-event Python predicate (run_until) in
    # the measured loop.
    finished = sim.event()

    def on_accept(sock: TcpSocket) -> None:
        def on_data(s: TcpSocket) -> None:
            received[0] += len(s.recv())

        def on_peer_fin(s: TcpSocket) -> None:
            s.close()

        sock.on_data = on_data
        sock.on_peer_fin = on_peer_fin
        sock.on_closed = lambda s, r: finished.succeed(r)

    srv_host.tcp_listen(PORT, on_accept, config=cfg)
    chunk = bytes(range(256)) * 64  # 16 KiB, reused: the benchmark measures the stack
    sent = [0]

    def pump(sock: TcpSocket) -> None:
        # Offer what the send buffer has room for (as a real sender sizing its writes does):
        # the stack sees the same amounts at the same instants as with a 16 KiB offer it
        # would cut short, without the application copying 16 KiB per call.
        while sent[0] < total:
            space = sock.send_space
            if space <= 0:
                return
            n = sock.send(chunk[: min(space, len(chunk), total - sent[0])])
            if n == 0:
                return
            sent[0] += n
        sock.close()

    client = mod_host.tcp_connect(SERVER_IP, PORT, cfg)
    client.on_connected = pump
    client.on_writable = pump

    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    sim.run(until=finished)
    trace_digest = sim.trace.digest() if digest else ""
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0

    links = [
        net.link("m1").uplink,
        net.link("m1").downlink,
        net.link("srv").uplink,
        net.link("srv").downlink,
    ]
    hops = sum(link.packets_sent for link in links)
    packets = net.link("m1").uplink.packets_sent + net.link("srv").uplink.packets_sent
    if received[0] != total:
        print(
            f"WARNING: received {received[0]} of {total} bytes ({client.close_reason})",
            file=sys.stderr,
        )
    return {
        "virtual": sim.now,
        "wall": wall,
        "cpu": cpu,
        "digest": trace_digest,
        "records": len(sim.trace),
        "packets": packets,
        "hops": hops,
        "received": received[0],
        "retransmits": len(sim.trace.select(source="tcp.m1", kind="tcp_retransmit")),
    }


def run_ns3(total: int, seed: int, *, monitor: bool = False) -> dict[str, float]:
    """The same workload in the ns-3 3.44 wheel (``pip install ns3``): module -- core -- server,
    the radio hop 40 kbit/s, 600 ms, 1 % packet loss each way (RateErrorModel), a 10 ms wired
    hop, MSS 1400, delayed ACK 200 ms, 64 KiB buffers, BulkSend of ``total`` bytes to a
    PacketSink. No NAT (ns-3 has none) and no tracing (ns-3's default). ``monitor``: count the
    packets with FlowMonitor (a separate, untimed run: same seed, same packets)."""
    from ns import ns

    ns.RngSeedManager.SetSeed(seed)
    ns.Config.SetDefault("ns3::TcpSocket::SegmentSize", ns.UintegerValue(1400))
    ns.Config.SetDefault("ns3::TcpSocket::DelAckTimeout", ns.TimeValue(ns.Seconds(0.2)))
    ns.Config.SetDefault("ns3::TcpSocket::SndBufSize", ns.UintegerValue(65536))
    ns.Config.SetDefault("ns3::TcpSocket::RcvBufSize", ns.UintegerValue(65536))
    nodes = ns.NodeContainer()
    nodes.Create(3)  # module, core, server
    radio = ns.PointToPointHelper()
    radio.SetDeviceAttribute("DataRate", ns.StringValue("40kbps"))
    radio.SetChannelAttribute("Delay", ns.StringValue("600ms"))
    wired = ns.PointToPointHelper()
    wired.SetDeviceAttribute("DataRate", ns.StringValue("100Mbps"))
    wired.SetChannelAttribute("Delay", ns.StringValue("10ms"))
    d1 = radio.Install(nodes.Get(0), nodes.Get(1))
    d2 = wired.Install(nodes.Get(1), nodes.Get(2))
    for i in range(2):
        em = ns.CreateObject[ns.RateErrorModel]()
        em.SetAttribute("ErrorRate", ns.DoubleValue(0.01))
        em.SetAttribute("ErrorUnit", ns.StringValue("ERROR_UNIT_PACKET"))
        d1.Get(i).SetAttribute("ReceiveErrorModel", ns.PointerValue(em))
    stack = ns.InternetStackHelper()
    stack.Install(nodes)
    a = ns.Ipv4AddressHelper()
    a.SetBase(ns.Ipv4Address("10.1.1.0"), ns.Ipv4Mask("255.255.255.0"))
    a.Assign(d1)
    a.SetBase(ns.Ipv4Address("10.1.2.0"), ns.Ipv4Mask("255.255.255.0"))
    i2 = a.Assign(d2)
    ns.Ipv4GlobalRoutingHelper.PopulateRoutingTables()
    port = 5001
    sink = ns.PacketSinkHelper(
        "ns3::TcpSocketFactory", ns.InetSocketAddress(ns.Ipv4Address.GetAny(), port).ConvertTo()
    )
    sapps = sink.Install(nodes.Get(2))
    sapps.Start(ns.Seconds(0))
    bulk = ns.BulkSendHelper(
        "ns3::TcpSocketFactory", ns.InetSocketAddress(i2.GetAddress(1), port).ConvertTo()
    )
    bulk.SetAttribute("MaxBytes", ns.UintegerValue(total))
    bulk.SetAttribute("SendSize", ns.UintegerValue(1400))
    capps = bulk.Install(nodes.Get(0))
    capps.Start(ns.Seconds(0))
    if monitor:
        fm = ns.FlowMonitorHelper()
        mon = fm.InstallAll()
    w0 = time.perf_counter()
    c0 = time.process_time()
    ns.Simulator.Stop(ns.Seconds(3600))
    ns.Simulator.Run()
    cpu = time.process_time() - c0
    wall = time.perf_counter() - w0
    packets = 0
    if monitor:
        mon.CheckForLostPackets()
        packets = sum(v.txPackets for _k, v in mon.GetFlowStats())
    received = ns.DynamicCast[ns.PacketSink](sapps.Get(0)).GetTotalRx()
    ns.Simulator.Destroy()
    return {"wall": wall, "cpu": cpu, "packets": packets, "received": received}


def compare_ns3(total: int, seed: int, repeat: int) -> int:
    """simnet with full tracing (every packet a trace record, the whole trace digested inside
    the timed part, pcap capture on) against ns-3, interleaved in one run; packets per second
    of each, fastest of ``repeat``, by wall clock and by the process's CPU clock (the machine
    is shared: other jobs inflate wall time, not CPU time)."""
    import os

    try:
        counted = run_ns3(total, seed, monitor=True)
    except ImportError:
        print("ns-3 is not installed (pip install ns3): nothing to compare")
        return 1
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(run(total, seed, keep_trace=True, capture=True, digest=True))
        theirs.append(run_ns3(total, seed))
    digests = {r["digest"] for r in ours}
    a = ours[0]
    print(
        f"simnet: {a['packets']:,} packets, {a['received']:,} bytes, {a['records']:,} trace "
        f"records digested (digest {a['digest'][:16]}, same in every run: {len(digests) == 1})"
    )
    print(f"ns-3:   {counted['packets']:,} packets, {theirs[0]['received']:,} bytes")
    for clock in ("wall", "cpu"):
        best_a = min(r[clock] for r in ours)
        best_b = min(r[clock] for r in theirs)
        pps_a = a["packets"] / best_a
        pps_b = counted["packets"] / best_b
        runs_a = ", ".join(f"{r[clock]:.4f}" for r in ours)
        runs_b = ", ".join(f"{r[clock]:.4f}" for r in theirs)
        print(f"{clock} clock:")
        print(f"  simnet (full trace) {best_a:.4f} s  {pps_a:9,.0f} packets/s  (runs {runs_a})")
        print(f"  ns-3 3.44           {best_b:.4f} s  {pps_b:9,.0f} packets/s  (runs {runs_b})")
        print(f"  simnet / ns-3 packets per second: {pps_a / pps_b:.2f}x")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


def _worker(total: int, seed: int, repeat: int) -> int:
    """One side of ``--against``: the workload muted and with full tracing (digest included),
    CPU time of the fastest of ``repeat`` runs each, as one JSON line."""
    import json

    from simnet._build import banner

    out: dict[str, object] = {"simnet": banner()}
    for label, keep in (("muted", False), ("full", True)):
        runs = [
            run(total, seed, keep_trace=keep, capture=keep, digest=keep) for _ in range(repeat)
        ]
        out[label] = min(r["cpu"] for r in runs)
        out["packets"] = runs[0]["packets"]
        if keep:
            out["digest"] = runs[0]["digest"]
    print(json.dumps(out))
    return 0


def against(
    baseline: str | None, total: int, seed: int, rounds: int, repeat: int,
    python: str | None = None,
) -> int:
    """A/B in one run: this script's workload on this tree's simnet and on ``baseline``'s (another
    checkout), alternating fresh processes ``rounds`` times; CPU clock, fastest of each.
    ``python`` instead of ``baseline``: the base side is another interpreter with its own
    installed simnet (e.g. the compiled build's .venv-compiled/bin/python)."""
    import json
    import os
    import subprocess
    from pathlib import Path

    here = str(Path(__file__).resolve().parent.parent)
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if python is not None:  # this interpreter's simnet against the other's
        sides = [("base", python, plain), ("new", sys.executable, plain)]
    else:
        assert baseline is not None
        sides = [("base", sys.executable, {**plain, "PYTHONPATH": baseline}),
                 ("new", sys.executable, {**plain, "PYTHONPATH": here})]
    results: dict[str, list[dict[str, object]]] = {"base": [], "new": []}
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared)")
    for _ in range(rounds):
        for label, exe, env in sides:
            proc = subprocess.run(
                [exe, __file__, "--worker", "--bytes", str(total), "--seed", str(seed),
                 "--repeat", str(repeat)],
                env=env, capture_output=True, text=True, check=True,
                cwd=baseline if label == "base" and baseline else here,
            )
            results[label].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    for label in ("base", "new"):
        rows = results[label]
        muted = min(float(r["muted"]) for r in rows)  # type: ignore[arg-type]
        full = min(float(r["full"]) for r in rows)  # type: ignore[arg-type]
        packets = int(rows[0]["packets"])  # type: ignore[call-overload]
        print(
            f"{label:4} muted {muted * 1000:6.2f} ms ({packets / muted:8,.0f} packets/s)   "
            f"full trace + capture + digest {full * 1000:6.2f} ms ({packets / full:8,.0f} "
            f"packets/s)   digest {str(rows[0]['digest'])[:16]}   ({rows[0]['simnet']})"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--bytes", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--profile", action="store_true", help="run under cProfile and print the top functions"
    )
    ap.add_argument(
        "--trace",
        action="store_true",
        help="keep per-packet trace records and digest the trace in the timed part (slower)",
    )
    ap.add_argument(
        "--capture", action="store_true", help="keep pcap capture of the module host on"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs (same seed, identical simulation); the fastest wall time is reported, "
        "as timeit does, because the machine is shared",
    )
    ap.add_argument(
        "--ns3",
        action="store_true",
        help="compare with the ns-3 wheel on the same workload (full tracing on here)",
    )
    ap.add_argument(
        "--against", metavar="DIR", help="A/B (CPU clock) against another simnet checkout"
    )
    ap.add_argument(
        "--against-python", metavar="PYTHON",
        help="A/B (CPU clock) against another interpreter's installed simnet "
        "(e.g. .venv-compiled/bin/python: the compiled build)",
    )
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds for --against")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return _worker(args.bytes, args.seed, max(1, args.repeat))
    from simnet._build import banner

    print(banner())
    if args.against or args.against_python:
        return against(args.against, args.bytes, args.seed, args.rounds, max(1, args.repeat),
                       args.against_python)
    if args.ns3:
        return compare_ns3(args.bytes, args.seed, max(1, args.repeat))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        res = run(
            args.bytes, args.seed, keep_trace=args.trace, capture=args.capture, digest=args.trace
        )
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    else:
        runs = [
            run(
                args.bytes, args.seed, keep_trace=args.trace, capture=args.capture,
                digest=args.trace,
            )
            for _ in range(max(1, args.repeat))
        ]
        res = min(runs, key=lambda r: r["wall"])
        if len(runs) > 1:
            print("wall times           " + ", ".join(f"{r['wall']:.4f}" for r in runs) + " s")
    print(f"bytes delivered      {res['received']:,}")
    print(f"virtual time         {res['virtual']:.3f} s")
    print(f"wall time            {res['wall']:.3f} s")
    print(f"packets (end to end) {res['packets']:,}  ({res['hops']:,} link hops)")
    print(f"sender timeouts/fast retransmits {res['retransmits']}")
    print(
        f"packets / wall s     {res['packets'] / res['wall']:,.0f}  "
        f"({res['hops'] / res['wall']:,.0f} hops / s)"
    )
    print(f"virtual / wall       {res['virtual'] / res['wall']:,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
