"""The trace's cheap paths must write exactly what the general JSON encoder writes.

A canonical line is defined as ``json`` with sorted keys and no spaces over the record's JSON
object (``TraceRecord.to_json_obj``); the digest is SHA-256 over those lines. The trace formats
lines from per-shape templates and builds packet records lazily; these tests compare both with
the definition, computed here with the standard library alone."""

from __future__ import annotations

import hashlib
import io
import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simnet
from simnet.kernel import Simulation
from simnet.kernel.trace import Trace, TraceConfig, TraceRecord, canonical_line, json_time
from simnet.net import Network
from simnet.net.packet import PACKET_RX, PACKET_TX, PROTO_ICMP, PROTO_TCP, PROTO_UDP, Packet


def reference_line(rec: TraceRecord) -> str:
    return json.dumps(rec.to_json_obj(), sort_keys=True, separators=(",", ":"))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.binary(max_size=8),
    st.binary(max_size=8).map(bytearray),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
names = st.one_of(
    st.sampled_from(["ev", "pkt", "data", "t", "kind", "source", "a", "Z", "é", '"', "{0}"]),
    st.text(max_size=6),
)
times = st.one_of(
    st.just(0),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.sampled_from([0.1 + 0.2, 1e-10, 12.3456789012, math.inf]),
)


@settings(max_examples=400, deadline=None)
@given(
    t=times,
    source=st.text(max_size=8),
    kind=st.text(max_size=8),
    fields=st.dictionaries(names, values, max_size=5),
)
def test_canonical_line_is_the_sorted_json_of_the_record(t, source, kind, fields):
    rec = TraceRecord(t, source, kind, fields)
    assert canonical_line(rec) == reference_line(rec)
    assert canonical_line(rec) == reference_line(rec)  # the cached template too


class Label(str):
    pass


def test_unusual_values_take_the_general_path_with_the_same_text():
    for rec in (
        TraceRecord(1.5, Label("src"), "k", {"x": 1}),
        TraceRecord(2, "s", "k", {"x": Label("v")}),
        TraceRecord(0.25, "s", "k", {"x": (1, 2.000000000001, b"\x00")}),
        TraceRecord(3.0, "s", "k", {"x": range(2)}),
        TraceRecord(True, "s", "k", {}),
    ):
        assert canonical_line(rec) == reference_line(rec)


def packets():
    return [
        Packet(
            "10.64.0.2",
            "203.0.113.80",
            PROTO_TCP,
            sport=49152,
            dport=5001,
            seq=1,
            ack=7,
            flags=0x12,
            window=65535,
            payload=b"x" * 10,
            options={"mss": 1400},
        ),
        Packet("10.64.0.2", "203.0.113.80", PROTO_TCP, sport=1, dport=2, flags=0x1FF, payload=b""),
        Packet("203.0.113.80", "10.64.0.2", PROTO_UDP, sport=53, dport=1000, payload=b"abc"),
        Packet("10.64.0.1", "10.64.0.2", PROTO_ICMP, icmp_type=3, icmp_code=1),
        Packet('a"b\u00e9', "c", PROTO_TCP, sport=5, dport=6),
    ]


def test_lazy_packet_records_read_digest_and_export_like_built_ones():
    lazy, built = Trace(), Trace()
    for i, pkt in enumerate(packets()):
        for which in (PACKET_TX, PACKET_RX):
            lazy.record_lazy(i * 0.1, f"m{i}.uplink", "pkt", which, pkt)
            built.record(i * 0.1, f"m{i}.uplink", "pkt", {"ev": which.ev, "pkt": pkt.summary()})
    assert lazy.digest() == built.digest()
    assert list(lazy.records) == list(built.records)
    out = io.StringIO()
    lazy.to_jsonl(out)
    assert hashlib.sha256(out.getvalue().encode()).hexdigest() == lazy.digest()
    assert out.getvalue() == "".join(reference_line(r) + "\n" for r in built.records)


def test_packet_lines_stay_exact_past_the_summary_memo_bound():
    # A lost packet has a tx record and no rx record, so its remembered summary is never
    # taken back: past the memo's bound the memo is emptied, and every line still matches.
    lazy, built = Trace(), Trace()
    base = packets()[0]
    for i in range(9000):
        pkt = base.copy()
        pkt.seq = i
        lazy.record_lazy(i * 0.01, "m.uplink", "pkt", PACKET_TX, pkt)
        built.record(i * 0.01, "m.uplink", "pkt", {"ev": "tx", "pkt": pkt.summary()})
        if i % 3 == 0:  # two of three lost on the way
            lazy.record_lazy(i * 0.01 + 1, "m.uplink", "pkt", PACKET_RX, pkt)
            built.record(i * 0.01 + 1, "m.uplink", "pkt", {"ev": "rx", "pkt": pkt.summary()})
    assert lazy.digest() == built.digest()


def test_a_sink_sees_lazy_records_built_and_only_the_kinds_it_asked_for():
    trace = Trace()
    seen, pkts = [], []
    trace.add_sink(seen.append, kinds={"state"})
    trace.record_lazy(1.0, "l", "pkt", PACKET_TX, packets()[0])
    trace.record(1.0, "x", "state", {"to": "up"})
    assert [r.kind for r in seen] == ["state"]
    trace.add_sink(pkts.append)
    trace.record_lazy(2.0, "l", "pkt", PACKET_RX, packets()[2])
    assert pkts == [TraceRecord(2.0, "l", "pkt", {"ev": "rx", "pkt": packets()[2].summary()})]
    assert [r.kind for r in trace.records] == ["pkt", "state", "pkt"]


def test_bounded_traces_digest_the_same_bytes_in_batches():
    def fill(trace: Trace) -> Trace:
        for i in range(5000):
            if i % 3:
                trace.record_lazy(i / 7, "l", "pkt", PACKET_TX, packets()[i % 5])
            else:
                trace.record(i / 7, "s", "tick", {"i": i, "b": b"\x01" * (i % 4)})
        return trace

    full = fill(Trace())
    lines = "".join(reference_line(r) + "\n" for r in full.records)
    want = hashlib.sha256(lines.encode()).hexdigest()
    assert full.digest() == want
    for trace in (
        Trace(config=TraceConfig(ring=100)),
        Trace(config=TraceConfig(level="no-packets")),
        Trace(keep=False),
    ):
        fill(trace)
        assert trace.digest() == want
    ring = fill(Trace(config=TraceConfig(ring=100)))
    assert list(ring.records) == list(full.records)[-100:]
    events = fill(Trace(config=TraceConfig(level="no-packets")))
    assert list(events.records) == [r for r in full.records if r.kind != "pkt"]


def test_a_stream_opened_midway_carries_the_rest_and_the_digest_everything(tmp_path):
    trace = Trace()
    trace.record(0.5, "s", "a", {"i": 1})
    path = tmp_path / "t.jsonl"
    trace.stream_to(str(path))
    trace.record_lazy(1.0, "l", "pkt", PACKET_TX, packets()[1])
    assert path.read_text() == "" or path.read_text().count("\n") <= 1
    trace.close()
    rec_a = TraceRecord(0.5, "s", "a", {"i": 1})
    rec_b = TraceRecord(1.0, "l", "pkt", {"ev": "tx", "pkt": packets()[1].summary()})
    assert path.read_text() == reference_line(rec_b) + "\n"
    both = (reference_line(rec_a) + "\n" + reference_line(rec_b) + "\n").encode()
    assert trace.digest() == hashlib.sha256(both).hexdigest()


def test_a_packet_keeps_what_each_link_carried_across_the_nat():
    sim = Simulation(3)
    net = Network(sim)
    srv = net.add_host("srv", "203.0.113.80")
    mod = net.add_module_host("m1")
    mod.interface_up("10.64.0.2")
    srv.tcp_listen(80, lambda sock: None)
    mod.tcp_connect("203.0.113.80", 80)
    sim.run(until=5)
    syn_up = next(r for r in sim.trace.records if r.source == "m1.uplink" and r.kind == "pkt")
    syn_srv = next(r for r in sim.trace.records if r.source == "srv.downlink" and r.kind == "pkt")
    assert syn_up.fields["pkt"].startswith("TCP 10.64.0.2:")
    assert syn_srv.fields["pkt"].startswith("TCP 198.51.100.1:")
    (_, sent), *_ = net.pcap.packets("m1")
    assert (sent.src, sent.ttl) == ("10.64.0.2", 64)  # the module's capture: as it sent it


@pytest.mark.skipif(
    simnet.compiled, reason="a compiled Packet refuses fields of other types than annotated"
)
def test_packet_lines_of_odd_field_types_match_their_summaries():
    # The TCP line is made in pieces for the plain types; anything else (floats equal to an
    # int, strings needing JSON escapes) must still give exactly json(summary()).
    odd = [
        Packet("10.0.0.1", "10.0.0.2", PROTO_TCP, sport=5, dport=6, seq=1),
        Packet("10.0.0.1", "10.0.0.2", PROTO_TCP, sport=5.0, dport=6, seq=1),  # type: ignore[arg-type]
        Packet("10.0.0.1", "10.0.0.2", PROTO_TCP, sport=True, dport=6),  # type: ignore[arg-type]
        Packet("10.0.0.1", "10.0.0.2", PROTO_TCP, sport=1, dport=6, window='w"\\'),  # type: ignore[arg-type]
        Packet("1\u00e9\n", "10.0.0.2", PROTO_TCP, sport=5, dport=6, seq=2**40),
    ]
    lazy, built = Trace(), Trace()
    for i, pkt in enumerate(odd):
        for which in (PACKET_TX, PACKET_RX):
            lazy.record_lazy(i + 0.5, "l", "pkt", which, pkt)
            built.record(i + 0.5, "l", "pkt", {"ev": which.ev, "pkt": pkt.summary()})
    assert lazy.digest() == built.digest()  # first: the lazy entries' own lines
    out = io.StringIO()
    lazy.to_jsonl(out)
    assert out.getvalue() == "".join(reference_line(r) + "\n" for r in built.records)


def test_summary_counts_lazy_records_without_building_them():
    # A run's report asks for the summary before the digest: counting must leave packet
    # records lazy (the digest then formats them by their cheap path, same bytes).
    trace = Trace()
    for i, pkt in enumerate(packets()):
        trace.record_lazy(i * 0.5, "m.uplink", "pkt", PACKET_TX, pkt)
    trace.record(9.0, "x", "note", {"a": 1})
    summary = trace.summary()
    assert summary["records"] == summary["in_memory"] == len(packets()) + 1
    assert summary["not_kept"] == 0
    # lazy entries are (t, source, kind, LazyFields, arg) tuples until read
    assert sum(type(e) is tuple and len(e) == 5 for e in trace._log) == len(packets())
    assert all(isinstance(r, TraceRecord) for r in trace.records)  # reading builds them all


@settings(max_examples=3000, deadline=None)
@given(
    t=st.one_of(
        st.floats(min_value=0, max_value=2e6, allow_nan=False),
        st.integers(min_value=0, max_value=10**15).map(lambda n: n / 1e9),
        st.integers(min_value=0, max_value=10**9).map(lambda n: (n + 0.5) / 1e9),  # ties
        st.floats(min_value=1e-6, max_value=1e-3),
    )
)
def test_json_time_is_the_json_of_the_rounded_time(t):
    assert json_time(t) == json.dumps(round(t, 9))


def test_json_time_near_halves_and_clock_sums():
    # json_time takes t * 1e9's integer when its fraction is clearly off a half: check the
    # values next to halves (a few ulps either side) and clock-like sums against round()
    rng = random.Random(18)
    values = []
    for _ in range(20_000):
        k = rng.randrange(10**5, 10**15)
        half = (k + 0.5) / 1e9
        values.append(half)
        lo = hi = half
        for _step in range(3):
            lo, hi = math.nextafter(lo, 0.0), math.nextafter(hi, math.inf)
            values += [lo, hi]
        values.append(rng.uniform(1e-4, 1e6))
    clock = 0.0
    for _ in range(20_000):
        clock += rng.choice((0.3, 0.0256, 0.001, 1 / 3, 300.0, rng.uniform(0, 2)))
        values.append(clock)
    for t in values:
        assert json_time(t) == json.dumps(round(t, 9)), t


def test_tcp_socket_records_read_digest_and_export_like_built_ones():
    # tcp_state / tcp_closed are lazy (SocketRecords): their lines, records and digest are
    # those of the same records given as dicts, odd names and states included
    from simnet.net.tcp import SocketRecords
    from simnet.net.tcp_engine import TcpState
    from simnet.net.tcp_events import Closed, StateChanged

    lazy, built = Trace(), Trace()
    t = 0.0
    for name in ("10.64.0.2:49152>203.0.113.50:9000", 'a"b\u00e9>c', ""):
        records = SocketRecords(name)
        for old, new in ((TcpState.CLOSED, TcpState.SYN_SENT), ("X", Label("Y"))):
            t += 0.1 + 0.2
            for source in ("tcp.dev1", "tcp.é"):
                lazy.record_lazy(t, source, "tcp_state", records, StateChanged(old, new))
                built.record(t, source, "tcp_state", {"conn": name, "old": old, "new": new})
        lazy.record_lazy(t, "tcp.dev1", "tcp_closed", records, Closed("reset"))
        built.record(t, "tcp.dev1", "tcp_closed", {"conn": name, "reason": "reset"})
        lazy.record_lazy(t, "tcp.dev1", "odd", records, Closed("x"))  # another kind: general
        built.record(t, "tcp.dev1", "odd", {"conn": name, "reason": "x"})
    assert lazy.digest() == built.digest()
    assert list(lazy.records) == list(built.records)
    out = io.StringIO()
    lazy.to_jsonl(out)
    assert out.getvalue() == "".join(reference_line(r) + "\n" for r in built.records)


@pytest.mark.parametrize("ring", [None, 700])
def test_export_writes_every_kept_record_once_across_batch_boundaries(ring):
    # 3 batches and a part (the export writes _BATCH records at a time); a ring keeps the last
    # 700, so the export starts mid-run and ends on a partial batch
    from simnet.kernel.trace import _BATCH

    trace = Trace(config=TraceConfig(ring=ring))
    n = 3 * _BATCH + 7
    for i in range(n):
        trace.record(i * 0.001, "m.uart", "dte>", {"n": i})
    out = io.StringIO()
    trace.to_jsonl(out)
    kept = range(n - ring, n) if ring else range(n)
    assert [json.loads(line)["n"] for line in out.getvalue().splitlines()] == list(kept)
    assert out.getvalue() == "".join(reference_line(r) + "\n" for r in trace.records)
