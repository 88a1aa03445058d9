"""Parameter commands of both documents, byte for byte on the UART (no network needed).

Expected bytes are written out by hand from the documents: V.250 framing (echo of the command
line ending in CR, information lines as CR LF text CR LF, final result CR LF OK CR LF) and the
response texts of the SIM7600 manual (S76 Lxxxx) and the A76xx note (A76 x.y).
"""

from __future__ import annotations

import pytest

from tests.modem.vendors.simcom.harness import exchange, world

MODULES = ["simcom-sim7600", "simcom-a7670"]


def _info(info: tuple[str, ...]) -> bytes:
    # V.250: CR LF before the first information line only, CR LF after each one.
    if not info:
        return b""
    return b"\r\n" + b"".join(i.encode() + b"\r\n" for i in info)


def ok_after(line: str, *info: str) -> bytes:
    return line.encode() + b"\r" + _info(info) + b"\r\nOK\r\n"


def error_after(line: str, *info: str) -> bytes:
    return line.encode() + b"\r" + _info(info) + b"\r\nERROR\r\n"


@pytest.mark.parametrize("module", MODULES)
def test_test_forms(module: str) -> None:
    sim = world(module)
    cases = {
        "AT+CIPOPEN=?": '+CIPOPEN: (0-9),("TCP","UDP")',  # S76 L1103
        "AT+CIPCLOSE=?": "+CIPCLOSE: (0-9)",  # L1104
        "AT+CIPSEND=?": "+CIPSEND: (0-9),(1-1500)",  # L1105
        "AT+CIPRXGET=?": "+CIPRXGET: (0-4),(0-9),(1-1500)",  # L1106
        "AT+CIPHEAD=?": "+CIPHEAD: (0-1)",  # L1108
        "AT+CIPSRIP=?": "+CIPSRIP: (0-1)",  # L1109
        "AT+CIPMODE=?": "+CIPMODE: (0-1)",  # L1110
        "AT+CIPSENDMODE=?": "+CIPSENDMODE: (0-1)",  # L1111
        "AT+CIPCCFG=?": "+CIPCCFG: (0-10),(0-1000),(0),(0-1),(0-1),(0-1),(500-120000)",  # L1113
        "AT+SERVERSTART=?": "+SERVERSTART: (0-65535),(0-3)",  # L1114
        "AT+CIPACK=?": "+CIPACK: (0-9)",  # L1116
    }
    for line, info in cases.items():
        expected = ok_after(line, info)
        assert exchange(sim, line, expected) == expected
    for line in ("AT+CDNSGIP=?", "AT+CDNSGHNAME=?", "AT+CPINGSTOP=?"):  # L1131/1132/1135: OK
        expected = line.encode() + b"\r\r\nOK\r\n"
        assert exchange(sim, line, expected) == expected


@pytest.mark.parametrize("module", MODULES)
def test_read_defaults(module: str) -> None:
    sim = world(module)
    cases = {
        "AT+NETOPEN?": "+NETOPEN: 0",
        "AT+CIPRXGET?": "+CIPRXGET: 0",
        "AT+CIPHEAD?": "+CIPHEAD: 1",
        "AT+CIPSRIP?": "+CIPSRIP: 1",
        "AT+CIPMODE?": "+CIPMODE: 0",
        "AT+CIPSENDMODE?": "+CIPSENDMODE: 0",
        "AT+CIPTIMEOUT?": "+CIPTIMEOUT: 120000,120000,120000",
        "AT+CIPCCFG?": "+CIPCCFG: 10,0,0,1,0,0,500",
        "AT+CIPDNSSET?": "+CIPDNSSET: 3,30000,7",
        "AT+CIPCLOSE?": "+CIPCLOSE: 0,0,0,0,0,0,0,0,0,0",
    }
    for line, info in cases.items():
        expected = ok_after(line, info)
        assert exchange(sim, line, expected) == expected
    lines = [f"+CIPOPEN: {i}" for i in range(10)]
    expected = ok_after("AT+CIPOPEN?", *lines)
    assert exchange(sim, "AT+CIPOPEN?", expected) == expected


def test_switch_write_execute_and_range() -> None:
    sim = world()
    for name in ("CIPHEAD", "CIPSRIP", "CIPMODE", "CIPSENDMODE"):
        for value in (0, 1):
            line = f"AT+{name}={value}"
            assert exchange(sim, line, ok_after(line)) == ok_after(line)
            read = f"AT+{name}?"
            assert exchange(sim, read, ok_after(read, f"+{name}: {value}")) == ok_after(
                read, f"+{name}: {value}"
            )
        for bad in ("2", "-1", "x", "0,0"):
            line = f"AT+{name}={bad}"
            assert exchange(sim, line, error_after(line)) == error_after(line)
    # Execute forms restore the defaults (L1108 1, L1109 1, L1110 0); CIPSENDMODE has none.
    for name, default in (("CIPHEAD", 1), ("CIPSRIP", 1), ("CIPMODE", 0)):
        assert exchange(sim, f"AT+{name}", ok_after(f"AT+{name}")) == ok_after(f"AT+{name}")
        read = f"AT+{name}?"
        assert exchange(sim, read, ok_after(read, f"+{name}: {default}")) == ok_after(
            read, f"+{name}: {default}"
        )
    assert exchange(sim, "AT+CIPSENDMODE", error_after("AT+CIPSENDMODE")) == error_after(
        "AT+CIPSENDMODE"
    )


def test_ciptimeout_ranges() -> None:
    # S76 L1112: each value 3000-120000 ms, each optional.
    sim = world()
    for line in ("AT+CIPTIMEOUT=3000,3000,3000", "AT+CIPTIMEOUT=120000", "AT+CIPTIMEOUT=,,4000"):
        assert exchange(sim, line, ok_after(line)) == ok_after(line)
    expected = ok_after("AT+CIPTIMEOUT?", "+CIPTIMEOUT: 120000,3000,4000")
    assert exchange(sim, "AT+CIPTIMEOUT?", expected) == expected
    for line in (
        "AT+CIPTIMEOUT=2999",
        "AT+CIPTIMEOUT=,120001",
        "AT+CIPTIMEOUT=1,2,3,4",
        "AT+CIPTIMEOUT=?",
        "AT+CIPTIMEOUT",
    ):
        assert exchange(sim, line, error_after(line)) == error_after(line)


def test_cipccfg_each_range() -> None:
    sim = world()
    # (position, lowest, highest) from S76 L1113
    ranges = [
        (0, 0, 10),
        (1, 0, 1000),
        (2, 0, 0),
        (3, 0, 1),
        (4, 0, 1),
        (5, 0, 1),
        (6, 500, 120000),
    ]
    for pos, lo, hi in ranges:
        for value, good in ((lo, True), (hi, True), (hi + 1, False)):
            args = "," * pos + str(value)
            line = f"AT+CIPCCFG={args}"
            want = ok_after(line) if good else error_after(line)
            assert exchange(sim, line, want) == want
        if lo > 0:
            line = f"AT+CIPCCFG={',' * pos}{lo - 1}"
            assert exchange(sim, line, error_after(line)) == error_after(line)
    expected = ok_after("AT+CIPCCFG?", "+CIPCCFG: 10,1000,0,1,1,1,120000")
    assert exchange(sim, "AT+CIPCCFG?", expected) == expected
    assert exchange(sim, "AT+CIPCCFG", ok_after("AT+CIPCCFG")) == ok_after("AT+CIPCCFG")
    expected = ok_after("AT+CIPCCFG?", "+CIPCCFG: 10,0,0,1,0,0,500")
    assert exchange(sim, "AT+CIPCCFG?", expected) == expected


def test_cipdnsset_ranges() -> None:
    sim = world()
    line = "AT+CIPDNSSET=1,30000,3"  # the L1133 example's values
    assert exchange(sim, line, ok_after(line)) == ok_after(line)
    expected = ok_after("AT+CIPDNSSET?", "+CIPDNSSET: 1,30000,3")
    assert exchange(sim, "AT+CIPDNSSET?", expected) == expected
    for bad in ("4", ",2999", ",,8"):
        line = f"AT+CIPDNSSET={bad}"
        assert exchange(sim, line, error_after(line)) == error_after(line)


def test_errors_before_netopen_sim7600() -> None:
    sim = world("simcom-sim7600")
    cases = [
        ('AT+CIPOPEN=0,"TCP","116.228.221.51",100', "+CIPOPEN: 0,2"),  # L1103, A76 4.1 <err> 2
        ("AT+CIPSEND=0,5", "+CIPERROR: 2"),  # L1105
        ("AT+SERVERSTART=8080,0", "+CIPERROR: 2"),  # L1114
        ("AT+SERVERSTART?", "+CIPERROR: 2"),  # L1114 read form
        ("AT+NETCLOSE", "+NETCLOSE: 2"),  # L1102
        ("AT+IPADDR", "+IP ERROR: Network not opened"),  # L1107
        ("AT+CIPACK=0", "+IP ERROR: Network not opened"),  # L1116
        ('AT+CIPOPEN=12,"TCP","116.228.221.51",100', "+IP ERROR: Invalid parameter"),  # L1103
    ]
    for line, info in cases:
        assert exchange(sim, line, error_after(line, info)) == error_after(line, info)


def test_ipaddr_before_netopen_a7670_follows_its_note() -> None:
    # A76 3.1.4 prints "+IPADDR: Network not opened" where the SIM7600 manual (L1107) has
    # "+IP ERROR: Network not opened".
    sim = world("simcom-a7670")
    expected = error_after("AT+IPADDR", "+IPADDR: Network not opened")
    assert exchange(sim, "AT+IPADDR", expected) == expected


def test_errmode_numeric() -> None:
    sim = world()
    assert exchange(sim, "AT+CIPCCFG=,,,0", ok_after("AT+CIPCCFG=,,,0")) == ok_after(
        "AT+CIPCCFG=,,,0"
    )
    # A76 4.1: "Network not opened" is 8, "Invalid parameter" 12
    expected = error_after("AT+CIPACK=0", "+IP ERROR: 8")
    assert exchange(sim, "AT+CIPACK=0", expected) == expected
    line = 'AT+CIPOPEN=99,"TCP","116.228.221.51",100'
    assert exchange(sim, line, error_after(line, "+IP ERROR: 12")) == error_after(
        line, "+IP ERROR: 12"
    )


def test_typo_commands_of_the_note_are_unknown() -> None:
    # A76 3.2.1 writes AT+CIOPEN and 3.2.3 AT+CIPOEPN: a real module only knows AT+CIPOPEN.
    sim = world("simcom-a7670")
    for line in (
        'AT+CIOPEN=1,"TCP","117.131.85.139",5253',
        "AT+CIOPEN?",
        'AT+CIPOEPN=0,"TCP","117.131.85.139",5253',
    ):
        assert exchange(sim, line, error_after(line)) == error_after(line)
