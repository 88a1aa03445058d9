"""Benchmark (not a test): bytes through a module against the raw network stack, same run.

For each module and data mode, N bytes go up (host -> module -> radio -> NAT -> server) and
down (server -> ... -> module -> UART -> host) through the whole stack: UART at 921,600 baud,
AT engine, dialect, the module's TCP, a 2 Mbit/s radio link with 50 ms delay, the carrier NAT.
The same transfer over the raw stack (a module host's own TCP socket, same links, no module) is
run interleaved with it (A, B, A, B ...) so both see the same machine load. Full tracing is on
in both (every UART burst and every packet is a trace record).

Reported per case: wall seconds (best of --repeat), radio packets (IP packets on the module's
radio link, both directions), wall microseconds per radio packet, and the ratio module / raw.
Linearity: the per-byte cost of 10 MB against 1 MB (1.00 = linear).

    .venv/bin/python bench/module_path.py [--sizes 1000000,10000000] [--repeat 3] [--cases ...]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import simnet
from simnet.kernel import Simulation
from simnet.net import Network
from simnet.net.tcp import TcpSocket

SERVER_IP = "203.0.113.80"
LINK = {"delay": 0.05, "rate": "2Mbps"}
BAUD = 921600
CHUNK = bytes(range(256)) * 64  # 16 KiB of every byte value, reused
CLOCK = time.perf_counter  # --cpu: time.process_time (CPU seconds: other jobs do not inflate them)


def world(module: str, direction: str, size: int, close: bool = True) -> Any:
    service = ({"type": "tcp-sink", "port": 9000} if direction == "up" else
               {"type": "tcp-source", "port": 9000, "bytes": size, "content": "pattern",
                "pattern": "0123456789ABCDEF", "close": close})
    return simnet.Simulation.from_dict({
        "name": f"{module} {direction}", "module": module, "uart": {"baud": BAUD},
        "network": {"registration": {"state": "home", "after": "0s"}, "link": LINK,
                    "pdp": {"activation_delay": "0.5s"}},
        "hosts": {"srv.example.net": {"ip": SERVER_IP, "services": [service]}},
    })


def radio_packets(sim: Any) -> int:
    link = sim.network.link("module")
    return link.uplink.packets_sent + link.downlink.packets_sent


def sink_bytes(sim: Any) -> int:
    return sim.host("srv.example.net").bytes_received(service="tcp-sink")


def source_sent(sim: Any) -> int:
    return sim.host("srv.example.net").services()[0]["bytes_sent"]


def quiet_after(sim: Any, size: int) -> Callable[[], bool]:
    """Done once the server has sent everything and the UART has been quiet for a second (the
    push formats carry headers, so byte counts at the host do not say when the payload is in)."""
    last = [-1, 0.0]

    def done() -> bool:
        n = sim.dte.bytes_received
        if n != last[0]:
            last[0], last[1] = n, sim.now
        return source_sent(sim) >= size and sim.now - last[1] >= 1.0 and n >= size

    return done


def start_transfer(sim: Any) -> None:
    """The connection is open: the measured part starts here."""
    sim.bench_t0 = CLOCK()
    sim.bench_packets0 = radio_packets(sim)


def drain(sim: Any, until: Callable[[], bool], step: float = 0.5, limit: float = 1e5,
          read: bool = True) -> None:
    """Let time pass while the host reads what arrives (as a driver would) until ``until()``."""
    dte = sim.dte
    end = sim.now + limit
    while not until():
        if sim.now >= end:
            raise RuntimeError(f"transfer not done after {limit:g} virtual seconds")
        dte.wait(step)
        if read:
            dte.read_available()


# -- SIMCom SIM7600 ----------------------------------------------------------------------------
def simcom_open(sim: Any, transparent: bool) -> None:
    dte = sim.dte
    if transparent:
        assert dte.command("AT+CIPMODE=1").ok
    assert dte.command("AT+NETOPEN").ok
    dte.expect(r"\+NETOPEN: 0", 30)
    dte.write(f'AT+CIPOPEN=0,"TCP","{SERVER_IP}",9000\r')
    dte.expect(r"CONNECT 921600\r\n" if transparent else r"\+CIPOPEN: 0,0", 30)


def simcom_transparent(sim: Any, direction: str, size: int) -> None:
    if direction == "up":
        hardware_flow_control(sim)
    simcom_open(sim, transparent=True)
    start_transfer(sim)
    if direction == "up":
        sent = 0
        while sent < size:
            n = min(len(CHUNK), size - sent)
            sim.dte.write(CHUNK[:n])
            sent += n
        drain(sim, lambda: sink_bytes(sim) >= size)
    else:
        got = [0]

        def done() -> bool:
            got[0] += len(sim.dte.read_available())
            return got[0] >= size

        drain(sim, done, read=False)


def simcom_push(sim: Any, direction: str, size: int) -> None:
    assert sim.dte.command("ATE0").ok  # as drivers do: no echo of the data after ">"
    simcom_open(sim, transparent=False)
    start_transfer(sim)
    dte = sim.dte
    if direction == "up":
        sent = 0
        while sent < size:
            n = min(1460, size - sent)
            dte.write(f"AT+CIPSEND=0,{n}\r")
            dte.expect(">", 30)
            dte.write(CHUNK[:n])
            dte.expect(rf"\+CIPSEND: 0,{n},{n}\r\n", 60)
            sent += n
        drain(sim, lambda: sink_bytes(sim) >= size)
    else:
        drain(sim, quiet_after(sim, size), read=False)


# -- Fibocom L610 ------------------------------------------------------------------------------
def fibocom_call(sim: Any) -> None:
    dte = sim.dte
    dte.write('AT+MIPCALL=1,"internet"\r')
    dte.expect(r"\+MIPCALL: \d+\.\d+\.\d+\.\d+", 30)


def hardware_flow_control(sim: Any) -> None:
    """A bulk upload needs RTS/CTS, as on a real module: without it the module's receive
    buffer overflows (and says so: rx_overflow)."""
    assert sim.dte.command("AT+IFC=2,2").ok
    sim.dte.rtscts = True


def fibocom_odm(sim: Any, direction: str, size: int) -> None:
    fibocom_call(sim)
    dte = sim.dte
    if direction == "up":
        hardware_flow_control(sim)
    dte.write(f'AT+MIPODM=1,,"{SERVER_IP}",9000,0\r')
    dte.expect(r"\+MIPODM: 1,1\r\n", 30)
    start_transfer(sim)
    if direction == "up":
        sent = 0
        while sent < size:
            n = min(len(CHUNK), size - sent)
            dte.write(CHUNK[:n])
            sent += n
        drain(sim, lambda: sink_bytes(sim) >= size)
    else:
        got = [0]

        def done() -> bool:
            got[0] += len(dte.read_available())
            return got[0] >= size

        drain(sim, done, read=False)


def fibocom_command(sim: Any, direction: str, size: int) -> None:
    assert sim.dte.command("ATE0").ok  # as drivers do: no echo of 2 KB hex lines
    fibocom_call(sim)
    dte = sim.dte
    dte.write(f'AT+MIPOPEN=1,,"{SERVER_IP}",9000,0\r')
    dte.expect(r"\+MIPOPEN: 1,1\r\n", 30)
    start_transfer(sim)
    if direction == "up":
        sent = 0
        while sent < size:
            n = min(1000, size - sent)
            r = dte.command(f'AT+MIPSEND=1,"{CHUNK[:n].hex().upper()}"', 30)
            assert r.ok, r
            assert dte.command("AT+MIPPUSH=1", 30).ok
            sent += n
        drain(sim, lambda: sink_bytes(sim) >= size)
    else:
        drain(sim, quiet_after(sim, size), read=False)


CASES: dict[str, tuple[str, Callable[[Any, str, int], None]]] = {
    "sim7600-transparent": ("simcom-sim7600", simcom_transparent),
    "sim7600-push": ("simcom-sim7600", simcom_push),
    "l610-odm": ("fibocom-l610", fibocom_odm),
    "l610-command": ("fibocom-l610", fibocom_command),
}


def run_module(case: str, direction: str, size: int) -> tuple[float, int, int]:
    module, fn = CASES[case]
    # Push formats: the source stays open; the host cannot tell from the byte count when the
    # payload is in (headers), so it waits for a quiet line instead of the close.
    sim = world(module, direction, size, close=case.endswith(("transparent", "odm")))
    fn(sim, direction, size)
    wall = CLOCK() - sim.bench_t0
    moved = sink_bytes(sim) if direction == "up" else sim.dte.bytes_received
    assert moved >= size, f"{case} {direction}: {moved} of {size} bytes"
    return wall, radio_packets(sim) - sim.bench_packets0, len(sim.trace)


# -- the raw stack: the same bytes over the same links, a module host's own socket --------------
def run_raw(direction: str, size: int) -> tuple[float, int, int]:
    sim = Simulation(7)
    net = Network(sim)
    srv = net.add_host("srv", SERVER_IP)
    mod = net.add_module_host("module", LINK, LINK)
    mod.interface_up("10.64.0.2", net.dns_ips)
    got = [0]
    finished = sim.event()
    sender_is_module = direction == "up"

    def pump(sock: TcpSocket, sent: list[int] = [0]) -> None:  # noqa: B006 - per-run state below
        while sent[0] < size:
            n = sock.send(CHUNK[: min(len(CHUNK), size - sent[0])])
            if n == 0:
                return
            sent[0] += n
        sock.close()

    def on_data(s: TcpSocket) -> None:
        got[0] += len(s.recv())
        if got[0] >= size and not finished.triggered:
            finished.succeed()

    def on_accept(sock: TcpSocket) -> None:
        if sender_is_module:
            sock.on_data = on_data
        else:
            sent = [0]
            sock.on_writable = lambda s: pump(s, sent)
            pump(sock, sent)

    srv.tcp_listen(9000, on_accept)
    client = mod.tcp_connect(SERVER_IP, 9000)
    if sender_is_module:
        sent = [0]
        client.on_connected = lambda s: pump(s, sent)
        client.on_writable = lambda s: pump(s, sent)
    else:
        client.on_data = on_data
    wall0 = CLOCK()
    sim.run(until=finished)
    wall = CLOCK() - wall0
    link = net.link("module")
    return wall, link.uplink.packets_sent + link.downlink.packets_sent, len(sim.trace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--directions", default="down,up")
    parser.add_argument("--skip", default="", help="case:direction pairs left out")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with the process's CPU clock instead of the wall clock (both sides "
        "of each ratio alike; a loaded machine inflates wall time, not CPU time)",
    )
    args = parser.parse_args(argv)
    from simnet._build import banner

    print(banner())
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    sizes = [int(s) for s in args.sizes.split(",")]
    clock = "CPU" if args.cpu else "wall"
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores shared); {clock} clock")
    print(
        f"{'case':22} {'dir':4} {'bytes':>10} {'wall s':>8} {'packets':>8} {'us/pkt':>8} "
        f"{'raw us/pkt':>10} {'ratio':>6} {'records':>8}"
    )
    per_byte: dict[tuple[str, str], list[float]] = {}
    for case in args.cases.split(","):
        for direction in args.directions.split(","):
            if f"{case}:{direction}" in args.skip.split(","):
                continue
            for size in sizes:
                best_m = best_r = None
                for _ in range(args.repeat):  # interleaved: module, raw, module, raw ...
                    # Each run starts from a collected heap: the worlds of earlier cases (a
                    # 10 MB push upload leaves 110,000 records) otherwise wait for a full
                    # collection and slow whichever case runs next by 10-30 %.
                    gc.collect()
                    m = run_module(case, direction, size)
                    gc.collect()
                    r = run_raw(direction, size)
                    best_m = m if best_m is None or m[0] < best_m[0] else best_m
                    best_r = r if best_r is None or r[0] < best_r[0] else best_r
                assert best_m is not None and best_r is not None
                us_m = best_m[0] / best_m[1] * 1e6
                us_r = best_r[0] / best_r[1] * 1e6
                per_byte.setdefault((case, direction), []).append(best_m[0] / size)
                print(
                    f"{case:22} {direction:4} {size:>10,} {best_m[0]:8.3f} {best_m[1]:>8,} "
                    f"{us_m:8.1f} "
                    f"{us_r:10.1f} {us_m / us_r:6.2f} {best_m[2]:>8,}",
                    flush=True,
                )
    if len(sizes) > 1:
        print("\nlinearity: wall per byte at the largest size / at the smallest (1.00 = linear)")
        for (case, direction), costs in per_byte.items():
            print(f"  {case:22} {direction:4} {costs[-1] / costs[0]:.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
