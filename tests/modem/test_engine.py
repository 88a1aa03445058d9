"""The AT engine through the UART model: exact bytes in every result-code mode.

Expected byte strings are written by hand from V.250 §5.7 framing (echo of the line with its
CR, then CR LF <text> CR LF under ATV1, <digit> CR under ATV0) and the profile identity.
"""

import pytest

from tests.modem.helpers import FakeBearer, make

BT = 10 / 115200  # seconds per byte at 115200 8N1 (start + 8 data + stop bits)


def test_echo_on_and_off():
    sim, module, dte = make()
    assert dte.command("AT").raw == b"AT\r\r\nOK\r\n"
    # ATE0's own echo still happens: echo is decided as characters arrive.
    assert dte.command("ATE0").raw == b"ATE0\r\r\nOK\r\n"
    assert dte.command("AT").raw == b"\r\nOK\r\n"
    assert dte.command("ATE1").raw == b"\r\nOK\r\n"
    assert dte.command("ATE").raw == b"ATE\r\r\nOK\r\n"  # ATE = ATE0
    assert dte.command("AT").raw == b"\r\nOK\r\n"


def test_numeric_result_codes():
    sim, module, dte = make(bearer=FakeBearer())
    assert dte.command("ATV0").raw == b"ATV0\r0\r"
    assert dte.command("AT+CSQ").raw == b"AT+CSQ\r+CSQ: 21,0\r\n0\r"
    r = dte.command("AT+NOPE")
    assert r.raw == b"AT+NOPE\r4\r" and r.final == "4" and r.error
    assert dte.command("ATV1").raw == b"ATV1\r\r\nOK\r\n"


def test_quiet_mode_suppresses_result_codes_only():
    sim, module, dte = make(bearer=FakeBearer())
    dte.write("ATQ1\r")
    dte.wait(0.1)
    assert dte.read_available() == b"ATQ1\r"
    dte.write("AT+CSQ\r")
    dte.wait(0.1)
    assert dte.read_available() == b"AT+CSQ\r\r\n+CSQ: 21,0\r\n"
    assert dte.command("ATQ0").raw == b"ATQ0\r\r\nOK\r\n"


def test_compound_line_one_final_result():
    sim, module, dte = make()
    r = dte.command("AT+CMEE=1;+CGMI;+CGMM")
    assert r.raw == (
        b"AT+CMEE=1;+CGMI;+CGMM\r\r\nSIMCOM INCORPORATED\r\n\r\nSIMCOM_SIM7600E-H\r\n\r\nOK\r\n"
    )
    assert r.lines == ["SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H"]


def test_compound_line_stops_at_first_error():
    sim, module, dte = make()
    assert dte.command("AT+CMEE=1;+FOO;+CMEE=2").final == "ERROR"
    assert dte.command("AT+CMEE?").lines == ["+CMEE: 1"]
    # Basic commands chain without separators.
    dte.command("ATE0V1Q0")
    assert dte.command("AT").raw == b"\r\nOK\r\n"


@pytest.mark.parametrize(
    ("cmee", "final"),
    [(0, "ERROR"), (1, "+CME ERROR: 10"), (2, "+CME ERROR: SIM not inserted")],
)
def test_cme_error_modes_without_sim(cmee, final):
    sim, module, dte = make()
    dte.command(f"AT+CMEE={cmee}")
    r = dte.command("AT+CPIN?")
    assert r.final == final
    assert r.raw == b"AT+CPIN?\r\r\n" + final.encode() + b"\r\n"


def test_unknown_command_is_error_in_every_cmee_mode():
    sim, module, dte = make()
    for cmee in (0, 1, 2):
        dte.command(f"AT+CMEE={cmee}")
        assert dte.command("AT+NOSUCH").final == "ERROR"
        assert dte.command("AT+NOSUCH=1").final == "ERROR"
        assert dte.command("ATY").final == "ERROR"
    # A known command in a form it does not have.
    assert dte.command("AT+CGMI?").final == "ERROR"
    assert dte.command("AT+CGMI=?").final == "OK"


def test_bad_parameters_answer_cme_50():
    sim, module, dte = make()
    dte.command("AT+CMEE=1")
    assert dte.command("AT+CMEE=7").final == "+CME ERROR: 50"
    dte.command("AT+CMEE=0")
    assert dte.command("AT+CMEE=x").final == "ERROR"


def test_malformed_line_gets_error():
    sim, module, dte = make()
    assert dte.command('AT+CSCA="12').final == "ERROR"
    assert dte.command("AT+CREG?X").final == "ERROR"
    assert dte.command("AT").final == "OK"


def test_s_registers():
    sim, module, dte = make()
    dte.command("ATE0")
    assert dte.command("ATS3?").raw == b"\r\n013\r\n\r\nOK\r\n"
    assert dte.command("ATS12?").lines == ["050"]
    assert dte.command("ATS3=?").lines == ["S3: (0-127)"]
    assert dte.command("ATS7=30").ok
    assert dte.command("ATS7?").lines == ["030"]
    assert dte.command("ATS3=200").final == "ERROR"
    assert dte.command("ATS99?").final == "ERROR"
    assert dte.command("ATS7=").final == "ERROR"


def test_s5_backspace_register_is_used_by_the_line_editor():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("ATS5=35")  # '#'
    assert dte.command("AT+CGMX#I").lines == ["SIMCOM INCORPORATED"]


def test_backspace_editing():
    sim, module, dte = make()
    dte.command("ATE0")
    assert dte.command("AT+CGMX\x08I").lines == ["SIMCOM INCORPORATED"]


def test_a_slash_repeats_last_line():
    sim, module, dte = make()
    dte.command("AT+CGMI")
    dte.write("A/")
    dte.wait(0.1)
    assert dte.read_available() == b"A/\r\nSIMCOM INCORPORATED\r\n\r\nOK\r\n"


def test_command_buffer_overflow_answers_error_then_recovers():
    sim, module, dte = make()
    dte.command("ATE0")
    r = dte.command("AT" + "x" * 600)
    assert r.raw == b"\r\nERROR\r\n"
    assert dte.command("AT").raw == b"\r\nOK\r\n"
    # 556 characters after AT still fit (an unknown command, so ERROR, but parsed).
    assert module.profile.command_buffer == 556
    assert len(module._assembler._buf) == 0


def test_case_insensitive_names():
    sim, module, dte = make()
    dte.command("ate0")
    assert dte.command("at+cgmi").lines == ["SIMCOM INCORPORATED"]
    assert dte.command("At+CgMm").lines == ["SIMCOM_SIM7600E-H"]


def test_latency_and_baud_timing_exact():
    # "AT\r" (3 bytes) reaches the module after 3 byte times; the echo goes back meanwhile;
    # after the 1 ms "basic" latency the 6 bytes of "\r\nOK\r\n" take 6 byte times.
    sim, module, dte = make()
    r = dte.command("AT")
    assert r.elapsed == pytest.approx(9 * BT + 0.001, abs=1e-9)


def test_latency_and_baud_timing_at_9600():
    sim, module, dte = make(baud=9600)
    bt = 10 / 9600
    r = dte.command("AT")
    # At 9600 the echo (3 bytes, 3.1 ms) outlasts the 1 ms latency: OK queues behind it.
    assert r.elapsed == pytest.approx(3 * bt + 3 * bt + 6 * bt, abs=1e-9)


def test_random_latency_comes_from_the_profile_distribution():
    sim, module, dte = make(latency={"query": {"min": 0.2, "max": 0.3}, "basic": 0.0})
    dte.command("ATE0")
    r = dte.command("AT+CMEE?")
    wire = (len("AT+CMEE?\r") + len("\r\n+CMEE: 0\r\n\r\nOK\r\n")) * BT
    assert 0.2 + wire - 1e-9 <= r.elapsed <= 0.3 + wire + 1e-9


def test_urc_arriving_mid_response_comes_after_the_final_result():
    sim, module, dte = make()
    sim.call_later(0.5, module.urc, "+TEST: 1")  # while +SLOW waits for its second
    r = dte.command("AT+SLOW")
    assert r.raw == b"AT+SLOW\r\r\n+SLOW: done\r\n\r\nOK\r\n"
    dte.wait(0.1)
    assert dte.read_available() == b"\r\n+TEST: 1\r\n"


def test_urc_when_idle_is_written_at_once():
    sim, module, dte = make()
    dte.command("AT")
    module.urc("+X: 1")
    dte.wait(0.01)
    assert dte.read_available() == b"\r\n+X: 1\r\n"
    dte.command("ATV0")
    module.urc("+X: 2")
    dte.wait(0.01)
    assert dte.read_available() == b"+X: 2\r\n"


def test_input_during_a_running_command_waits_its_turn():
    sim, module, dte = make()
    dte.write("AT+SLOW\rAT\r")
    m = dte.expect(r"(?s)OK\r\n.*OK\r\n", timeout=5)
    assert m.group(0)  # both answered
    assert dte.received == b"AT+SLOW\r\r\n+SLOW: done\r\n\r\nOK\r\nAT\r\r\nOK\r\n"


def test_half_a_command_then_silence_is_discarded():
    sim, module, dte = make()
    dte.write("AT+CS")
    dte.wait(module.profile.line_idle_timeout + 1)
    assert dte.command("AT").final == "OK"
    # Within the idle time the line simply continues.
    dte.command("ATE0")
    dte.write("AT+CS")
    dte.wait(1.0)
    assert dte.command("Q").lines == ["+CSQ: 99,99"]


def test_handler_crash_is_error_and_traced():
    sim, module, dte = make()
    assert dte.command("AT+XCRASH").final == "ERROR"
    assert sim.trace.select(kind="handler_error")
    assert dte.command("AT").final == "OK"


def test_generator_handler_bugs_are_errors_not_kernel_crashes():
    sim, module, dte = make()
    dte.command("ATE0")
    assert dte.command("AT+XBADYIELD").final == "ERROR"
    assert "TypeError" in sim.trace.select(kind="handler_error")[-1].fields["error"]
    # A failed event is thrown into the handler, which may handle it.
    assert dte.command("AT+XFAILEV").lines == ["+XFAILEV: caught"]
    assert dte.command("AT").final == "OK"


def test_every_uart_chunk_is_traced_both_ways():
    sim, module, dte = make()
    dte.command("AT")
    up = b"".join(r.fields["data"] for r in sim.trace.select(source="modem.uart", kind="dte>"))
    down = b"".join(r.fields["data"] for r in sim.trace.select(source="modem.uart", kind="dte<"))
    assert up == b"AT\r"
    assert down == b"AT\r\r\nOK\r\n"


def test_prompt_ctrl_z_with_etx_escaping():
    sim, module, dte = make()
    dte.write("AT+XSEND=0\r")
    dte.expect(r"\r\n>")
    dte.write(b"hel\x03\x1alo\x03\x03\x1a")
    r = dte.expect(r"OK\r\n")
    # ETX makes the next byte literal: data is "hel" 1A "lo" 03.
    assert dte.received == (
        b"AT+XSEND=0\r\r\n>\r\n+XSEND: terminator,7,68656c1a6c6f03\r\n\r\nOK\r\n"
    )
    assert r


def test_prompt_escape_cancels():
    sim, module, dte = make()
    dte.write("AT+XSEND=0\r")
    dte.expect(">")
    dte.write(b"abc\x1b")
    dte.expect(r"ERROR\r\n")
    assert dte.received == b"AT+XSEND=0\r\r\n>\r\nERROR\r\n"


def test_prompt_fixed_length_then_extra_bytes_are_commands_or_dropped():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.write("AT+XSEND=1,5\r")
    dte.expect(">")
    dte.write(b"12345AT\r")
    dte.expect(r"OK\r\n")
    dte.expect(r"OK\r\n")  # the "AT\r" after the five data bytes ran as a command
    assert dte.received.endswith(b">\r\n+XSEND: length,5,3132333435\r\n\r\nOK\r\n\r\nOK\r\n")
    dte.write("AT+XSEND=1,2,1\r")
    dte.expect(">")
    dte.write(b"xyAT\r")
    dte.expect(r"OK\r\n")
    dte.wait(0.5)
    assert dte.read_available() == b""  # "AT\r" was dropped with the excess


def test_prompt_idle_timeout_pushes_data():
    sim, module, dte = make()
    dte.write("AT+XSEND=2\r")
    dte.expect(">\r\n")
    dte.write(b"abc")
    t_sent = sim.now + 3 * BT
    dte.expect(r"OK\r\n", timeout=5)
    assert b"+XSEND: timeout,3,616263" in dte.received
    # The push happens 2 s after the last byte arrived, then the lines take wire time.
    tail = len(b"\r\n+XSEND: timeout,3,616263\r\n\r\nOK\r\n")
    assert sim.now == pytest.approx(t_sent + 2.0 + 0.0 + tail * BT, abs=1e-6)


def test_urc_during_prompt_waits_for_the_end_of_the_command():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.write("AT+XSEND=0\r")
    dte.expect(">")
    module.urc("+LATE: 1")
    dte.wait(0.2)
    assert dte.read_available() == b""
    dte.write(b"x\x1a")
    dte.expect(r"\+LATE: 1\r\n")
    assert dte.received.endswith(b"+XSEND: terminator,1,78\r\n\r\nOK\r\n\r\n+LATE: 1\r\n")


def test_at_and_w_z_and_f_profiles():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT+CMEE=2")
    dte.command("AT&W")
    dte.command("ATE1")
    dte.command("AT+CMEE=0")
    assert dte.command("ATZ").raw == b"ATZ\r\r\nOK\r\n"  # echo before the reset took effect
    assert dte.command("AT+CMEE?").raw == b"\r\n+CMEE: 2\r\n\r\nOK\r\n"
    dte.command("AT&F")
    assert dte.command("AT+CMEE?").raw == b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"


def test_boot_time_and_boot_urcs():
    sim, module, dte = make(boot_time=2.0, boot_urcs=("RDY", (0.5, "SMS DONE")), cold_start=True)
    dte.write("AT\r")
    dte.wait(1.0)
    assert dte.read_available() == b""  # a booting module ignores the UART
    dte.wait(1.05)
    assert dte.read_available() == b"\r\nRDY\r\n"  # at 2.0 s
    dte.wait(0.5)
    assert dte.read_available() == b"\r\nSMS DONE\r\n"  # 0.5 s later
    assert dte.command("AT").final == "OK"


def test_cfun_reset_reboots_after_the_ok():
    sim, module, dte = make(boot_time=3.0, boot_urcs=("RDY",))
    dte.wait(3.5)
    dte.read_available()
    dte.command("ATE0")
    assert dte.command("AT+CFUN=1,1").raw == b"\r\nOK\r\n"
    dte.expect(r"\r\nRDY\r\n", timeout=5)
    # The stored profile (echo on) is back after the restart.
    assert dte.command("AT").raw == b"AT\r\r\nOK\r\n"


def test_dialect_can_add_s_registers():
    sim, module, dte = make()
    module.s_ranges[25] = (0, 255)
    module.settings.s[25] = 5
    dte.command("ATE0")
    assert dte.command("ATS25?").lines == ["005"]
    assert dte.command("ATS25=9").ok


def test_dte_command_stops_at_a_data_prompt():
    sim, module, dte = make()
    r = dte.command("AT+XSEND=0")  # SIMCom-style "\r\n>" with no line end
    assert r.final == ">" and r.raw == b"AT+XSEND=0\r\r\n>"
    dte.write(b"hi\x1a")
    dte.expect(r"OK\r\n")
    r = dte.command("AT+XSEND=2")  # Fibocom-style ">\r\n"
    assert r.final == ">" and r.raw == b"AT+XSEND=2\r>\r\n"
    dte.write(b"x\x1a")
    dte.expect(r"OK\r\n")


def test_basic_command_bad_value_is_plain_error_even_with_cmee():
    sim, module, dte = make()
    dte.command("ATE0")
    dte.command("AT+CMEE=1")
    assert dte.command("ATE7").raw == b"\r\nERROR\r\n"
    assert dte.command("AT&D3").raw == b"\r\nERROR\r\n"
    assert dte.command("AT+CMEE=9").raw == b"\r\n+CME ERROR: 50\r\n"


def test_buggy_dialect_hooks_fall_back_to_error():
    from simnet import Simulation
    from simnet.modem import DTE, create_module
    from simnet.modem.dialect import Dialect

    class Broken(Dialect):
        def unknown_command(self, ctx, cmd):
            raise RuntimeError("hook bug")

        def syntax_error(self, ctx, text):
            return "not a Final"

        def on_start(self):
            raise RuntimeError("start bug")

    sim = Simulation(1)
    module = create_module(sim, "simcom-sim7600", dialect=Broken)
    dte = DTE(sim, module)
    assert dte.command("AT+NOPE").final == "ERROR"
    assert dte.command('AT+X="').final == "ERROR"
    assert len(sim.trace.select(kind="handler_error")) == 3
    assert dte.command("AT").final == "OK"
