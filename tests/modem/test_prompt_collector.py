"""PromptCollector (sans-IO) against a byte-by-byte reference written from the PromptSpec rules."""

from hypothesis import given
from hypothesis import strategies as st

from simnet.modem.dialect import CTRL_Z, ESC, ETX, PromptSpec
from simnet.modem.module import PromptCollector


def reference(spec: PromptSpec, data: bytes):
    """One byte at a time: escape -> literal next; terminator/cancel end; length/max_len end."""
    buf = bytearray()
    escaped = False
    for i, b in enumerate(data):
        if spec.length is not None:
            buf.append(b)
            if len(buf) == spec.length:
                return bytes(buf), "length", i + 1
            continue
        if escaped:
            escaped = False
            buf.append(b)
        elif spec.escape is not None and b == spec.escape:
            escaped = True
            continue
        elif spec.terminator is not None and b == spec.terminator:
            return bytes(buf), "terminator", i + 1
        elif spec.cancel is not None and b == spec.cancel:
            return bytes(buf), "cancel", i + 1
        else:
            buf.append(b)
        if len(buf) >= spec.max_len:
            return bytes(buf), "full", i + 1
    return None


specs = st.one_of(
    st.builds(
        PromptSpec,
        terminator=st.just(CTRL_Z),
        cancel=st.just(ESC),
        escape=st.sampled_from([None, ETX]),
        max_len=st.integers(1, 60),
    ),
    st.builds(
        PromptSpec, terminator=st.just(None), cancel=st.just(None), length=st.integers(1, 60)
    ),
    st.builds(
        PromptSpec, terminator=st.just(CTRL_Z), cancel=st.just(None), max_len=st.integers(1, 60)
    ),
)
small_bytes = st.binary(max_size=120).map(
    lambda b: bytes(x if x % 7 else (CTRL_Z, ESC, ETX)[x % 3] for x in b)
)


@given(specs, small_bytes, st.lists(st.integers(1, 30), max_size=10))
def test_collector_matches_reference_for_any_chunking(spec, data, cuts):
    want = reference(spec, data)
    collector = PromptCollector(spec)
    pos = 0
    pieces = []
    for c in cuts:
        pieces.append(data[pos : pos + c])
        pos += c
    pieces.append(data[pos:])
    consumed = 0
    got = None
    for piece in pieces:
        while piece and got is None:
            result, used = collector.feed(piece)
            assert 0 < used <= len(piece)
            consumed += used
            piece = piece[used:]
            if result is not None:
                got = (result.data, result.reason, consumed)
        if got is not None:
            break
    assert got == want


@given(st.binary(max_size=200), st.lists(st.integers(1, 20), max_size=10))
def test_framed_stream_round_trip(payload, cuts):
    """escape_stream + FramedStreamDecoder give back the payload for any chunking."""
    from simnet.modem.dialect import DLE, FramedStreamDecoder, escape_stream

    wire = escape_stream(payload, bytes((ETX,)), DLE) + bytes((ETX,)) + b"after"
    dec = FramedStreamDecoder(ETX, DLE)
    got = bytearray()
    pos = 0
    for c in [*cuts, len(wire)]:
        piece = wire[pos : pos + c]
        out, ended, used = dec.feed(piece)
        got += out
        pos += used
        if ended:
            break
    assert bytes(got) == payload
    assert wire[pos:] == b"after"
