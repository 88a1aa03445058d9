"""Benchmark (not a test): bytes through a module against the raw network stack, same run.

For each module and data mode, N bytes go up (host -> module -> radio -> NAT -> server) and
down (server -> ... -> module -> UART -> host) through the whole stack: UART at 921,600 baud,
AT engine, dialect, the module's TCP, a 2 Mbit/s radio link with 50 ms delay, the carrier NAT.
The same transfer over the raw stack (a module host's own TCP socket, same links, no module) is
run interleaved with it (A, B, A, B ...) so both see the same machine load. Full tracing is on
in both (every UART burst and every packet is a trace record). Both sides talk to the same
peer service (``tcp-source`` / ``tcp-sink`` of simnet.servers), so the server's own cost per
packet is in both.

``--floor``: downloads in the AT-command receive formats against what their pushes must cost
(:func:`run_push_floor`), AT-command uploads against the floor of their exchanges
(:func:`run_floor`).

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
from simnet.servers import make_service

SERVER_IP = "203.0.113.80"
LINK = {"delay": 0.05, "rate": "2Mbps"}
BAUD = 921600
CHUNK = bytes(range(256)) * 64  # 16 KiB of every byte value, reused
CLOCK = time.perf_counter  # --cpu: time.process_time (CPU seconds: other jobs do not inflate them)


def peer_service(direction: str, size: int, close: bool = True) -> dict[str, Any]:
    """The server's service: a sink for uploads, a source of ``size`` bytes for downloads. The
    raw stack's runs use the same one (the same server code per packet on both sides)."""
    if direction == "up":
        return {"type": "tcp-sink", "port": 9000}
    return {"type": "tcp-source", "port": 9000, "bytes": size, "content": "pattern",
            "pattern": "0123456789ABCDEF", "close": close}


def world(module: str, direction: str, size: int, close: bool = True) -> Any:
    return simnet.Simulation.from_dict({
        "name": f"{module} {direction}", "module": module, "uart": {"baud": BAUD},
        "network": {"registration": {"state": "home", "after": "0s"}, "link": LINK,
                    "pdp": {"activation_delay": "0.5s"}},
        "hosts": {"srv.example.net": {"ip": SERVER_IP,
                                      "services": [peer_service(direction, size, close)]}},
    })


def radio_packets(sim: Any) -> int:
    link = sim.network.link("module")
    return link.uplink.packets_sent + link.downlink.packets_sent


def sink_bytes(sim: Any) -> int:
    return sim.host("srv.example.net").bytes_received(service="tcp-sink")


def quiet_after(sim: Any, size: int) -> Callable[[], bool]:
    """Done once the server has sent everything and the UART has been quiet for a second (the
    push formats carry headers, so byte counts at the host do not say when the payload is in)."""
    last = [-1, 0.0]
    source = sim.host("srv.example.net").service()  # looked up once, not at every check

    def done() -> bool:
        n = sim.dte.bytes_received
        if n != last[0]:
            last[0], last[1] = n, sim.now
        return source.bytes_sent >= size and sim.now - last[1] >= 1.0 and n >= size

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
def raw_world(direction: str, size: int, close: bool = True) -> tuple[Any, Network, Any, Any]:
    """The module's links and the same peer service (:func:`peer_service`), no module: returns
    (sim, network, the module host, the service). The simulation is the class a scenario's
    world runs in (compiled, a call on an interpreted subclass costs more than on the base)."""
    sim = simnet.Simulation(7)
    net = Network(sim)
    srv = net.add_host("srv", SERVER_IP)
    config = peer_service(direction, size, close)
    service = make_service(config.pop("type"), config).attach(sim, srv)
    mod = net.add_module_host("module", LINK, LINK)
    mod.interface_up("10.64.0.2", net.dns_ips)
    return sim, net, mod, service


def run_raw(direction: str, size: int, write: int = len(CHUNK)) -> tuple[float, int, int]:
    """``size`` bytes between the module host's own TCP socket and the server's service: down,
    the socket reads whatever arrives; up, it writes ``write`` bytes per send as the window
    opens, until the sink has them all."""
    sim, net, mod, service = raw_world(direction, size)
    got = [0]
    finished = sim.event()
    client = mod.tcp_connect(SERVER_IP, 9000)
    if direction == "up":
        sent = [0]

        def pump(sock: TcpSocket) -> None:
            while sent[0] < size:
                n = sock.send(CHUNK[: min(write, size - sent[0])])
                if n == 0:
                    return
                sent[0] += n

        def acked(_sock: TcpSocket, _n: int = 0) -> None:
            if service.bytes_received >= size and not finished.triggered:
                finished.succeed()

        client.on_connected = pump
        client.on_writable = pump
        client.on_acked = acked
    else:

        def on_data(s: TcpSocket) -> None:
            got[0] += len(s.recv())
            if got[0] >= size and not finished.triggered:
                finished.succeed()

        client.on_data = on_data
    wall0 = CLOCK()
    sim.run(until=finished)
    wall = CLOCK() - wall0
    link = net.link("module")
    return wall, link.uplink.packets_sent + link.downlink.packets_sent, len(sim.trace)


# -- the floor of an AT-command upload ------------------------------------------------------------
# What one exchange must do whatever the code that does it: the UART bursts of the line, the
# trace records the model writes for it (all in the digests), the kernel's own queue entries
# for the line's start, its latency wait and the prompt, and the network's packets. Bursts as
# the module writes them (ATE0), per exchange: (sender, bytes, the module's records once they
# have arrived, before the next step). SIM7600: AT+CIPSEND=0,1460 / > / 1,460 bytes / OK +
# +CIPSEND URC; L610: AT+MIPSEND with 2,000 hex digits / +MIPSEND + OK / AT+MIPPUSH /
# +MIPPUSH + OK. tests/bench/test_module_path_floor.py holds them to what the module writes.
FloorStep = tuple[str, tuple[bytes, ...], tuple[tuple[str, dict[str, Any]], ...]]
_OK_RESULT: dict[str, Any] = {"result": "OK", "code": None, "text": ""}
_MIPSEND = CHUNK[:1000].hex().upper()
FLOOR: dict[str, tuple[int, int, tuple[FloorStep, ...]]] = {
    # case: (payload bytes an exchange, kernel entries besides the bursts, steps)
    "sim7600-push": (1460, 4, (
        ("dte", (b"AT+CIPSEND=0,1460\r",),
         (("command", {"line": "+CIPSEND=0,1460"}), ("prompt", {"length": 1460}))),
        ("dce", (b"\r\n>",), ()),
        ("dte", (CHUNK[:1460],), (
            ("prompt_end", {"reason": "length", "n": 1460}),
            ("urc_queued", {"text": "+CIPSEND: 0,1460,1460"}),
            ("result", _OK_RESULT),
        )),
        ("dce", (b"\r\nOK\r\n", b"\r\n+CIPSEND: 0,1460,1460\r\n"), ()),
    )),
    "l610-command": (1000, 4, (
        ("dte", (f'AT+MIPSEND=1,"{_MIPSEND}"\r'.encode(),),
         (("command", {"line": f'+MIPSEND=1,"{_MIPSEND}"'}), ("result", _OK_RESULT))),
        ("dce", (b"\r\n+MIPSEND: 1,0,1048\r\n", b"\r\nOK\r\n"), ()),
        ("dte", (b"AT+MIPPUSH=1\r",),
         (("command", {"line": "+MIPPUSH=1"}), ("result", _OK_RESULT))),
        ("dce", (b"\r\n+MIPPUSH: 1,0,1000\r\n", b"\r\nOK\r\n"), ()),
    )),
}  # fmt: skip


def run_floor(case: str, size: int, host_waits: bool) -> tuple[float, int, int]:
    """The mandatory part of ``size`` bytes of ``case``'s upload exchanges, alone: the bursts on
    a real UART (its timers, deliveries and ``dte>``/``dte<`` records) with receivers that do
    nothing but start the next step, the model's other records of the exchange, and one
    kernel timer entry for each of its other queue entries. ``host_waits``: the host side waits
    for each answer with ``run_until`` (as a driver on the DTE does), else one run does it all.
    Returns (seconds, exchanges, records)."""
    from simnet.modem.uart import Uart, UartConfig

    payload, entries, steps = FLOOR[case]
    exchanges = -(-size // payload)
    sim = Simulation(7)
    uart = Uart(sim, UartConfig(baud=BAUD), name="modem.uart")
    trace, env = sim.trace, sim.env
    ports = {"dte": uart.dte, "dce": uart.dce}
    state = {"exchange": 0, "step": 0, "arrived": 0}

    def nothing() -> None:
        pass

    def start_step() -> None:
        sender, bursts, _records = steps[state["step"]]
        state["arrived"] = 0
        port = ports[sender]
        for burst in bursts:
            port.write(burst)

    def on_receive(_data: bytes, _t: float, _bt: float) -> None:
        _sender, bursts, records = steps[state["step"]]
        state["arrived"] += 1
        if state["arrived"] < len(bursts):
            return
        for kind, fields in records:  # the module took it in: what it records, then answers
            trace.record(env._now, "modem", kind, dict(fields))
        state["step"] += 1
        if state["step"] == len(steps):
            state["step"] = 0
            state["exchange"] += 1
            if state["exchange"] == exchanges:
                return
            for _ in range(entries):
                sim.call_later(0.0, nothing)
        if not host_waits:
            start_step()

    uart.dte.on_receive = on_receive
    uart.dce.on_receive = on_receive
    t0 = CLOCK()
    for _ in range(entries):
        sim.call_later(0.0, nothing)
    if not host_waits:
        start_step()
        sim.run()
    else:
        while state["exchange"] < exchanges:
            step = state["step"], state["exchange"]
            start_step()
            sim.run_until(lambda step=step: (state["step"], state["exchange"]) != step, 60.0)
    return CLOCK() - t0, exchanges, len(sim.trace)


# -- the floor of a pushed download ----------------------------------------------------------
# What a download in an AT-command receive format must do whatever the code that does it: the
# network's packets with the same peer service (the raw stack's run), the module taking from
# its socket only what the UART can carry now and writing each piece with its header, as the
# module does (the piece sizes are in the trace: they are in the bytes), one kernel timer
# entry for each wait for UART room, the bursts on a real Uart with their ``dte<`` records,
# the model's other records (the L610's ``urc`` record of each line), and a host that keeps
# the bytes. Nothing else: no AT engine, no dialect, no host-side framing or decoding.
# tests/bench/test_module_path_floor.py holds its bursts and records to the module's.
PUSH_FLOOR_CASES = ("sim7600-push", "l610-command")
SIMCOM_PUSH_RETRY = 0.010  # s: the SIM7600's wait for UART room (simcom dialect PUSH_RETRY)
SIMCOM_PUSH_MAX = 1500  # bytes a push at most (S76 L1106 note 2), 64 kept for its header
L610_PIECE = 2048  # +MIPDSETS <size> default (L610 §1.1.5.4), hex: 2 digits a byte
L610_HEADER = 64  # room kept for the +MIPRTCP header (fibocom dialect RX_URC_HEADER)


def run_push_floor(case: str, size: int) -> tuple[float, int, int, Any]:
    """The floor of ``size`` bytes of ``case``'s download (see above), timed alone. Returns
    (seconds, radio packets, records, the simulation)."""
    from simnet.modem.uart import Uart, UartConfig

    sim, net, mod, _service = raw_world("down", size, close=False)  # as the push cases' source
    uart = Uart(sim, UartConfig(baud=BAUD), name="modem.uart")
    trace, env, port = sim.trace, sim.env, uart.dce
    kept: list[bytes] = []  # the host keeps every burst (a list: no growing buffer to copy)
    pushed = [0]  # payload bytes written to the UART
    finished = sim.event()

    def host(data: bytes, _t: float, _bt: float) -> None:
        kept.append(data)
        if pushed[0] >= size and port.idle and not finished.triggered:
            finished.succeed()

    uart.dte.on_receive = host
    sock = mod.tcp_connect(SERVER_IP, 9000)
    waiting: list[Any] = [None]  # the timer of a wait for room

    def resume() -> None:
        waiting[0] = None
        push(sock)

    if case == "sim7600-push":
        prefix = f"\r\nRECV FROM:{SERVER_IP}:9000\r\n+IPD".encode()

        def push(sock: TcpSocket) -> None:
            while sock.readable:
                room = port.space - 64
                if room <= 0:
                    if waiting[0] is None:
                        waiting[0] = sim.call_later(SIMCOM_PUSH_RETRY, resume)
                    return
                data = sock.recv(SIMCOM_PUSH_MAX if room > SIMCOM_PUSH_MAX else room)
                pushed[0] += len(data)
                port.write(b"%b%d\r\n%b" % (prefix, len(data), data))

    else:

        def push(sock: TcpSocket) -> None:
            if waiting[0] is not None:
                return  # the line is draining: resume() comes back
            while sock.readable:
                need = min(2 * min(L610_PIECE, sock.readable) + L610_HEADER, port.capacity)
                space = port.space
                if space < need:
                    wait = max(0.001, (need - space) * port.byte_time())
                    waiting[0] = sim.call_later(wait, resume)
                    return
                data = sock.recv(L610_PIECE)
                pushed[0] += len(data)
                text = f"+MIPRTCP: 1,{sock.readable},{data.hex().upper()}"
                port.write(b"\r\n%b\r\n" % text.encode())
                trace.record(env._now, "modem", "urc", {"text": text})

    sock.on_data = push
    t0 = CLOCK()
    sim.run(until=finished)
    seconds = CLOCK() - t0
    link = net.link("module")
    return seconds, link.uplink.packets_sent + link.downlink.packets_sent, len(sim.trace), sim


def collected(run: Callable[..., Any], *args: Any) -> Any:
    """``run(*args)`` from a collected heap (an earlier run's world otherwise waits for a full
    collection that slows the next run)."""
    gc.collect()
    return run(*args)


def push_floor_report(cases: list[str], sizes: list[int], repeat: int) -> None:
    """Per download case: the module path, the raw stack and the floor, us a radio packet,
    best of ``repeat``, interleaved."""
    print(
        f"{'case':14} {'bytes':>10} {'module':>8} {'raw':>6} {'2x raw':>7} {'floor':>7} "
        f"{'floor/raw':>9} {'module/floor':>12}   (us a radio packet, downloads)"
    )
    for case in cases:
        for size in sizes:
            best: dict[str, float] = {}
            for _ in range(repeat):
                m = collected(run_module, case, "down", size)
                r = collected(run_raw, "down", size)
                f = collected(run_push_floor, case, size)
                for key, run in (("module", m), ("raw", r), ("floor", f)):
                    best[key] = min(best.get(key, 1e9), run[0] / run[1] * 1e6)
            print(
                f"{case:14} {size:>10,} {best['module']:8.1f} {best['raw']:6.1f} "
                f"{2 * best['raw']:7.1f} {best['floor']:7.1f} {best['floor'] / best['raw']:9.2f} "
                f"{best['module'] / best['floor']:12.2f}",
                flush=True,
            )


def floor_report(cases: list[str], sizes: list[int], repeat: int) -> None:
    """Per AT-command upload case: the module path, the raw stack as the bench compares it,
    the raw stack writing one exchange's bytes per send, and the floor, in CPU (or wall) us a
    radio packet, best of ``repeat``, interleaved."""
    print(
        f"{'case':14} {'bytes':>10} {'module':>8} {'raw':>6} {'2x raw':>7} {'raw/xchg':>8} "
        f"{'floor':>7} {'+waits':>7} {'pkt/xchg':>8}   (us a radio packet)"
    )
    for case in cases:
        for size in sizes:
            best: dict[str, float] = {}
            info: dict[str, float] = {}
            payload = FLOOR[case][0]
            for _ in range(repeat):
                m = collected(run_module, case, "up", size)
                r = collected(run_raw, "up", size)
                rx = collected(run_raw, "up", size, payload)
                f = collected(run_floor, case, size, False)
                fw = collected(run_floor, case, size, True)  # the host waits for each answer
                for key, us in (("module", m[0] / m[1]), ("raw", r[0] / r[1]),
                                ("rawx", rx[0] / rx[1])):
                    best[key] = min(best.get(key, 1e9), us * 1e6)
                per_xchg = rx[1] / f[1]  # radio packets an exchange (the raw socket's, same bytes)
                info["pkts"] = per_xchg
                # the floor of a packet: the exchange's UART/trace/kernel part spread over its
                # packets, plus the network's own cost of a packet written at that size
                for key, run in (("floor", f), ("waits", fw)):
                    us = run[0] / run[1] / per_xchg * 1e6 + rx[0] / rx[1] * 1e6
                    best[key] = min(best.get(key, 1e9), us)
            print(
                f"{case:14} {size:>10,} {best['module']:8.1f} {best['raw']:6.1f} "
                f"{2 * best['raw']:7.1f} {best['rawx']:8.1f} {best['floor']:7.1f} "
                f"{best['waits']:7.1f} {info['pkts']:8.2f}",
                flush=True,
            )


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
    parser.add_argument(
        "--floor",
        action="store_true",
        help="AT-command paths: compare the module path with the floor of what it must do "
        "(an upload's exchanges, a download's pushes: UART bursts, trace records, kernel "
        "entries, network packets alone)",
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
    if args.floor:
        directions = args.directions.split(",")
        if "down" in directions:
            cases = [c for c in args.cases.split(",") if c in PUSH_FLOOR_CASES]
            push_floor_report(cases, sizes, args.repeat)
        if "up" in directions:
            cases = [c for c in args.cases.split(",") if c in FLOOR]
            floor_report(cases, sizes, args.repeat)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        return 0
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
