"""Sans-IO AT syntax: line assembly, command-line parsing, result formatting (V.250 §5).

Expected values are written out by hand from the V.250 rules quoted in each test, not taken
from the code under test.
"""

import dataclasses

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from simnet.modem.at import ERROR as R_ERROR
from simnet.modem.at import NO_CARRIER as R_NO_CARRIER
from simnet.modem.at import OK as R_OK
from simnet.modem.at import (
    ArgumentError,
    Command,
    Final,
    Form,
    LineAssembler,
    LineOverflow,
    LineReady,
    NeedData,
    Param,
    ParseError,
    RepeatLast,
    ResultFormatter,
    ResultKind,
    cme_error,
    cms_error,
    connect,
    parse_command_line,
    split_params,
    text_result,
)

# -- line assembly --------------------------------------------------------------------------


def feed_all(asm: LineAssembler, data: bytes) -> list:
    events = []
    while data:
        ev = asm.feed(data)
        used = ev.consumed
        assert 0 < used <= len(data)
        data = data[used:]
        if not isinstance(ev, NeedData):
            events.append(ev)
    return events


def test_line_after_at_prefix_any_case():
    asm = LineAssembler()
    assert feed_all(asm, b"AT+CSQ\r") == [LineReady("+CSQ")]
    assert feed_all(asm, b"at+csq\r") == [LineReady("+csq")]
    assert feed_all(asm, b"aT\r") == [LineReady("")]


def test_noise_before_a_is_ignored_and_lf_after_cr_too():
    asm = LineAssembler()
    assert feed_all(asm, b"\x00\xff zz\nAT\r\n") == [LineReady("")]
    assert not asm.partial


def test_double_a_still_opens_the_line():
    assert feed_all(LineAssembler(), b"AAT+X\r") == [LineReady("+X")]


def test_feed_stops_at_the_end_of_a_line():
    asm = LineAssembler()
    ev = asm.feed(b"ATE0\rAT\r")
    assert ev == LineReady("E0") and ev.consumed == 5  # "ATE0\r" is five bytes


def test_backspace_edits_and_can_eat_the_prefix():
    asm = LineAssembler()
    assert feed_all(asm, b"AT+CGMX\x08I\r") == [LineReady("+CGMI")]
    # Backspace with an empty line deletes the T: the next T re-opens the line.
    assert feed_all(asm, b"AT\x08T+X\r") == [LineReady("+X")]


def test_s3_and_s5_can_be_changed():
    asm = LineAssembler(s3=ord("!"), s5=ord("#"))
    assert feed_all(asm, b"AT+CGMX#I!") == [LineReady("+CGMI")]


def test_a_slash_repeats_without_cr():
    assert feed_all(LineAssembler(), b"A/") == [RepeatLast()]
    assert feed_all(LineAssembler(), b"a/") == [RepeatLast()]


def test_control_characters_inside_a_line_are_dropped():
    assert feed_all(LineAssembler(), b"AT+C\x00S\x01Q\r") == [LineReady("+CSQ")]


def test_overlong_line_reports_overflow_and_memory_stays_bounded():
    asm = LineAssembler(max_line=556)
    events = feed_all(asm, b"AT" + b"x" * 10_000 + b"\r")
    assert events == [LineOverflow(10_000)]
    assert len(asm._buf) == 0
    # A line of exactly the buffer size is still accepted.
    assert feed_all(asm, b"AT" + b"y" * 556 + b"\r") == [LineReady("y" * 556)]
    assert feed_all(asm, b"AT" + b"y" * 557 + b"\r") == [LineOverflow(557)]


def test_partial_and_reset():
    asm = LineAssembler()
    assert feed_all(asm, b"AT+CS") == []
    assert asm.partial
    asm.reset()
    assert not asm.partial
    assert feed_all(asm, b"AT\r") == [LineReady("")]


# -- parsing ----------------------------------------------------------------------------------


def parse(text: str) -> list[Command]:
    out = parse_command_line(text)
    assert not isinstance(out, ParseError), out
    return out


def test_empty_line_is_no_command():
    assert parse("") == []


@pytest.mark.parametrize(
    ("text", "name", "form", "args"),
    [
        ("+CGMI", "+CGMI", Form.EXEC, ""),
        ("+CREG?", "+CREG", Form.READ, ""),
        ("+CREG=?", "+CREG", Form.TEST, ""),
        ("+CREG=2", "+CREG", Form.SET, "2"),
        ("+cgdcont=1,\"IP\",\"apn\"", "+CGDCONT", Form.SET, '1,"IP","apn"'),
        ("^SYSINFO", "^SYSINFO", Form.EXEC, ""),
        ("$QCPDPP?", "$QCPDPP", Form.READ, ""),
    ],
)
def test_extended_command_forms(text, name, form, args):
    (cmd,) = parse(text)
    assert (cmd.name, cmd.form, cmd.args) == (name, form, args)


def test_parameters_quoted_unquoted_empty_and_trailing():
    (cmd,) = parse('+X=1,"a,b;c",,bare,')
    assert cmd.params == (
        Param("1"),
        Param("a,b;c", quoted=True),
        Param(None),
        Param("bare"),
        Param(None),
    )
    (cmd,) = parse("+X=")
    assert cmd.params == (Param(None),)
    (cmd,) = parse('+X=""')
    assert cmd.params == (Param("", quoted=True),)


def test_spaces_outside_strings_are_ignored_inside_kept():
    (cmd,) = parse(' + CSCA = "+33 6" , 145 ')
    assert cmd.name == "+CSCA"
    assert cmd.params == (Param("+33 6", quoted=True), Param("145"))


def test_basic_commands_concatenate():
    cmds = parse("E0V1Q0X4&D2&C1&K3\\Q3")
    assert [(c.name, c.args) for c in cmds] == [
        ("E", "0"), ("V", "1"), ("Q", "0"), ("X", "4"), ("&D", "2"), ("&C", "1"), ("&K", "3"),
        ("\\Q", "3"),
    ]
    (e,) = parse("E")
    assert e.args == "" and e.params == ()


def test_s_registers_all_forms():
    r, s, t, x = parse("S3?S7=30S12=?S0")
    assert (r.name, r.form, r.index) == ("S", Form.READ, 3)
    assert (s.form, s.index, s.args) == (Form.SET, 7, "30")
    assert (t.form, t.index) == (Form.TEST, 12)
    assert (x.form, x.index) == (Form.EXEC, 0)


def test_dial_takes_the_rest_of_the_line_and_semicolon_marks_voice():
    (d,) = parse("D*99#")
    assert (d.name, d.args, d.index) == ("D", "*99#", 0)
    d, e = parse("D+33123;E0")
    assert (d.args, d.index) == ("+33123", 1)
    assert e.name == "E"


def test_compound_line_keeps_order():
    cmds = parse('+CMEE=1;+CREG?;E0;+CGDCONT=1,"IP","a;b"')
    assert [c.name for c in cmds] == ["+CMEE", "+CREG", "E", "+CGDCONT"]
    assert cmds[3].params[2] == Param("a;b", quoted=True)


@pytest.mark.parametrize(
    "text",
    [
        '+X="unterminated',
        '+X="a"b',
        '+X=a"b"',
        "+",
        "+CREG?X",
        "+CREG=?1",
        "S",
        "S=3",
        "&",
        "&1",
        "!",
    ],
)
def test_syntax_errors(text):
    assert isinstance(parse_command_line(text), ParseError)


def test_split_params_directly():
    assert split_params("1,2") == ((Param("1"), Param("2")), None)
    assert split_params('"x') == ((), "unterminated string")


def test_command_accessors_validate():
    (cmd,) = parse('+X=5,"str",,abc')
    assert cmd.int(0, lo=0, hi=9) == 5
    assert cmd.str(1) == "str"
    assert cmd.int(2, 7) == 7  # omitted -> default
    assert cmd.has(1) and not cmd.has(2) and not cmd.has(9)
    with pytest.raises(ArgumentError):
        cmd.int(0, lo=6)
    with pytest.raises(ArgumentError):
        cmd.int(1)  # quoted is not a number
    with pytest.raises(ArgumentError):
        cmd.int(3)
    with pytest.raises(ArgumentError):
        cmd.int(2)  # omitted, no default
    with pytest.raises(ArgumentError):
        cmd.str(1, require_quotes=False, max_len=2)
    with pytest.raises(ArgumentError):
        cmd.str(3, require_quotes=True)
    with pytest.raises(ArgumentError):
        cmd.max_params(3)
    assert cmd.int(0, allowed=(1, 5)) == 5


# -- result formatting (V.250 §5.7.1, TS 27.007 §9.1) ----------------------------------------


def fmt(verbose=True, quiet=False, cmee=0) -> ResultFormatter:
    f = ResultFormatter()
    f.verbose, f.quiet, f.cmee = verbose, quiet, cmee
    return f


def test_verbose_and_numeric_basic_codes():
    # V.250 Table 1: OK 0, CONNECT 1, NO CARRIER 3, ERROR 4; V1 frames with CR LF on both
    # sides, V0 prints the digit and a lone CR.
    assert fmt().final(R_OK) == b"\r\nOK\r\n"
    assert fmt(verbose=False).final(R_OK) == b"0\r"
    assert fmt().final(R_ERROR) == b"\r\nERROR\r\n"
    assert fmt(verbose=False).final(R_ERROR) == b"4\r"
    assert fmt(verbose=False).final(R_NO_CARRIER) == b"3\r"
    assert fmt().final(connect("115200")) == b"\r\nCONNECT 115200\r\n"
    assert fmt(verbose=False).final(connect("115200")) == b"1\r"


def test_quiet_suppresses_results_not_information():
    f = fmt(quiet=True)
    assert f.final(R_OK) == b""
    assert f.info("+CSQ: 1,2", first=True) == b"\r\n+CSQ: 1,2\r\n"


def test_information_framing():
    f = fmt()
    assert f.info("a", first=True) == b"\r\na\r\n"
    assert f.info("b", first=False) == b"b\r\n"
    assert fmt(verbose=False).info("a", first=True) == b"a\r\n"


def test_cme_per_cmee():
    table = {10: "SIM not inserted"}
    assert fmt(cmee=0).final(cme_error(10), table) == b"\r\nERROR\r\n"
    assert fmt(cmee=1).final(cme_error(10), table) == b"\r\n+CME ERROR: 10\r\n"
    assert fmt(cmee=2).final(cme_error(10), table) == b"\r\n+CME ERROR: SIM not inserted\r\n"
    # A code missing from the table falls back to the number.
    assert fmt(cmee=2).final(cme_error(999), table) == b"\r\n+CME ERROR: 999\r\n"
    assert fmt(cmee=0, verbose=False).final(cme_error(10), table) == b"4\r"
    assert fmt(cmee=1, verbose=False).final(cme_error(10), table) == b"+CME ERROR: 10\r\n"
    assert fmt(cmee=2).final(cms_error(321), None, {321: "invalid memory index"}) == (
        b"\r\n+CMS ERROR: invalid memory index\r\n"
    )


def test_text_results():
    assert fmt().final(text_result("CONNECT FAIL")) == b"\r\nCONNECT FAIL\r\n"
    assert fmt(verbose=False).final(text_result("NO DIALTONE", numeric=6)) == b"6\r"
    assert text_result("SEND FAIL", error=True).is_error


# -- properties -----------------------------------------------------------------------------



@given(st.text(max_size=200))
@example("S\u00b9")  # '¹' is a digit to str.isdigit, not to int
@example("AT+X=\u00b9;S\u00b2=1")
def test_parser_never_raises(text):
    out = parse_command_line(text)
    assert isinstance(out, list | ParseError)


@given(st.binary(max_size=400), st.lists(st.integers(min_value=1, max_value=50), max_size=20))
def test_assembler_events_do_not_depend_on_chunking(data, cuts):
    whole = feed_all(LineAssembler(max_line=40), data)
    asm = LineAssembler(max_line=40)
    pieces, pos = [], 0
    for c in cuts:
        pieces.append(data[pos : pos + c])
        pos += c
    pieces.append(data[pos:])
    events = []
    for piece in pieces:
        events += feed_all(asm, piece)
    assert events == whole
    assert len(asm._buf) <= 40


# -- the events and results stay frozen dataclasses (their __init__ is written out) -----------
# A value for each field name, unlike the field's default (compiled, the types are checked).
_MARKERS = {"text": "t", "consumed": 7, "value": "v", "quoted": True, "name": "+X",
            "form": Form.TEST, "args": "a", "params": (Param("p"),), "index": 3,
            "kind": ResultKind.BUSY, "code": 4, "numeric": 5, "error": True, "data": True}


@pytest.mark.parametrize("cls", [LineReady, NeedData, Param, Command, Final])
def test_a_written_out_init_takes_every_field_with_its_default(cls: type) -> None:
    fields = dataclasses.fields(cls)
    markers = {f.name: _MARKERS[f.name] for f in fields}
    required = {f.name: markers[f.name] for f in fields if f.default is dataclasses.MISSING}
    assert getattr(cls(*markers.values()), fields[-1].name) == markers[fields[-1].name]
    # one optional field given at a time, by keyword: it lands in its own attribute and every
    # other one keeps the dataclass's default
    for f in fields:
        obj = cls(**{**required, f.name: markers[f.name]})
        for g in fields:
            expected = markers[g.name] if g is f or g.name in required else g.default
            assert getattr(obj, g.name) == expected, (f.name, g.name)


def test_events_and_results_keep_their_dataclass_behaviour() -> None:
    cmd = Command("+CIPSEND", Form.SET, "0,1024", (Param("0"), Param("1024")), "+CIPSEND=0,1024")
    assert (cmd.name, cmd.form, cmd.args, cmd.index) == ("+CIPSEND", Form.SET, "0,1024", None)
    assert cmd.params == (Param("0", False), Param(value="1024"))
    same = Command(name="+CIPSEND", form=Form.SET, args="0,1024",
                   params=(Param("0"), Param("1024")), text="+CIPSEND=0,1024")
    assert cmd == same and hash(cmd) == hash(same)
    assert dataclasses.replace(cmd, index=3).index == 3
    assert LineReady("AT", 3) == LineReady("AT", 9)  # consumed is not part of the identity
    assert NeedData(4).consumed == 4 and NeedData() == NeedData(1)
    assert repr(Param("x", True)) == "Param(value='x', quoted=True)"
    assert Final(ResultKind.TEXT, None, "t", 5, True, True) == Final(
        ResultKind.TEXT, text="t", numeric=5, error=True, data=True)
    for obj, name in ((cmd, "text"), (Param("1"), "value"), (LineReady("x"), "text"),
                      (NeedData(), "consumed"), (R_OK, "kind")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, "changed")
