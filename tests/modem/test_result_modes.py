"""Every syntax form in every result-code mode, byte for byte.

The expected bytes are rendered here by an independent function written from V.250 §5.7:
echo (ATE1) returns the characters as typed including the S3 CR; under ATV1 each command's
information text is framed ``CR LF line (CR LF line)* CR LF`` and the final result code
``CR LF text CR LF``; under ATV0 information lines end in ``CR LF`` and the result code is the
digit and a lone ``CR``; ATQ1 suppresses the result code only.
"""

import itertools

import pytest

from tests.modem.helpers import FakeBearer, make

# (line, information blocks (one per command that prints), final: "OK" or "ERROR")
CASES = [
    ("AT", [], "OK"),
    ("at", [], "OK"),
    ("AT+CMEE", [], "OK"),  # extended, exec form
    ("AT+CMEE?", [["+CMEE: 0"]], "OK"),  # read form
    ("AT+CMEE=?", [["+CMEE: (0-2)"]], "OK"),  # test form
    ("AT+CMEE=0", [], "OK"),  # set form
    ("at+cmee?", [["+CMEE: 0"]], "OK"),  # case-insensitive name
    ("ATS7?", [["060"]], "OK"),  # S-parameter read
    ("ATS7=?", [["S7: (1-255)"]], "OK"),  # S-parameter test
    ("ATS7=60", [], "OK"),  # S-parameter set
    ('AT+CSCS="IRA"', [], "OK"),  # quoted string parameter
    ("AT+CSMP=17,,0,0", [], "OK"),  # empty (omitted) parameter
    ("AT+CSMP=17,,0,0;+CSMP?", [["+CSMP: 17,167,0,0"]], "OK"),  # omitted keeps the value
    ("AT+CMEE=0;+CMEE?;S7?", [["+CMEE: 0"], ["060"]], "OK"),  # compound line
    ("ATX4&D1&C1", [], "OK"),  # concatenated basic commands
    ("AT+CGMI;+CGMM", [["SIMCOM INCORPORATED"], ["SIMCOM_SIM7600E-H"]], "OK"),
    ('AT+CSCS="IRA";+CSCS?', [['+CSCS: "IRA"']], "OK"),
    ("AT + CMEE ?", [["+CMEE: 0"]], "OK"),  # spaces ignored
    ("AT+CGDCONT=?", [[
        '+CGDCONT: (1-16),"IP",,,(0-2),(0-4)', '+CGDCONT: (1-16),"PPP",,,(0-2),(0-4)',
        '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)',
    ]], "OK"),  # one multi-line information response
    ("AT+NOPE", [], "ERROR"),  # unknown
    ("AT+CMEE=5", [], "ERROR"),  # out of range (CME 50 shown as ERROR under CMEE=0)
    ('AT+CSCS="IRA', [], "ERROR"),  # unterminated string
    ("AT+CMEE?;+NOPE;+CMEE?", [["+CMEE: 0"]], "ERROR"),  # stops at the first error
    ("ATS99?", [], "ERROR"),  # no such register
]

MODES = [  # (echo, verbose, quiet)
    (1, 1, 0), (0, 1, 0), (1, 0, 0), (0, 0, 0), (1, 1, 1), (0, 1, 1), (1, 0, 1), (0, 0, 1),
]

NUMERIC = {"OK": "0", "ERROR": "4"}


def render(
    line: str, blocks: list[list[str]], final: str, echo: int, verbose: int, quiet: int
) -> bytes:
    out = line + "\r" if echo else ""
    for block in blocks:
        if verbose:
            out += "\r\n" + "".join(text + "\r\n" for text in block)
        else:
            out += "".join(text + "\r\n" for text in block)
    if not quiet:
        out += f"\r\n{final}\r\n" if verbose else NUMERIC[final] + "\r"
    return out.encode()


@pytest.mark.parametrize(("echo", "verbose", "quiet"), MODES)
def test_every_form_in_every_mode(echo, verbose, quiet):
    sim, module, dte = make(bearer=FakeBearer())
    dte.write(f"ATE{echo}V{verbose}Q{quiet}\r")
    dte.wait(0.2)
    dte.read_available()
    for line, blocks, final in CASES:
        dte.write(line + "\r")
        dte.wait(0.2)
        assert dte.read_available() == render(line, blocks, final, echo, verbose, quiet), line


def test_a_slash_in_every_mode():
    for echo, verbose, quiet in MODES:
        sim, module, dte = make()
        dte.write(f"ATE{echo}V{verbose}Q{quiet}\r")
        dte.wait(0.2)
        dte.write("AT+CMEE?\r")
        dte.wait(0.2)
        dte.read_available()
        dte.write("A/")
        dte.wait(0.2)
        expected = render("AT+CMEE?", [["+CMEE: 0"]], "OK", 0, verbose, quiet)
        assert dte.read_available() == (b"A/" if echo else b"") + expected


def test_backspace_in_every_mode():
    for echo, verbose, quiet in itertools.product((0, 1), (0, 1), (0,)):
        sim, module, dte = make()
        dte.write(f"ATE{echo}V{verbose}Q{quiet}\r")
        dte.wait(0.2)
        dte.read_available()
        typed = "AT+CMEX\x08E?"
        dte.write(typed + "\r")
        dte.wait(0.2)
        # The echo shows the keystrokes as typed (backspace included).
        assert dte.read_available() == render(typed, [["+CMEE: 0"]], "OK", echo, verbose, quiet)
