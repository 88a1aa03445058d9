"""The receive buffer the dialects share (simnet.modem.buffers): the one-notification-until-
drained rule of SIM7600 TCP/IP L1106 note 1, its capacity, whole datagrams."""

from simnet.modem.buffers import ReceiveBuffer


def test_rx_buffer_notifies_once_until_drained() -> None:
    buf = ReceiveBuffer(capacity=10)
    assert buf.append(b"abc") == (3, True)
    assert buf.append(b"de") == (2, False)  # not repeated while data is pending
    assert buf.read(4) == b"abcd"
    buf.settle()
    assert buf.append(b"f") == (1, False)  # still not drained
    assert buf.read(10) == b"ef"
    assert buf.append(b"g") == (1, False)  # not settled yet: a refill is not a new arrival
    assert buf.read(10) == b"g"
    buf.settle()
    assert buf.append(b"h") == (1, True)  # drained -> next arrival notifies


def test_rx_buffer_capacity() -> None:
    buf = ReceiveBuffer(capacity=4)
    assert buf.append(b"abcdef") == (4, True)
    assert buf.space == 0
    assert buf.append(b"x") == (0, False)


def test_whole_datagrams_fit_or_are_refused() -> None:
    buf = ReceiveBuffer(capacity=5)
    assert buf.append_whole(b"abc")
    assert not buf.append_whole(b"def")  # 3 bytes do not fit in the 2 left: nothing stored
    assert buf.read(10) == b"abc"
