"""Random +MIP command lines never crash the dialect: every line gets a final result, no
handler, callback or process error is traced, and the module still answers AT with OK."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.modem.vendors.fibocom.harness import mipcall, wait_for, world

NAMES = ["+MIPCALL", "+MIPOPEN", "+MIPCLOSE", "+MIPSETS", "+MIPDSETS", "+MIPSEND", "+MIPPUSH",
         "+MIPFLUSH", "+MIPCONF", "+MIPKEEPCONF", "+MPING", "+MSDNS", "+MSV6DNS", "+MIPODM",
         "+MIPDNS", "+MIPNTP", "+MIPREAD", "+GTSET"]
PARAM = st.one_of(
    st.integers(min_value=-5, max_value=70000).map(str),
    st.sampled_from(['"203.0.113.10"', '"echo.example.net"', '"41"', '"ZZ"', '""', "", '"IPRFMT"',
                     '"SENDTIME"', '"::1"', "0", "1", "7", "60", "2048"]),
    st.text(alphabet="0123456789ABCDEF\",.:", max_size=12),
)
LINE = st.tuples(st.sampled_from(NAMES), st.sampled_from(["", "?", "=?", "="]),
                 st.lists(PARAM, max_size=7)).map(
    lambda t: f"AT{t[0]}{t[1]}{','.join(t[2]) if t[1] == '=' else ''}")

UDP = {"echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "udp-echo", "port": 7}]}}


@settings(max_examples=40, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=8), st.booleans())
def test_random_mip_lines_never_break_the_module(lines: list[str], connected: bool) -> None:
    sim = world(hosts=UDP)
    if connected:
        mipcall(sim)
    for line in lines:
        sim.dte.write(line.encode() + b"\r")
        sim.advance(0.5)
        # a raw-send prompt may be open: end it the way the manual allows
        sim.dte.write(b"\x1a")
        sim.advance(13.0)
    sim.advance(70.0)
    sim.dte.read_available()
    sim.dte.write(b"+++")  # in case ODM took the UART
    sim.advance(2.0)
    sim.dte.read_available()
    sim.dte.write(b"AT\r")
    assert wait_for(sim, b"AT\r\r\nOK\r\n", 20)
    bad = [r for r in sim.trace.records
           if r.kind in ("handler_error", "callback_error", "process_error")]
    assert not bad, bad[0]
