"""The accumulating buffer (§1.1.4) and the ODM spooler (§1.1.18.1) on their own.

Expected values are worked out from the manual's rules in the comments, not read back from the
code: watermark W pushes W-sized quantities, the countdown restarts on new data and after a push
that leaves a remainder, free size counts from 2048.
"""

from hypothesis import given
from hypothesis import strategies as st

from simnet.modem.vendors.fibocom.buffer import AccumulatingBuffer, OdmSpooler


def test_default_watermark_2048_holds_data_without_timeout():
    buf = AccumulatingBuffer()
    assert buf.write(b"x" * 100, now=0.0)
    assert buf.free == 2048 - 100
    assert buf.deadline is None  # default timeout 0 = no countdown (§1.1.4.4)
    assert buf.unsent_len == 0


def test_watermark_pushes_quantities_and_remainder_restarts_countdown():
    buf = AccumulatingBuffer(watermark=10, timeout=0.5)
    assert buf.write(b"a" * 25, now=1.0)
    # 25 bytes over a watermark of 10: two pushes of 10, remainder 5 starts the countdown.
    assert [len(c) for c in buf.unsent] == [10, 10]
    assert bytes(buf.pending) == b"a" * 5
    assert buf.deadline == 1.5
    assert buf.pushed_total == 20


def test_new_data_reinitialises_countdown():
    buf = AccumulatingBuffer(watermark=100, timeout=0.3)
    buf.write(b"1", now=0.0)
    assert buf.deadline == 0.3
    buf.write(b"2", now=0.2)
    assert buf.deadline == 0.2 + 0.3
    assert not buf.timer_expired(0.3)  # the old deadline no longer counts
    assert buf.timer_expired(0.5)
    assert buf.take_stream(100) == b"12"


def test_exact_watermark_leaves_no_countdown():
    buf = AccumulatingBuffer(watermark=4, timeout=0.3)
    buf.write(b"abcd", now=0.0)
    assert buf.deadline is None and not buf.pending
    assert buf.take_stream(10) == b"abcd"


def test_push_status_codes():
    buf = AccumulatingBuffer()
    assert buf.push() == 2  # nothing to push (§1.1.7.4)
    buf.write(b"hi", now=0.0)
    assert buf.push() == 0
    assert buf.take_datagram() == b"hi"


def test_configure_refused_with_data():
    buf = AccumulatingBuffer()
    buf.write(b"z", now=0.0)
    assert not buf.configure(10, 0.1)  # §1.1.4.1 note
    buf.flush()
    assert buf.configure(10, 0.1)


def test_xoff_when_unsent_backs_up_and_xon_when_drained():
    buf = AccumulatingBuffer(watermark=512)
    for i in range(3):
        assert buf.write(b"d" * 512, now=float(i))
    # 1536 bytes pushed, none taken by the stack: Xoff_upper (1536) reached.
    assert buf.drain_events() == ["xoff"]
    assert buf.free == 2048 - 1536
    assert not buf.write(b"e", now=4.0)  # +MIPSEND status 1
    assert buf.push() == 1
    buf.take_stream(1000)  # 536 left: still above Xon_lower (512)
    assert buf.drain_events() == []
    buf.take_stream(24)  # 512 left: Xon
    assert buf.drain_events() == ["xon"]
    assert buf.write(b"e", now=5.0)


def test_give_back_keeps_order():
    buf = AccumulatingBuffer(watermark=3)
    buf.write(b"abcdef", now=0.0)
    taken = buf.take_stream(5)
    assert taken == b"abcde"
    buf.give_back(taken[2:])
    assert buf.take_stream(10) == b"cdef"


def test_odm_spooler_timeout_and_full_buffer():
    sp = OdmSpooler(capacity=8, spool=0.05)
    assert sp.write(b"abc", now=1.0) == 3
    assert sp.take(100) == b""  # not due before the spooling timeout
    sp.write(b"d", now=1.03)
    assert sp.deadline == 1.05  # not restarted by later bytes
    assert sp.timer_expired(1.05)
    assert sp.take(2) == b"ab"
    assert sp.take(100) == b"cd"
    assert sp.write(b"123456789", now=2.0) == 8  # only the capacity fits
    assert sp.due and sp.take(100) == b"12345678"


# -- properties -------------------------------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.binary(min_size=0, max_size=700)),
        st.tuples(st.just("push"), st.just(b"")),
        st.tuples(st.just("tick"), st.floats(min_value=0.0, max_value=0.5)),
        st.tuples(st.just("take"), st.integers(min_value=0, max_value=3000)),
    ),
    max_size=60,
)


@given(st.integers(min_value=1, max_value=2048), st.sampled_from([0.0, 0.1, 0.3]), OPS)
def test_accumulating_buffer_keeps_order_and_bounds(watermark: int, timeout: float, ops) -> None:
    buf = AccumulatingBuffer(watermark=watermark, timeout=timeout)
    now = 0.0
    accepted = bytearray()
    out = bytearray()
    flowed = False
    for op, arg in ops:
        if op == "write":
            if buf.write(arg, now):
                accepted += arg
        elif op == "push":
            buf.push()
        elif op == "tick":
            now += arg
            if buf.deadline is not None and now >= buf.deadline:
                buf.timer_expired(now)
        else:
            out += buf.take_stream(arg)
        # the 2048-byte memory is never exceeded and free size is what is left of it
        held = len(buf.pending) + buf.unsent_len
        assert held <= 2048 and buf.free == 2048 - held
        # nothing waits at or above the watermark without having been pushed
        assert len(buf.pending) < watermark
        # a countdown runs exactly when unpushed data waits and a timeout is set
        assert (buf.deadline is not None) == (bool(buf.pending) and timeout > 0)
        for event in buf.drain_events():  # Xoff/Xon alternate, starting with Xoff
            assert event == ("xon" if flowed else "xoff")
            flowed = not flowed
        assert flowed == buf.flowed_off
    buf.push()
    out += buf.take_stream(1 << 20)
    assert bytes(out) == bytes(accepted)  # every accepted byte, once, in order


@given(st.lists(st.tuples(st.binary(max_size=5000), st.floats(min_value=0, max_value=0.2),
                          st.integers(min_value=0, max_value=9000)), max_size=40))
def test_odm_spooler_keeps_order(chunks) -> None:
    sp = OdmSpooler()
    now, sent, accepted = 0.0, bytearray(), bytearray()
    for data, dt, space in chunks:
        n = sp.write(data, now)
        accepted += data[:n]
        assert len(sp.data) <= 8192
        now += dt
        sp.timer_expired(now)
        sent += sp.take(space)
    sp.timer_expired(now + 1.0)
    sent += sp.take(1 << 20)
    assert bytes(sent) == bytes(accepted)
