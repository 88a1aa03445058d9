"""The LF a host sends after a command's CR never reaches a prompt, a data mode or the next line.

Host drivers (TinyGSM, m5stack's uiflow driver) end every command with CR LF. A real module
ends the line at the CR and discards the LF, which is why ``AT+CIPSEND=0,5\\r\\n`` then
``hello`` delivers ``hello`` in the field. Each test here writes exactly what such a driver
writes and checks the bytes on the UART and what the peer received, for every prompt and data
mode of every dialect: SIMCom ``>`` (fixed length, Ctrl-Z, UDP with a remote), transparent
``CONNECT`` and ``ATO``, Fibocom ``>`` of +MIPSEND and ODM, and ``ATD*99#`` dial-up on all.
Under ATE1 the discarded LF is not echoed (m5stack's driver strips exactly ``<cmd>\\r\\r\\n``).
"""

from __future__ import annotations

import pytest

from simnet.modem.at import LineEndFilter
from simnet.modem.links import DialupLink
from tests.dte_helpers import exchange, wait_for
from tests.modem.helpers import make
from tests.modem.vendors.fibocom import harness as fh
from tests.modem.vendors.simcom import harness as sh

SIMCOM = ["simcom-sim7600", "simcom-a7670"]


def test_filter_drops_only_the_leading_run_and_disarms_on_payload() -> None:
    f = LineEndFilter()
    assert f.feed(b"\n") == b"\n"  # not armed: nothing is touched
    f.arm()
    assert f.feed(b"\r\n\r") == b"" and f.armed  # a run of CR/LF, still waiting
    assert f.feed(b"\nhi\n") == b"hi\n" and not f.armed  # payload: the rest is data
    assert f.dropped == 4
    assert f.feed(b"\n") == b"\n"


@pytest.mark.parametrize("ending", [b"\r\n", b"\r\r\n", b"\r\n\n"])
def test_echo_and_next_line_with_cr_lf(ending: bytes) -> None:
    sim, module, dte = make()
    dte.write(b"AT" + ending)
    dte.wait(0.5)
    assert dte.read_available() == b"AT\r\r\nOK\r\n"  # the CR is echoed, the LF is not
    dte.write(b"ATE0" + ending + b"AT+CMEE?" + ending)
    dte.wait(0.5)
    assert dte.read_available() == b"ATE0\r\r\nOK\r\n\r\n+CMEE: 0\r\n\r\nOK\r\n"


def test_lf_in_a_later_chunk_does_not_abort_a_dial() -> None:
    # V.250 §6.3.1: a character from the DTE aborts ATD. The LF of the driver's CR LF is not one.
    sim = sh.world()
    sim.advance(3)
    sim.dte.read_available()
    sim.dte.write(b"ATD*99#\r")
    sim.advance(0.0005)  # the LF arrives a moment after the CR, while ATD runs
    sim.dte.write(b"\n")
    sim.advance(1.0)
    assert sim.dte.read_available() == b"ATD*99#\r\r\nCONNECT 115200\r\n"
    assert sim.module.in_data_mode  # then PPP (the module waits for the host's first LCP packet)


def test_engine_data_mode_gets_no_lf() -> None:
    sim, module, dte = make()
    dte.write(b"AT+XCONN\r\n")
    dte.expect("CONNECT")
    dte.write(b"abc")
    dte.wait(0.2)
    assert module.session.link.received == b"abc"


@pytest.mark.parametrize("module_id", SIMCOM)
def test_simcom_fixed_length_send(module_id: str) -> None:
    sim = sh.world(module_id, hosts=sh.echo_hosts(), network={"link": {"delay": "100ms"}})
    sh.netopen(sim)
    line = f'AT+CIPOPEN=1,"TCP","{sh.SERVER_IP}",100'.encode()
    assert exchange(sim, line + b"\r\n", line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+CIPOPEN: 1,0\r\n") == b"\r\n+CIPOPEN: 1,0\r\n"
    expected = b"AT+CIPSEND=1,5\r\r\n>"
    assert exchange(sim, b"AT+CIPSEND=1,5\r\n", expected) == expected
    expected = b"hello\r\nOK\r\n\r\n+CIPSEND: 1,5,5\r\n"  # all five bytes are payload
    assert exchange(sim, b"hello", expected) == expected
    pushed = b"\r\nRECV FROM:" + sh.SERVER_IP.encode() + b":100\r\n+IPD5\r\nhello"
    assert wait_for(sim, pushed) == pushed
    assert sim.host("server.example.net").bytes_received(service="tcp-echo") == 5
    assert exchange(sim, b"AT\r\n", b"AT\r\r\nOK\r\n") == b"AT\r\r\nOK\r\n"  # nothing spilled
    assert sh.quiet(sim, 1) == b""


@pytest.mark.parametrize("module_id", SIMCOM)
def test_simcom_ctrl_z_send_and_udp_send_to_a_remote(module_id: str) -> None:
    sim = sh.world(module_id, hosts=sh.echo_hosts(), network={"link": {"delay": "100ms"}})
    sh.netopen(sim)
    line = f'AT+CIPOPEN=2,"TCP","{sh.SERVER_IP}",100'.encode()
    exchange(sim, line + b"\r\n", line + b"\r\r\nOK\r\n")
    wait_for(sim, b"\r\n+CIPOPEN: 2,0\r\n")
    assert exchange(sim, b"AT+CIPSEND=2,\r\n", b"AT+CIPSEND=2,\r\r\n>") == b"AT+CIPSEND=2,\r\r\n>"
    expected = b"ab\x1a\r\nOK\r\n\r\n+CIPSEND: 2,2,2\r\n"
    assert exchange(sim, b"ab\x1a", expected) == expected
    wait_for(sim, b"+IPD2\r\nab")
    line = b'AT+CIPOPEN=3,"UDP",,,5000'
    expected = line + b"\r\r\n+CIPOPEN: 3,0\r\n\r\nOK\r\n"
    assert exchange(sim, line + b"\r\n", expected) == expected
    line = f'AT+CIPSEND=3,3,"{sh.SERVER_IP}",100'.encode()
    assert exchange(sim, line + b"\r\n", line + b"\r\r\n>") == line + b"\r\r\n>"
    expected = b"xyz\r\nOK\r\n\r\n+CIPSEND: 3,3,3\r\n"
    assert exchange(sim, b"xyz", expected) == expected
    assert wait_for(sim, b"+IPD3\r\nxyz", 5).endswith(b"+IPD3\r\nxyz")
    assert sim.host("server.example.net").bytes_received(service="udp-echo") == 3


@pytest.mark.parametrize("module_id", SIMCOM)
def test_simcom_transparent_connect_and_ato(module_id: str) -> None:
    sim = sh.world(module_id, hosts=sh.echo_hosts(), network={"link": {"delay": "100ms"}})
    assert (
        exchange(sim, b"AT+CIPMODE=1\r\n", b"AT+CIPMODE=1\r\r\nOK\r\n")
        == b"AT+CIPMODE=1\r\r\nOK\r\n"
    )
    sh.netopen(sim)
    line = f'AT+CIPOPEN=0,"TCP","{sh.SERVER_IP}",100'.encode()
    expected = line + b"\r\r\nCONNECT 115200\r\n"
    assert exchange(sim, line + b"\r\n", expected, 10) == expected
    sim.dte.write(b"DATA")
    assert wait_for(sim, b"DATA") == b"DATA"  # the echo server got exactly DATA back to us
    sim.advance(1.2)
    sim.dte.write(b"+++")
    assert wait_for(sim, b"\r\nOK\r\n", 3) == b"\r\nOK\r\n"
    assert (
        exchange(sim, b"ATO\r\n", b"ATO\r\r\nCONNECT 115200\r\n") == b"ATO\r\r\nCONNECT 115200\r\n"
    )
    sim.dte.write(b"X")
    assert wait_for(sim, b"X") == b"X"
    assert sh.quiet(sim, 0.5) == b""
    assert sim.host("server.example.net").bytes_received(service="tcp-echo") == 5


@pytest.mark.parametrize("world", ["simcom-sim7600", "simcom-a7670", "fibocom-l610"])
def test_dialup_gets_no_lf(world: str, monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[bytes] = []
    original = DialupLink.on_dte_data

    def spy(self, data: bytes) -> int:
        got.append(bytes(data))
        return original(self, data)

    monkeypatch.setattr(DialupLink, "on_dte_data", spy)
    sim = fh.world() if world == "fibocom-l610" else sh.world(world)
    sim.advance(3)
    sim.dte.read_available()
    sim.dte.write(b"ATD*99#\r\n")
    sim.dte.expect("CONNECT", 5)
    sim.advance(0.5)
    assert got == []  # nothing from the host reached the PPP link


def test_fibocom_raw_send_prompt() -> None:
    sim = fh.world(network={"link": {"delay": "100ms", "jitter": 0}})
    fh.cmee1(sim)
    fh.mipcall(sim)
    line = f'AT+MIPOPEN=1,,"{fh.ECHO_IP}",7,0'.encode()
    assert exchange(sim, line + b"\r\n", line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+MIPOPEN: 1,1\r\n", 30) == b"\r\n+MIPOPEN: 1,1\r\n"
    assert exchange(sim, b"AT+MIPSEND=1\r\n", b"AT+MIPSEND=1\r>\r\n") == b"AT+MIPSEND=1\r>\r\n"
    expected = b"\r\nOK\r\n+MIPPUSH: 1,0\r\n+MIPSEND: 1,0,2048\r\n\r\nOK\r\n"
    assert exchange(sim, b"ping\x1a", expected) == expected
    # the echo is "ping", hex-coded: no 0A in front
    assert wait_for(sim, b"\r\n+MIPRTCP: 1,0,70696E67\r\n") == b"\r\n+MIPRTCP: 1,0,70696E67\r\n"


def test_fibocom_odm_data_mode() -> None:
    sim = fh.world(network={"link": {"delay": "100ms", "jitter": 0}})
    fh.cmee1(sim)
    fh.mipcall(sim)
    line = f'AT+MIPODM=1,,"{fh.ECHO_IP}",7,0'.encode()
    assert exchange(sim, line + b"\r\n", line + b"\r\r\nOK\r\n") == line + b"\r\r\nOK\r\n"
    assert wait_for(sim, b"\r\n+MIPODM: 1,1\r\n", 30) == b"\r\n+MIPODM: 1,1\r\n"
    sim.dte.write(b"hello")
    assert wait_for(sim, b"hello", 5) == b"hello"
    assert sim.host("echo.example.net").bytes_received(service="tcp-echo") == 5
