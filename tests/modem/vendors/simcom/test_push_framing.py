"""Direct push framing follows the settings at the moment of each push, byte for byte.

The dialect keeps the framing it last used (the header before ``<len>``) and checks it against
the settings' tables on every push: a setting changed between two pushes on the same link must
show in the very next push. Expected bytes are the manual's formats: S76 L1106 (``RECV FROM:``
line, ``+IPD<len>``), L1108 (AT+CIPHEAD=0: no length line), L1109 (AT+CIPSRIP=0: no address
line), L1113 (CIPCCFG <HeaderType>=1: ``+RECEIVE,<link>,<len>``).
"""

from __future__ import annotations

from tests.modem.vendors.simcom.harness import SERVER_IP, echo_hosts, exchange, netopen, world
from tests.world import wait_for

ADDRESS = f"RECV FROM:{SERVER_IP}:100\r\n".encode()


def _echo(sim: object, link: int, data: bytes, pushed: bytes) -> None:
    """Send ``data`` to the echo server on ``link`` and expect its push back as ``pushed``."""
    line = f"AT+CIPSEND={link},{len(data)}"
    assert exchange(sim, line, line.encode() + b"\r\r\n>") == line.encode() + b"\r\r\n>"
    answer = data + f"\r\nOK\r\n\r\n+CIPSEND: {link},{len(data)},{len(data)}\r\n".encode()
    assert exchange(sim, data, answer) == answer
    assert wait_for(sim, pushed, 5) == pushed


def _set(sim: object, line: str) -> None:
    assert exchange(sim, line, line.encode() + b"\r\r\nOK\r\n") == line.encode() + b"\r\r\nOK\r\n"


def test_each_push_is_framed_by_the_settings_of_its_moment() -> None:
    sim = world(hosts=echo_hosts(), network={"link": {"delay": "50ms"}})
    netopen(sim)
    for link in (1, 3):
        line = f'AT+CIPOPEN={link},"TCP","{SERVER_IP}",100'
        exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
        assert wait_for(sim, f"\r\n+CIPOPEN: {link},0\r\n".encode(), 5)
    _echo(sim, 1, b"one", b"\r\n" + ADDRESS + b"+IPD3\r\none")
    _echo(sim, 1, b"second", b"\r\n" + ADDRESS + b"+IPD6\r\nsecond")
    _set(sim, "AT+CIPHEAD=0")  # L1108: no length line
    _echo(sim, 1, b"3rd", b"\r\n" + ADDRESS + b"3rd")
    _set(sim, "AT+CIPSRIP=0")  # L1109: no address line either
    _echo(sim, 1, b"4th!", b"\r\n4th!")
    _set(sim, "AT+CIPHEAD=1")
    _set(sim, "AT+CIPCCFG=,,,,1")  # L1113 <HeaderType> 1
    _echo(sim, 1, b"fifth", b"\r\n+RECEIVE,1,5\r\nfifth")
    _echo(sim, 3, b"other link", b"\r\n+RECEIVE,3,10\r\nother link")  # its own link number
    _set(sim, "AT+CIPSRIP=1")
    _echo(sim, 3, b"7", b"\r\n" + ADDRESS + b"+RECEIVE,3,1\r\n7")
    _set(sim, "AT+CIPCCFG")  # defaults again: HeaderType 0
    _echo(sim, 1, b"last one", b"\r\n" + ADDRESS + b"+IPD8\r\nlast one")


def test_a_setting_stored_without_a_command_shows_in_the_next_push() -> None:
    """The framing is kept while the settings' store counts no change (``ParamStore.version``):
    a value stored straight into the store between two pushes (as a fault or a Python
    program may) still frames the very next push."""
    sim = world(hosts=echo_hosts(), network={"link": {"delay": "50ms"}})
    netopen(sim)
    line = f'AT+CIPOPEN=1,"TCP","{SERVER_IP}",100'
    exchange(sim, line, line.encode() + b"\r\r\nOK\r\n")
    assert wait_for(sim, b"\r\n+CIPOPEN: 1,0\r\n", 5)
    _echo(sim, 1, b"one", b"\r\n" + ADDRESS + b"+IPD3\r\none")
    store = sim.module.dialect.params  # type: ignore[attr-defined]
    store.set("+CIPHEAD", {"mode": 0})  # L1108: no length line
    _echo(sim, 1, b"two", b"\r\n" + ADDRESS + b"two")
    store.reset("+CIPHEAD")
    _echo(sim, 1, b"three", b"\r\n" + ADDRESS + b"+IPD5\r\nthree")
