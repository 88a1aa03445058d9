"""SocketLedger: what the host handed to each socket and what the module told it, read off the
UART byte for byte (SIMCom S76 L1103-L1105 / A76 4.2, Fibocom L610 §1.1.2-§1.1.11)."""

from __future__ import annotations

from simnet.modem.ledger import SocketLedger


def simcom_open(led: SocketLedger, t: float = 1.0) -> None:
    led.host_bytes(b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r', t)
    led.module_bytes(b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r\r\nOK\r\n', t + 0.01)
    led.module_bytes(b"\r\n+CIPOPEN: 0,0\r\n", t + 0.5)


def simcom_send(led: SocketLedger, data: bytes, t: float, answer: bytes | None = None) -> None:
    led.host_bytes(f"AT+CIPSEND=0,{len(data)}\r".encode(), t)
    led.module_bytes(f"AT+CIPSEND=0,{len(data)}\r".encode(), t + 0.001)
    led.prompt_opened(t + 0.002)
    led.module_bytes(b"\r\n>", t + 0.003)
    led.host_bytes(data, t + 0.004)
    led.module_bytes(data, t + 0.005)  # ATE1: the SIM7600 echoes what follows ">"
    led.module_bytes(answer if answer is not None else
                     f"\r\nOK\r\n\r\n+CIPSEND: 0,{len(data)},{len(data)}\r\n".encode(), t + 0.01)


def test_simcom_accepted_bytes_and_a_clean_close() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    simcom_send(led, b"HELLO", 2.0)
    # what the module pushes back is the host's, on that link (RECV FROM names the peer)
    led.module_bytes(b"\r\nRECV FROM:203.0.113.10:7\r\n+IPD5\r\nHELLO", 2.6)
    led.host_bytes(b"AT+CIPCLOSE=0\r", 3.0)
    led.module_bytes(b"AT+CIPCLOSE=0\r\r\nOK\r\n", 3.01)
    led.module_bytes(b"\r\n+CIPCLOSE: 0,0\r\n", 3.5)
    [s] = led.sessions
    assert (s.link, s.host, s.port) == (0, "203.0.113.10", 7)
    assert bytes(s.accepted) == b"HELLO" and s.told == 5 and not s.pending
    assert bytes(s.received) == b"HELLO"
    assert s.closed_clean and not s.reported and s.t_end == 3.5
    assert led.anomalies == [] and led.disabled is None


def test_simcom_payload_that_looks_like_urcs_is_data() -> None:
    # A payload carrying "+IPCLOSE" / "OK" lines must not be read as the module's words.
    led = SocketLedger("simcom")
    simcom_open(led)
    evil = b"\r\n+IPCLOSE: 0,1\r\nOK\r\n"
    simcom_send(led, evil, 2.0)
    led.module_bytes(
        b"\r\nRECV FROM:203.0.113.10:7\r\n+IPD" + str(len(evil)).encode() + b"\r\n" + evil, 2.6
    )
    [s] = led.sessions
    assert bytes(s.accepted) == evil and bytes(s.received) == evil
    assert s.open and not s.reported


def test_simcom_ipclose_and_network_loss_are_reports() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    simcom_send(led, b"A" * 10, 2.0)
    led.module_bytes(b"\r\n+IPCLOSE: 0,2\r\n", 5.0)
    [s] = led.sessions
    assert s.reported and not s.open and s.reports == ["t=5.000 +IPCLOSE: 0,2"]
    led2 = SocketLedger("simcom")
    simcom_open(led2)
    led2.module_bytes(b"\r\n+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY\r\n", 4.0)
    assert led2.sessions[0].reports == ["t=4.000 +CIPEVENT: NETWORK CLOSED UNEXPECTEDLY"]


def test_simcom_refused_send_is_not_accepted_and_typed_bytes_stay_commands() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    led.host_bytes(b"AT+CIPSEND=0,5\r", 2.0)
    led.module_bytes(b"AT+CIPSEND=0,5\r", 2.001)
    led.host_bytes(b"AT+CIPCLOSE=0\r", 2.002)  # typed before the module decided: held
    led.module_bytes(b"\r\n+CIPERROR: 4\r\n\r\nERROR\r\n", 2.01)
    [s] = led.sessions
    assert bytes(s.accepted) == b"" and not s.pending
    assert s.reports and "+CIPERROR: 4" in s.reports[0]
    assert s.close_requested  # the held line was a command after all


def test_simcom_failed_send_confirmation_and_length_mismatch() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    simcom_send(led, b"abc", 2.0, answer=b"\r\nOK\r\n\r\n+CIPSEND: 0,3,-1\r\n")
    [s] = led.sessions
    assert bytes(s.accepted) == b"" and s.reported
    simcom_send(led, b"xyz", 3.0, answer=b"\r\nOK\r\n\r\n+CIPSEND: 0,4,4\r\n")
    assert led.anomalies == ["t=3.010 +CIPSEND: 0,4,4: the host wrote 3 bytes on link 0"]


def test_netclose_abandons_what_was_in_flight() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    simcom_send(led, b"DATA", 2.0)
    led.host_bytes(b"AT+NETCLOSE\r", 3.0)
    [s] = led.sessions
    assert s.abandoned == "t=3.000 AT+NETCLOSE"


def test_ctrl_z_form_with_etx_escape_and_esc_cancel() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    led.host_bytes(b"AT+CIPSEND=0\r", 2.0)
    led.prompt_opened(2.01)
    led.host_bytes(b"a\x03\x1ab\x1a", 2.02)  # ETX makes the Ctrl-Z after it literal
    led.module_bytes(b"\r\nOK\r\n\r\n+CIPSEND: 0,3,3\r\n", 2.1)
    assert bytes(led.sessions[0].accepted) == b"a\x1ab"
    led.host_bytes(b"AT+CIPSEND=0\r", 3.0)
    led.prompt_opened(3.01)
    led.host_bytes(b"zz\x1b", 3.02)  # ESC: nothing is sent
    led.module_bytes(b"\r\nERROR\r\n", 3.1)
    assert bytes(led.sessions[0].accepted) == b"a\x1ab"


def test_module_restart_ends_every_session_with_a_report() -> None:
    led = SocketLedger("simcom")
    simcom_open(led)
    led.restarted(9.0)
    [s] = led.sessions
    assert not s.open and s.reports == ["t=9.000 the module restarted"]


def test_transparent_mode_stops_tracking() -> None:
    led = SocketLedger("simcom")
    led.host_bytes(b"AT+CIPMODE=1\r", 0.5)
    led.host_bytes(b'AT+CIPOPEN=0,"TCP","203.0.113.10",7\r', 1.0)
    led.module_bytes(b"\r\nCONNECT 115200\r\n", 1.5)
    assert led.disabled == "t=1.500 online data mode (CONNECT)" and led.sessions == []


def test_fibocom_hex_send_push_receive_and_close() -> None:
    led = SocketLedger("fibocom")
    led.host_bytes(b'AT+MIPOPEN=1,,"203.0.113.10",7,0\r', 1.0)
    led.module_bytes(b'AT+MIPOPEN=1,,"203.0.113.10",7,0\r\r\nOK\r\n', 1.01)
    led.module_bytes(b"\r\n+MIPOPEN: 1,1\r\n", 1.5)
    led.host_bytes(b'AT+MIPSEND=1,"48656C6C6F"\r', 2.0)
    led.module_bytes(b'AT+MIPSEND=1,"48656C6C6F"\r\r\n+MIPSEND: 1,0,2043\r\n\r\nOK\r\n', 2.01)
    [s] = led.sessions
    assert bytes(s.accepted) == b"Hello" and s.told == 0  # in the buffer, not pushed yet
    led.host_bytes(b"AT+MIPPUSH=1\r", 2.1)
    led.module_bytes(b"AT+MIPPUSH=1\r\r\n+MIPPUSH: 1,0,5\r\n\r\nOK\r\n", 2.11)
    assert s.told == 5
    led.module_bytes(b"\r\n+MIPRTCP: 1,0,48656C6C6F\r\n", 2.6)
    assert bytes(s.received) == b"Hello"
    led.host_bytes(b"AT+MIPCLOSE=1\r", 3.0)
    led.module_bytes(b"AT+MIPCLOSE=1\r\r\nOK\r\n", 3.01)
    led.module_bytes(b"\r\n+MIPCLOSE: 1,0\r\n", 3.4)
    assert s.closed_clean and not s.reported


def test_fibocom_mipstat_and_flush() -> None:
    led = SocketLedger("fibocom")
    led.host_bytes(b'AT+MIPOPEN=2,,"203.0.113.10",7,0\r', 1.0)
    led.module_bytes(b"\r\n+MIPOPEN: 2,1\r\n", 1.5)
    led.host_bytes(b"AT+MIPFLUSH=2\r", 2.0)
    led.module_bytes(b"\r\n+MIPSTAT: 2,1\r\n", 3.0)
    [s] = led.sessions
    assert s.untracked and s.reports == ["t=3.000 +MIPSTAT: 2,1"]


def test_fibocom_a_2048_byte_receive_is_framed() -> None:
    # §1.1.5.4: <size> up to 2048 bytes, 4096 hex digits in one +MIPRTCP line (a line of 4096
    # characters was once dropped as "not a URC").
    led = SocketLedger("fibocom")
    led.host_bytes(b'AT+MIPOPEN=1,,"203.0.113.10",7,0\r', 1.0)
    led.module_bytes(b"\r\n+MIPOPEN: 1,1\r\n", 1.5)
    data = bytes(range(256)) * 8
    led.module_bytes(b"\r\n+MIPRTCP: 1,1952," + data.hex().upper().encode() + b"\r\n", 2.0)
    assert bytes(led.sessions[0].received) == data
