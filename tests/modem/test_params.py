"""The dialect kit's parameter rows (simnet.modem.params): one row answers the test, set and
read forms; values keep as long as their persistence says (volatile, profile, non-volatile);
indexed rows; guards; the dialect's own error policy; requirements. Exact bytes on the UART."""

from __future__ import annotations

import pytest

from simnet.kernel import Simulation
from simnet.modem import DTE, Module, create_module
from simnet.modem.at import ERROR, Command, Final, Form, cme_error
from simnet.modem.dialect import Context, Dialect, command, setting_command, sim_ready
from simnet.modem.params import (
    OneOf,
    Param,
    Persistence,
    Range,
    Setting,
    Text,
    Value,
    parse_set,
    render_read,
    render_test,
)
from tests.modem.helpers import FAST, FakeBearer, FakeSimCard

# Rows a vendor's tables.py would hold (values from no manual: the kit is under test).
XMODE = Setting("+XMODE", (Param("mode", Range(0, 2), 1), Param("level", OneOf((0, 5, 9)), 5)),
                "test", forms="trse", reset_on_exec=True)
XNAME = Setting("+XNAME", (Param("name", Text(8, min_len=1), ""), Param("tz", Range(-4, 4), 0)),
                "test", persistence=Persistence.NV, keep_omitted=False)
XPROF = Setting(
    "+XPROF", (Param("speed", Range(1, 9), 3),), "test", persistence=Persistence.PROFILE
)
XSOCK = Setting(
    "+XSOCK",
    (Param("retries", Range(1, 12), 5), Param("nack", Range(0, 2), 0)),
    "test",
    index=Param("socket", Range(1, 3), 1),
    required=0,
)
XGUARD = Setting("+XGUARD", (Param("on", Range(0, 1), 0),), "test")
XSIM = Setting("+XSIM", (Param("on", Range(0, 1), 0),), "test", requires=(sim_ready,))


class KitDialect(Dialect):
    own_bad_argument = cme_error(2000)
    own_unsupported_form = cme_error(4)
    settings = (XMODE, XNAME, XPROF, XSOCK, XSIM)

    def __init__(self, module: object) -> None:
        super().__init__(module)  # type: ignore[arg-type]
        self.locked = False

    @setting_command(XGUARD)
    def xguard(self, ctx: Context, cmd: Command) -> Final | None:
        return self.setting(ctx, cmd, XGUARD, guard=self._unlocked, applied=self._note)

    def _unlocked(self, ctx: Context, new: dict[str, Value]) -> Final | None:
        return ERROR if self.locked else None

    def _note(self, ctx: Context, new: dict[str, Value]) -> None:
        ctx.info(f"+XGUARD: now {new['on']}")

    @command("+XLOCK", forms="e")
    def xlock(self, ctx: Context, cmd: Command) -> Final | None:
        self.locked = True
        return None


def make(**kw: object) -> tuple[Simulation, DTE]:
    sim, _module, dte = make_module(**kw)
    return sim, dte


def make_module(**kw: object) -> tuple[Simulation, Module, DTE]:
    sim = Simulation(1)
    module = create_module(
        sim,
        "simcom-sim7600",
        FakeBearer(**kw),
        None,
        dialect=KitDialect,
        latency=dict(FAST),
        echo=False,
    )
    return sim, module, DTE(sim, module)


def raw(dte: DTE, line: str) -> bytes:
    return dte.command(line).raw


def test_one_row_answers_test_set_read_and_exec() -> None:
    _sim, dte = make()
    assert raw(dte, "AT+XMODE=?") == b"\r\n+XMODE: (0-2),(0,5,9)\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 1,5\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XMODE=2") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 2,5\r\n\r\nOK\r\n"  # omitted: kept
    assert raw(dte, "AT+XMODE=,9") == b"\r\nERROR\r\n"  # <mode> is required (required=1)
    assert raw(dte, "AT+XMODE=2,9") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XMODE=0") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 0,9\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XMODE") == b"\r\nOK\r\n"  # exec restores the defaults
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 1,5\r\n\r\nOK\r\n"


def test_bad_values_answer_the_dialect_error_and_change_nothing() -> None:
    sim, dte = make()
    assert raw(dte, "AT+CMEE=1") == b"\r\nOK\r\n"
    for line in (
        "AT+XMODE=3",
        "AT+XMODE=1,4",
        "AT+XMODE=1,5,0",
        "AT+XMODE=a",
        'AT+XMODE="1"',
        "AT+XMODE=",
    ):  # out of range, not listed, too many, not a number, quoted, none
        assert raw(dte, line) == b"\r\n+CME ERROR: 2000\r\n", line
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 1,5\r\n\r\nOK\r\n"
    traced = [r.fields["message"] for r in sim.trace.records if r.kind == "bad_argument"]
    assert traced[:3] == [
        "parameter 1: 3 above 2",
        "parameter 2: 4 not one of (0, 5, 9)",
        "parameter 3: at most 2 parameters",
    ]
    # A form the row does not have: the dialect's own answer for its own commands.
    assert raw(dte, "AT+XPROF") == b"\r\n+CME ERROR: 4\r\n"


def test_text_and_signed_values_with_omitted_taking_defaults() -> None:
    _sim, dte = make()
    assert raw(dte, "AT+XNAME=?") == b"\r\n+XNAME: ,(-4-4)\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XNAME?") == b'\r\n+XNAME: "",0\r\n\r\nOK\r\n'
    assert raw(dte, 'AT+XNAME="abc",-3') == b"\r\nOK\r\n"
    assert raw(dte, "AT+XNAME?") == b'\r\n+XNAME: "abc",-3\r\n\r\nOK\r\n'
    assert raw(dte, 'AT+XNAME="abc"') == b"\r\nOK\r\n"  # keep_omitted=False: tz back to 0
    assert raw(dte, "AT+XNAME?") == b'\r\n+XNAME: "abc",0\r\n\r\nOK\r\n'
    assert raw(dte, 'AT+XNAME="",1') == b"\r\nERROR\r\n"  # shorter than its minimum
    assert raw(dte, 'AT+XNAME="abcdefghi"') == b"\r\nERROR\r\n"  # longer than 8
    assert raw(dte, 'AT+XNAME="x",+5') == b"\r\nERROR\r\n"


def test_persistence_volatile_profile_and_nonvolatile() -> None:
    sim, module, dte = make_module()
    for line in ("AT+XMODE=0", 'AT+XNAME="keep"', "AT+XPROF=7"):
        assert raw(dte, line) == b"\r\nOK\r\n"
    # ATZ restores the stored profile: the profile row goes back, the others stay.
    assert raw(dte, "ATZ") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XPROF?") == b"\r\n+XPROF: 3\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 0,5\r\n\r\nOK\r\n"
    # AT&W stores it: ATZ then restores 7.
    assert raw(dte, "AT+XPROF=7") == b"\r\nOK\r\n"
    assert raw(dte, "AT&W") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XPROF=2") == b"\r\nOK\r\n"
    assert raw(dte, "ATZ") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XPROF?") == b"\r\n+XPROF: 7\r\n\r\nOK\r\n"
    # A restart: volatile back to its default, non-volatile and the stored profile kept.
    module.reboot("test")
    sim.advance(module.profile.boot_time + 5)
    dte.read_available()
    assert dte.command("ATE0").ok
    assert raw(dte, "AT+XMODE?") == b"\r\n+XMODE: 1,5\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XNAME?") == b'\r\n+XNAME: "keep",0\r\n\r\nOK\r\n'
    assert raw(dte, "AT+XPROF?") == b"\r\n+XPROF: 7\r\n\r\nOK\r\n"
    # AT&F: factory defaults for the profile.
    assert raw(dte, "AT&F") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XPROF?") == b"\r\n+XPROF: 3\r\n\r\nOK\r\n"


def test_indexed_row_keeps_values_per_index() -> None:
    _sim, dte = make()
    assert raw(dte, "AT+XSOCK=?") == b"\r\n+XSOCK: (1-3),(1-12),(0-2)\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XSOCK=2,9") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XSOCK=3,,2") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XSOCK?") == (
        b"\r\n+XSOCK: 1,5,0\r\n+XSOCK: 2,9,0\r\n+XSOCK: 3,5,2\r\n\r\nOK\r\n"
    )
    assert raw(dte, "AT+XSOCK=4,1") == b"\r\nERROR\r\n"  # no socket 4
    assert raw(dte, "AT+XSOCK=,1") == b"\r\nERROR\r\n"  # the index is required


def test_guard_refuses_and_effect_follows_the_store() -> None:
    _sim, dte = make()
    assert raw(dte, "AT+XGUARD=1") == b"\r\n+XGUARD: now 1\r\n\r\nOK\r\n"
    assert raw(dte, "AT+XLOCK") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XGUARD=0") == b"\r\nERROR\r\n"
    assert raw(dte, "AT+XGUARD?") == b"\r\n+XGUARD: 1\r\n\r\nOK\r\n"


@pytest.mark.parametrize(
    ("state", "answer"),
    [
        ("pin", b"\r\n+CME ERROR: 11\r\n"),
        ("puk", b"\r\n+CME ERROR: 12\r\n"),
        ("absent", b"\r\n+CME ERROR: 10\r\n"),
    ],
)
def test_requirement_runs_before_the_row(state: str, answer: bytes) -> None:
    _sim, dte = make(sim_card=FakeSimCard(state=state))
    assert raw(dte, "AT+CMEE=1") == b"\r\nOK\r\n"
    assert raw(dte, "AT+XSIM=1") == answer
    assert raw(dte, "AT+XSIM=?") == b"\r\n+XSIM: (0-1)\r\n\r\nOK\r\n"  # test forms still answer


def test_pure_functions() -> None:
    row = Setting(
        "+Y",
        (Param("a", Range(0, 3), 1), Param("b", Text(4, choices=("X", "YZ"), upper=True), "X")),
        "test",
        read="{name}: {values},9",
    )
    assert render_test(row) == '+Y: (0-3),("X","YZ")'
    assert render_read(row, {"a": 2, "b": "YZ"}) == '+Y: 2,"YZ",9'
    cmd = Command("+Y", Form.SET, '2,"yz"', ())
    from simnet.modem.at import split_params

    cmd = Command("+Y", Form.SET, '2,"yz"', split_params('2,"yz"')[0])
    assert parse_set(row, cmd, row.defaults()) == {"a": 2, "b": "YZ"}
    with pytest.raises(ValueError):
        Setting("+Z", (Param("a", Range(0, 3), 7),), "test")  # default outside the range
