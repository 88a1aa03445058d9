"""Online data mode: the +++ escape with guard times (S2/S12), ATO, hang-up, DTR, DCD, URCs.

Guard-time expectations follow the Hayes rule the engine implements: one guard time (S12 in
1/50 s, default 50 = 1 s) of silence before the first '+', each '+' within a guard time of the
previous one, and a guard time of silence after the third.
"""

import pytest

from simnet.modem.module import Mode
from tests.modem.helpers import make

BT = 10 / 115200


def connected(**options):
    sim, module, dte = make(**options)
    dte.command("ATE0")
    r = dte.command("AT+XCONN")
    assert r.raw == b"\r\nCONNECT 115200\r\n"
    link = module.dialect.links[-1]
    assert module.mode is Mode.DATA
    return sim, module, dte, link


def test_escape_with_one_second_guard_switches_to_command_mode():
    sim, module, dte, link = connected()
    dte.write(b"hello")
    dte.wait(5 * BT)  # the five bytes are on the wire for 5 byte times
    dte.wait(1.0)  # one full second of silence on the line
    dte.write(b"+++")
    dte.wait(1.0)
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nOK\r\n"
    assert module.mode is Mode.COMMAND and module.online_command_mode
    assert bytes(link.received) == b"hello"
    # Commands work in online command mode; ATO goes back to data.
    assert dte.command("AT+CMEE?").lines == ["+CMEE: 0"]
    assert dte.command("ATO").raw == b"\r\nCONNECT 115200\r\n"
    assert module.mode is Mode.DATA
    dte.write(b"more")
    dte.wait(0.01)
    assert bytes(link.received) == b"hellomore"


def test_escape_ok_arrives_one_guard_time_after_the_third_plus():
    sim, module, dte, link = connected()
    dte.wait(1.0)
    dte.write(b"+++")
    t_third = sim.now + 3 * BT
    dte.expect(r"\r\nOK\r\n", timeout=3)
    assert sim.now == pytest.approx(t_third + 1.0 + 6 * BT, abs=1e-6)


def test_escape_with_half_second_silence_is_data():
    sim, module, dte, link = connected()
    dte.write(b"hello")
    dte.wait(0.5)
    dte.write(b"+++")
    dte.wait(0.5)
    dte.write(b"x")
    dte.wait(2.0)
    assert bytes(link.received) == b"hello+++x"
    assert module.mode is Mode.DATA
    assert dte.read_available() == b""


def test_escape_without_silence_before_is_data():
    # Only 0.5 s of silence before "+++" (S12 = 1 s), then 2 s of silence after: the leading
    # guard time was not met, so the three characters are data and the link stays online.
    sim, module, dte, link = connected()
    dte.write(b"hello")
    dte.wait(0.5)
    dte.write(b"+++")
    dte.wait(2.0)
    assert bytes(link.received) == b"hello+++"
    assert module.mode is Mode.DATA
    assert dte.read_available() == b""


def test_escape_without_silence_after_is_data():
    sim, module, dte, link = connected()
    dte.wait(1.0)
    dte.write(b"+++")
    dte.wait(0.5)
    dte.write(b"y")
    dte.wait(2.0)
    assert bytes(link.received) == b"+++y"
    assert module.mode is Mode.DATA


def test_plus_characters_one_second_apart_are_data():
    sim, module, dte, link = connected()
    dte.wait(1.5)
    for _ in range(3):
        dte.write(b"+")
        dte.wait(1.0 + 0.001)
    dte.wait(2.0)
    assert bytes(link.received) == b"+++"
    assert module.mode is Mode.DATA
    assert dte.read_available() == b""


def test_four_pluses_are_data():
    sim, module, dte, link = connected()
    dte.wait(1.0)
    dte.write(b"++++")
    dte.wait(2.0)
    assert bytes(link.received) == b"++++"
    assert module.mode is Mode.DATA


def test_shorter_guard_time_from_s12():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("ATS12=25")  # 0.5 s
    dte.command("AT+XCONN")
    link = module.dialect.links[-1]
    dte.wait(0.5)
    dte.write(b"+++")
    dte.wait(0.6)
    assert dte.read_available().endswith(b"\r\nOK\r\n")
    assert bytes(link.received) == b""


def test_link_closing_leaves_data_mode_with_its_message_and_flushes_urcs():
    sim, module, dte, link = connected()
    module.urc("+HELD: 1")  # held while in data mode (dialect policy "hold")
    dte.wait(0.1)
    assert dte.read_available() == b""
    link.session.to_dte(b"payload")
    dte.wait(0.01)
    assert dte.read_available() == b"payload"
    link.session.end("NO CARRIER")
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nNO CARRIER\r\n\r\n+HELD: 1\r\n"
    assert module.mode is Mode.COMMAND and not module.online_command_mode
    assert dte.command("ATO").final == "NO CARRIER"


def test_link_closing_with_a_vendor_message():
    sim, module, dte, link = connected()
    link.session.end("CLOSED")
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nCLOSED\r\n"


def test_ath_in_online_command_mode_hangs_up():
    sim, module, dte, link = connected()
    dte.wait(1.0)
    dte.write(b"+++")
    dte.wait(1.1)
    dte.read_available()
    assert dte.command("ATH").final == "OK"
    assert link.hangups == ["ath"]
    assert dte.command("ATO").final == "NO CARRIER"


def test_dtr_drop_with_and_d2_hangs_up():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT&D2")
    dte.command("AT+XCONN")
    link = module.dialect.links[-1]
    assert dte.dcd  # AT&C1: DCD follows the connection
    dte.dtr = False
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nNO CARRIER\r\n"
    assert link.hangups == ["dtr"]
    assert not dte.dcd
    dte.dtr = True
    assert dte.command("AT").final == "OK"


def test_dtr_drop_with_and_d1_goes_to_online_command_mode():
    sim, module, dte, link = connected()
    dte.dtr = False
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nOK\r\n"
    assert module.online_command_mode
    dte.dtr = True
    assert dte.command("ATO").final == "CONNECT 115200"


def test_dtr_ignored_with_and_d0():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT&D0")
    dte.command("AT+XCONN")
    dte.dtr = False
    dte.wait(0.1)
    assert dte.read_available() == b""
    assert module.mode is Mode.DATA


def test_dcd_always_on_with_and_c0():
    sim, module, dte = make()
    assert not dte.dcd
    dte.command("AT&C0")
    assert dte.dcd


def test_rts_cts_flow_control_holds_host_data_while_link_is_full():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT+IFC=2,2")
    dte.rtscts = True
    dte.command("AT+XCONN")
    link = module.dialect.links[-1]
    link.accept_limit = 0  # the socket cannot take anything
    dte.write(b"z" * 10_000)
    dte.wait(2.0)
    # The module's receive buffer filled to its high-water mark, CTS dropped, nothing lost.
    assert not dte.cts
    held = len(module._rx_backlog)
    assert held <= module.profile.uart_rx_buffer
    assert dte.port.pending + held + 64 >= 10_000 - 64
    link.accept_limit = 10_000
    link.session.resume_input()
    dte.wait(2.0)
    assert bytes(link.received) == b"z" * 10_000
    assert not sim.trace.select(kind="rx_overflow")


def test_without_flow_control_excess_is_dropped_and_traced():
    sim, module, dte, link = connected()
    link.accept_limit = 0
    dte.write(b"q" * 10_000)
    dte.wait(2.0)
    assert len(module._rx_backlog) == module.profile.uart_rx_buffer
    assert sim.trace.select(kind="rx_overflow")


def test_rts_low_stops_module_output():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT+IFC=2,2")
    dte.command("AT+XCONN")
    link = module.dialect.links[-1]
    dte.rts = False
    link.session.to_dte(b"abc")
    dte.wait(0.5)
    assert dte.read_available() == b""
    dte.rts = True
    dte.wait(0.01)
    assert dte.read_available() == b"abc"


def test_data_mode_entered_later_waits_for_a_running_command():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT+XLATER")
    sim.call_later(0.5, dte.write, "AT+SLOW\r")  # still running when the link opens at 1 s
    dte.expect(r"\+SLOW: done\r\n\r\nOK\r\n\r\nCONNECT\r\n", timeout=5)
    assert module.mode is Mode.DATA
    dte.write(b"abc")
    dte.wait(0.01)
    assert bytes(module.dialect.links[-1].received) == b"abc"


def test_raw_urc_never_splits_a_response():
    sim, module, dte = make()
    dte.command("ATE0")
    sim.call_later(0.5, module.urc_raw, b"\x00\x01raw")
    r = dte.command("AT+SLOW")
    assert r.raw == b"\r\n+SLOW: done\r\n\r\nOK\r\n"
    dte.wait(0.01)
    assert dte.read_available() == b"\x00\x01raw"


def test_urc_policy_hold_ri_pulses_ring_indicator():
    sim, module, dte, link = connected()
    module.dialect.data_mode_urcs = "hold_ri"
    module.urc("+MSG: 1")
    assert dte.ri
    dte.wait(1.1)
    assert not dte.ri
    assert dte.read_available() == b""
    dte.wait(1.0)
    dte.write("+++")
    dte.wait(1.1)
    assert dte.read_available() == b"\r\nOK\r\n\r\n+MSG: 1\r\n"


def test_urc_policy_drop():
    sim, module, dte, link = connected()
    module.dialect.data_mode_urcs = "drop"
    module.urc("+MSG: 1")
    link.session.end("NO CARRIER")
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nNO CARRIER\r\n"
    assert sim.trace.select(kind="urc_dropped")


def test_s12_zero_means_no_guard_time():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("ATS12=0")
    dte.command("AT+XCONN")
    link = module.dialect.links[-1]
    dte.write(b"ab+++")
    dte.wait(0.01)
    assert dte.read_available() == b"\r\nOK\r\n"
    assert bytes(link.received) == b"ab"


def test_buggy_link_hooks_are_traced_not_raised():
    from simnet.modem.dialect import DataLink

    class Buggy(DataLink):
        def on_start(self, session):
            super().on_start(session)
            raise RuntimeError("start bug")

        def on_dte_data(self, data):
            return "lots"

        def on_escape(self):
            raise RuntimeError("escape bug")

    sim, module, dte = make()
    dte.command("ATE0")
    module.enter_data_mode(Buggy(), "CONNECT")
    dte.wait(0.01)
    assert module.in_data_mode
    dte.write(b"abc")
    dte.wait(1.1)
    dte.write(b"+++")
    dte.wait(1.1)
    # on_escape crashed: the engine used its default (OK) and went to online command mode.
    assert dte.read_available() == b"\r\nCONNECT\r\n\r\nOK\r\n"
    assert len(sim.trace.select(kind="handler_error")) == 2
    assert dte.command("ATH").ok


def test_atx0_drops_the_connect_text():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("ATX0")
    assert dte.command("AT+XCONN").raw == b"\r\nCONNECT\r\n"


def test_escape_detector_gap_limit() -> None:
    from simnet.modem.uart import EscapeDetector

    # Guard 1 s, at most 0.9 s between the '+' characters (A76 1.5.4).
    det = EscapeDetector(1.0, gap_max=0.9)
    det.reset(0.0)
    assert det.feed(b"+", 2.0, 0.0) == b""
    assert det.feed(b"+", 2.95, 0.0) == b"++"  # 950 ms: both are data, nothing held
    assert det.deadline is None
    det.reset(10.0)
    for t in (11.0, 11.8, 12.6):
        assert det.feed(b"+", t, 0.0) == b""
    assert det.expire(13.6) == (b"", True)
    # S12=0 (no guard time) with a limit: the limit still applies.
    det = EscapeDetector(0.0, gap_max=0.9)
    det.reset(0.0)
    assert det.feed(b"+", 0.1, 0.0) == b""
    assert det.deadline == pytest.approx(1.0)
    assert det.expire(1.0) == (b"+", False)
