"""Validation of the scenario contract: each error form names FILE:LINE: key.path, all errors
are collected, nothing runs. Line numbers are counted by ``line_of`` on the test text itself."""

from __future__ import annotations

import pytest

from simnet.scenario.loader import load_text
from simnet.scenario.schema import FAULT_ACTIONS, decode_escapes, known_module_ids, validate
from tests.scenario.helpers import dedent, line_of, problems_of

MODULE = "simcom-sim7600"

BASE = dedent(f"""
    name: base
    module: {MODULE}
    network:
      link: {{delay: 300ms}}
    hosts:
      echo.example.net:
        ip: 203.0.113.10
        msisdn: "+33611111111"
        services:
          - {{type: tcp-echo, port: 7}}
      ftp.example.net:
        ip: 203.0.113.20
        services:
          - {{type: ftp, port: 21}}
      mail.example.net:
        ip: 203.0.113.30
        services:
          - {{type: smtp, port: 25}}
          - {{type: pop3, port: 110}}
    steps:
      - send: AT
      - expect: OK
""")


def with_lines(extra: str) -> str:
    return BASE + dedent(extra)


def only(text: str, file: str = "s.yaml") -> str:
    problems = problems_of(text, file)
    assert len(problems) == 1, problems
    return problems[0]


def test_base_is_valid():
    assert problems_of(BASE) == []


# -- each error form ----------------------------------------------------------------------------


def test_unknown_top_level_key_names_file_line_and_key():
    text = BASE + "colour: blue\n"
    msg = only(text, "dir/my.yaml")
    assert msg.startswith(
        f"dir/my.yaml:{line_of(text, 'colour')}: colour: unknown key (expected one of "
    )
    assert "steps" in msg


def test_unknown_nested_key_has_full_path():
    text = BASE.replace("link: {delay: 300ms}", "link: {delay: 300ms, wobble: 3}")
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'wobble')}: network.link.wobble: unknown key (expected one of "
        "delay, jitter, rate, loss"
    )


def test_wrong_type_seed():
    text = BASE + "seed: lots\n"
    assert (
        only(text)
        == f"s.yaml:{line_of(text, 'seed')}: seed: got text 'lots' (expected a non-negative "
           f"integer from 0 to {2**63 - 1})"
    )


def test_wrong_type_hosts_list():
    text = BASE.replace("network:\n  link: {delay: 300ms}\n", "")
    text = (
        text.replace("hosts:\n", "hosts:\n  - broken\n", 1).split("  echo.example.net")[0]
        + "steps:\n  - send: AT\n"
    )
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, '- broken')}: hosts: got a list (expected a mapping of host name "
        f"to {{ip:, services:}})"
    )


def test_duration_without_valid_unit():
    text = BASE.replace("delay: 300ms", "delay: 300 parsecs")
    assert only(text) == (
        f"s.yaml:{line_of(text, 'parsecs')}: network.link.delay: unknown duration unit 'parsecs' "
        "(expected one of us, ms, s, sec, min, h)"
    )


def test_duration_not_a_number():
    text = BASE.replace("  - expect: OK", "  - expect: OK\n    within: soon")
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'within: soon')}: steps[1].within: got 'soon' (expected a duration "
        "such as 250ms or 2s)"
    )


def test_rate_with_bad_unit():
    text = BASE.replace("delay: 300ms", "rate: 40kbit/s")
    msg = only(text)
    assert msg.startswith(f"s.yaml:{line_of(text, '40kbit')}: network.link.rate: ")
    assert "(expected" in msg


def test_unknown_module():
    ids = known_module_ids()
    if ids is None:
        pytest.skip("module registry not built yet")
    text = BASE.replace(f"module: {MODULE}", "module: nokia-3310")
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'nokia')}: module: unknown module 'nokia-3310' (expected one of "
    )
    assert MODULE in msg


def test_unknown_host_in_fault_and_check():
    text = with_lines("""
        faults:
          - {at: 1s, action: server-refuse, host: nowhere.example.net}
        checks:
          - {host: elsewhere.example.net, service: tcp-echo, bytes_received: 1}
    """)
    problems = problems_of(text)
    assert problems[0].startswith(
        f"s.yaml:{line_of(text, 'nowhere')}: faults[0].host: unknown host 'nowhere.example.net' "
        "(expected one of echo.example.net, ftp.example.net, mail.example.net)"
    )
    assert problems[1].startswith(
        f"s.yaml:{line_of(text, 'elsewhere')}: checks[0].host: unknown host 'elsewhere.example.net'"
    )
    assert len(problems) == 2


def test_unknown_service_type():
    text = BASE.replace("type: tcp-echo", "type: gopher")
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'gopher')}: hosts.echo.example.net.services[0].type: unknown value "
        "'gopher' (expected one of "
    )


def test_unknown_action():
    text = with_lines("""
        faults:
          - {at: 1s, action: meteor-strike}
    """)
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'meteor')}: faults[0].action: unknown action 'meteor-strike' "
        "(expected one of link-outage,"
    )


def test_unknown_step_kind():
    text = BASE.replace("  - expect: OK", "  - expext: OK")
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'expext')}: steps[1].expext: unknown key (expected one of send, "
        "send_raw"
    )


def test_unknown_check_form():
    text = with_lines("""
        checks:
          - {host: echo.example.net, colour: red}
    """)
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'colour: red')}: checks[0]: unknown check (expected file:, "
        "mailbox:, service: or tcp_retransmissions:"
    )


def test_service_check_against_missing_service():
    text = with_lines("""
        checks:
          - {host: echo.example.net, service: udp-echo, bytes_received: 1}
    """)
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:{line_of(text, 'udp-echo, bytes')}: checks[0].service: echo.example.net has no "
        "such service (expected one of tcp-echo:7)"
    )


def test_a_check_on_a_service_the_file_got_wrong_is_one_problem_not_two():
    """A port out of range also gave `checks[0].service: echo.example.net has no such service
    (expected one of its services)`: the check was fine, the service was not."""
    text = with_lines("""
        checks:
          - {host: echo.example.net, service: tcp-echo, bytes_received: 1}
    """).replace("{type: tcp-echo, port: 7}", "{type: tcp-echo, port: 500000}")
    assert only(text) == (
        f"s.yaml:{line_of(text, 'port: 500000')}: hosts.echo.example.net.services[0].port: "
        "500000 is out of range (expected a port from 1 to 65535)"
    )


def test_missing_required_keys():
    text = "description: nothing else\n"
    problems = problems_of(text)
    paths = [p.split(": ")[1] for p in problems]
    assert sorted(paths) == ["module", "name"]  # steps are optional (a Python or pty host)
    assert all(p.startswith("s.yaml:1: ") for p in problems)


def test_steps_are_optional_for_python_hosts_but_run_says_there_is_nothing_to_run(tmp_path):
    import io

    import simnet
    from simnet.scenario.cli import main

    data = {"name": "world only", "module": "simcom-sim7600"}
    sim = simnet.Simulation.from_dict(data)
    assert sim.dte.command("AT").final == "OK"
    path = tmp_path / "world.yaml"
    path.write_text("name: world only\nmodule: simcom-sim7600\n")
    assert simnet.Simulation.from_yaml(path).scenario.steps == []
    err = io.StringIO()
    assert main(["run", str(path)], out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith(f"{path}:1: steps: nothing to run")
    assert problems_of(
        "name: x\nmodule: simcom-sim7600\nsteps:\n"
    )  # an empty `steps:` is still wrong


def test_all_errors_are_collected():
    text = (
        BASE.replace("delay: 300ms", "delay: 3 fortnights").replace("port: 7", "port: 70000")
        + "bogus: 1\n"
    )
    problems = problems_of(text)
    assert len(problems) == 3
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(
        [line_of(text, "fortnights"), line_of(text, "70000"), line_of(text, "bogus")]
    )


def test_yaml_syntax_error_has_line():
    text = "name: x\nmodule: y\nsteps:\n  - send: [unclosed\n"
    msg = only(text)
    assert msg.startswith("s.yaml:") and "YAML syntax error" in msg


STEPS = "name: x\nmodule: simcom-sim7600\nsteps:\n  - send: AT+NETOPEN\n    within: 30s\n"


@pytest.mark.parametrize(
    "broken, bad_line, hint",
    [
        ("   within: 30s", "   within", "(expected this line indented like the keys beside it)"),
        ("\twithin: 30s", "\twithin", "(expected spaces: YAML does not indent with tabs)"),
    ],
)
def test_yaml_slips_say_what_to_fix(broken, bad_line, hint):
    """PyYAML's own words ('expected <block end>, but found ...') name no fix."""
    text = STEPS.replace("    within: 30s", broken)
    msg = only(text)
    assert msg.startswith(f"s.yaml:{line_of(text, bad_line)}: (top level): YAML syntax error: ")
    assert msg.endswith(hint)


def test_a_key_where_a_list_item_belongs_says_dash_and_space():
    for slip in ("  expect: OK\n", "  -expect: OK\n"):
        msg = only(STEPS + slip)
        assert msg.startswith(f"s.yaml:{line_of(STEPS + slip, slip.strip())}: ")
        assert msg.endswith(
            "(expected '- ' before this key, a dash and a space, or the key indented like the "
            "keys beside it)"
        )


def test_an_unclosed_bracket_names_the_line_where_it_opened():
    text = STEPS + "network: {link: {delay: 1s}\nhosts: {}\n"
    msg = only(text)  # the parser gives up a line later, at 'hosts:'
    assert msg.startswith(f"s.yaml:{line_of(text, 'hosts:')}: ")
    opened = line_of(text, "network:")
    assert msg.endswith(f"(while parsing a flow mapping that starts on line {opened})")


def test_duplicate_key_reported():
    text = BASE.replace("  - expect: OK", "  - expect: OK\n    within: 2s\n    within: 3s")
    msg = only(text)
    assert msg.startswith(f"s.yaml:{line_of(text, 'within: 3s')}: steps[1].within: duplicate key")


def test_python_tags_never_execute(tmp_path):
    marker = tmp_path / "pwned"
    text = BASE + f'description: !!python/object/apply:os.system ["touch {marker}"]\n'
    problems = problems_of(text)
    assert not marker.exists()
    assert problems and problems[0].startswith(
        f"s.yaml:{line_of(text, 'python/object')}: description: tag "
    )


def test_pin_must_be_quoted_digits():
    text = BASE + "sim: {state: pin, pin: 1234}\n"
    assert only(text).startswith(
        f"s.yaml:{line_of(text, 'sim:')}: sim.pin: got number 1234 (expected a string of 4-8 "
        "digits, in quotes)"
    )
    text = BASE + 'sim: {state: pin, pin: "12a4"}\n'
    assert only(text).startswith(f"s.yaml:{line_of(text, 'sim:')}: sim.pin: '12a4' is not a PIN")


def test_fault_needs_at_or_on():
    text = with_lines("""
        faults:
          - {action: nat-expire}
          - {at: 1s, on: {sent: AT}, action: nat-expire}
    """)
    problems = problems_of(text)
    assert problems[0].startswith(
        f"s.yaml:{line_of(text, '{action: nat-expire}')}: faults[0].at: missing required key "
        "(expected at: <time> or on: <trigger>)"
    )
    assert problems[1].startswith(
        f"s.yaml:{line_of(text, 'on: {sent')}: faults[1].on: give either at: or on:"
    )


@pytest.mark.parametrize(
    ("fault", "needle", "path"),
    [
        ("{at: 1s, action: ppp-fail}", "ppp-fail", "faults[0].phase"),
        ("{at: 1s, action: ppp-fail, phase: lcp, mode: explode}", "explode", "faults[0].mode"),
        ("{at: 1s, action: ppp-fail, phase: auth, mode: nak_loop}", "nak_loop", "faults[0].mode"),
        ("{at: 1s, action: call-fail, outcome: engaged}", "engaged", "faults[0].outcome"),
        ("{at: 1s, action: dns-fail, mode: nope}", "nope", "faults[0].mode"),
        ("{at: 1s, action: pdp-reject, cause: 7}", "cause: 7", "faults[0].cause"),
        (
            "{at: 1s, action: server-reset, host: echo.example.net, port: 8}",
            "port: 8",
            "faults[0].port",
        ),
        (
            "{at: 1s, action: server-reply, host: ftp.example.net, command: STOR, code: 999}",
            "999",
            "faults[0].code",
        ),
        ("{at: 1s, action: loss}", "action: loss", "faults[0].loss"),
        ("{at: 1s, action: link-outage, direction: sideways}", "sideways", "faults[0].direction"),
        ("{at: 1s, action: coverage-loss, duration: forever}", "forever", "faults[0].duration"),
        ("{at: 1s, action: bearer-drop, colour: red}", "colour", "faults[0].colour"),
        (
            "{on: {syn: 0, host: echo.example.net}, action: nat-expire}",
            "syn: 0",
            "faults[0].on.syn",
        ),
        ("{on: {syn: 1, host: nowhere}, action: nat-expire}", "nowhere", "faults[0].on.host"),
        ("{on: {bell: 1}, action: nat-expire}", "bell", "faults[0].on"),
        ("{on: {trace: 3}, action: nat-expire}", "trace: 3", "faults[0].on.trace"),
        (
            "{on: {trace: {kind: iface}, count: 0}, action: nat-expire}",
            "count: 0",
            "faults[0].on.count",
        ),
    ],
)
def test_fault_parameter_errors(fault, needle, path):
    text = with_lines(f"faults:\n  - {fault}\n")
    msg = only(text)
    assert msg.startswith(f"s.yaml:{line_of(text, needle)}: {path}: "), msg
    assert "(expected" in msg


@pytest.mark.parametrize(
    ("check", "path"),
    [
        ("{host: ftp.example.net, file: /a, sha256: abc}", "checks[0].sha256"),
        ("{host: ftp.example.net, file: /a, size: -1}", "checks[0].size"),
        ("{host: ftp.example.net, file: /a}", "checks[0]"),
        ("{host: echo.example.net, file: /a, size: 1}", "checks[0].host"),
        ("{host: mail.example.net, mailbox: ops, count: many}", "checks[0].count"),
        ("{host: mail.example.net, mailbox: ops, service: imap, count: 1}", "checks[0].service"),
        (
            "{host: echo.example.net, service: tcp-echo, bytes_received: lots}",
            "checks[0].bytes_received",
        ),
    ],
)
def test_check_errors(check, path):
    text = with_lines(f"checks:\n  - {check}\n")
    msg = only(text)
    assert msg.startswith(f"s.yaml:{line_of(text, check[:20])}: {path}: "), msg
    assert "(expected" in msg


@pytest.mark.parametrize(
    ("step", "path"),
    [
        ("- send_hex: 4G", "steps[2].send_hex"),
        ("- send_hex: 123", "steps[2].send_hex"),
        ("- expect_re: '(unclosed'", "steps[2].expect_re"),
        ("- wait: 2 parsecs", "steps[2].wait"),
        ("- wait: .inf", "steps[2].wait"),
        ("- {send: AT, expect: OK}", "steps[2]"),
        ("- {send: AT, within: 2s}", "steps[2].within"),
        ("- just text", "steps[2]"),
    ],
)
def test_step_errors(step, path):
    text = BASE + f"  {step}\n"
    msg = only(text)
    assert msg.startswith(f"s.yaml:{line_of(text, step)}: {path}: "), msg
    assert "(expected" in msg


def test_every_fault_action_validates():
    """One well-formed example of each action, so the table and the validator agree."""
    examples = {
        "link-outage": "{at: 1s, action: link-outage, duration: 10s}",
        "loss": "{at: 1s, action: loss, loss: 0.5, duration: 5s}",
        "delay": "{at: 1s, action: delay, delay: 2s, duration: 5s}",
        "bearer-drop": "{at: 1s, action: bearer-drop}",
        "pdp-reject": "{at: 1s, action: pdp-reject, cause: 27}",
        "pdp-silent": "{at: 1s, action: pdp-silent}",
        "ppp-fail": "{at: 1s, action: ppp-fail, phase: auth, mode: reject}",
        "call-fail": "{at: 1s, action: call-fail, outcome: busy}",
        "dns-fail": "{at: 1s, action: dns-fail, mode: servfail}",
        "server-refuse": "{at: 1s, action: server-refuse, host: echo.example.net, port: 7}",
        "server-stall": "{at: 1s, action: server-stall, host: echo.example.net}",
        "server-reset": "{on: {bytes: 100, host: echo.example.net}, action: server-reset, host: "
                        "echo.example.net, after_bytes: 10}",
        "server-reply": "{at: 0s, action: server-reply, host: ftp.example.net, command: STOR, "
                        "code: 552}",
        "server-slow-greeting": "{at: 0s, action: server-slow-greeting, host: ftp.example.net, "
                                "delay: 5s}",
        "server-rate-limit": "{at: 0s, action: server-rate-limit, service: ftp, host: "
                             "ftp.example.net, rate: 9600bps}",
        "server-push": "{at: 0s, action: server-push, host: echo.example.net, port: 7, data: "
                       "update}",
        "nat-expire": "{on: {syn: 2, host: echo.example.net, port: 7}, action: nat-expire}",
        "peer-connect": "{on: {kind: sent, text: AT+CIPOPEN}, action: peer-connect, host: "
                        "echo.example.net, port: 8080, send: HI}",
        "sim-remove": "{on: {sent: AT+CIPOPEN}, action: sim-remove}",
        "coverage-loss": "{on: {received: CONNECT}, action: coverage-loss, duration: 30s}",
        "reset": "{at: 30s, action: reset}",
        "power-cycle": "{on: {sent: AT+NETOPEN}, action: power-cycle, duration: 2s}",
        "smsc-down": "{at: 5s, action: smsc-down, duration: 60s}",
        "sms-fail": "{at: 0s, action: sms-fail, to: echo.example.net, reason: rejected, count: 1}",
        "sms-delay": "{at: 0s, action: sms-delay, delay: 30s}",
        "incoming-call": "{at: 10s, action: incoming-call, from: echo.example.net, ring_for: 20s, "
                         "hold: 5s}",
    }
    assert sorted(examples) == sorted(FAULT_ACTIONS)
    text = with_lines("faults:\n" + "".join(f"  - {f}\n" for f in examples.values()))
    scenario, problems = validate(load_text(text, "s.yaml"))
    assert problems == []
    assert [f.action for f in scenario.faults] == list(examples)
    assert scenario.faults[2].params == {
        "delay": scenario.faults[2].params["delay"],
        "duration": 5.0,
    }
    by_action = {f.action: f for f in scenario.faults}
    assert (
        by_action["sim-remove"].on.kind == "sent"
        and by_action["sim-remove"].on.text == "AT+CIPOPEN"
    )
    assert by_action["coverage-loss"].on.kind == "received"
    assert by_action["coverage-loss"].params == {"duration": 30.0}
    assert by_action["nat-expire"].on.kind == "syn" and by_action["nat-expire"].on.count == 2
    assert (
        by_action["server-reset"].on.kind == "bytes" and by_action["server-reset"].on.count == 100
    )
    assert by_action["server-rate-limit"].params["rate"] == 9600.0
    # the long trigger form means the same as the short one
    assert (
        by_action["peer-connect"].on.kind == "sent"
        and by_action["peer-connect"].on.text == "AT+CIPOPEN"
    )


def test_decode_escapes():
    # expected bytes written out by hand from the escape rules
    assert decode_escapes(r"HELLO\x1a") == b"HELLO\x1a"
    assert decode_escapes("HELLO\x1a") == b"HELLO\x1a"  # already decoded by YAML "..."
    assert decode_escapes(r"a\r\nb\\c\0") == b"a\r\nb\\c\x00"
    assert decode_escapes(r"\xZZ") == b"\\xZZ"
    assert decode_escapes("é€") == b"\xe9" + "€".encode()


def test_from_dict_errors_name_key_path():
    from simnet import ConfigError, Simulation

    with pytest.raises(ConfigError) as info:
        Simulation.from_dict({"name": "d", "module": MODULE, "steps": [{"wait": "2 eons"}]})
    assert str(info.value).startswith("<dict>:0: steps[0].wait: unknown duration unit 'eons'")


@pytest.mark.parametrize(
    ("ip", "why"),
    [
        ("10.64.0.1", "the operator core router"),
        ("198.51.100.1", "the carrier NAT's public address"),
        ("10.64.0.53", "an operator DNS server (network.dns)"),
        ("10.64.3.3", "inside the pool 10.64.0.0/16"),
    ],
)
def test_host_address_reserved_by_the_operator(ip, why):
    text = BASE.replace("ip: 203.0.113.20", f"ip: {ip}")
    assert only(text).startswith(
        f"s.yaml:{line_of(text, ip)}: hosts.ftp.example.net.ip: {ip} is {why}"
    )


def test_expect_text_takes_the_same_escapes_in_any_quoting():
    text = BASE.replace(
        "  - expect: OK",
        "  - expect: '\\r\\nOK'\n  - expect: \"\\r\\nOK\"\n  - expect_absent: 'a\\\\b'",
    )
    scenario, problems = validate(load_text(text, "s.yaml"))
    assert problems == []
    single, double, absent = scenario.steps[1:]
    assert single.pattern == double.pattern == "\\\r\\\nOK"  # re.escape of CR LF OK
    assert absent.pattern == "a\\\\b"  # an escaped backslash stays one literal backslash


def test_near_misses_get_a_suggestion():
    text = BASE.replace("  - expect: OK", "  - expect: OK\n    whitin: 2s").replace(
        "module: simcom-sim7600", "module: simcom-sim7601"
    )
    problems = problems_of(text)
    assert any(p.endswith("did you mean 'within'?)") for p in problems)
    if known_module_ids() is not None:
        assert any(p.endswith("did you mean 'simcom-sim7600'?)") for p in problems)


def test_module_without_a_dialect_is_refused_like_run_does():
    from simnet.scenario.schema import unbuilt_module_ids

    unbuilt = unbuilt_module_ids()
    if not unbuilt:
        pytest.skip("every registry module has its dialect")
    text = BASE.replace(f"module: {MODULE}", f"module: {unbuilt[0]}")
    msg = only(text)
    assert msg.startswith(
        f"s.yaml:2: module: module '{unbuilt[0]}' is listed but its dialect is not built yet "
        "(expected one of "
    )
    assert MODULE in msg


# -- values shown as their YAML author wrote them -----------------------------------------------


def test_quoted_baud_rate_is_text_not_a_number():
    text = BASE + 'uart: {baud: "115200"}\n'
    assert only(text) == (
        f"s.yaml:{line_of(text, 'uart:')}: uart.baud: got text '115200' "
        "(expected a number: write 115200 without quotes)"
    )


def test_unsupported_numeric_baud_lists_the_rates():
    text = BASE + "uart: {baud: 115201}\n"
    assert only(text).startswith(
        f"s.yaml:{line_of(text, 'uart:')}: uart.baud: unsupported baud rate 115201 "
        "(expected one of 300, 600, 1200,"
    )


@pytest.mark.parametrize(
    ("extra", "anchor", "message"),
    [
        # `key:` with nothing after it and `key: null` are the same YAML value
        ("uart: {baud: null}\n", "uart:", "uart.baud: unsupported baud rate null (expected one of"),
        ("boot:\n", "boot:", "boot: unknown boot mode null (expected one of booted, cold)"),
        (
            "network:\n  registration: {state: null}\n",
            "registration:",
            "network.registration.state: unknown value null (expected one of home,",
        ),
        (
            "network:\n  registration: {state: home, after: ~}\n",
            "registration:",
            "network.registration.after: got null (expected a duration such as 250ms or 2s)",
        ),
        (
            "network:\n  link: {delay: }\n",
            "link:",
            "network.link.delay: got null (expected a duration or a distribution mapping)",
        ),
        (
            "steps:\n  - wait: null\n",
            "wait:",
            "steps[0].wait: got null (expected a duration such as 250ms or 2s)",
        ),
        ("steps:\n  - send:\n", "send:", "steps[0].send: got null (expected text, in quotes)"),
        (
            "steps:\n  - send: AT\n  - expect: OK\n    within: true\n",
            "within:",
            "steps[1].within: got boolean true (expected a duration such as 250ms or 2s)",
        ),
    ],
)
def test_null_and_booleans_read_as_yaml(extra, anchor, message):
    base = BASE.replace("network:\n  link: {delay: 300ms}\n", "").split("steps:\n")[0]
    text = base + extra
    problems = problems_of(text)
    assert any(p.startswith(f"s.yaml:{line_of(text, anchor)}: {message}") for p in problems), (
        problems
    )
    assert not any("None" in p or "True" in p for p in problems), problems


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "within: -1s",
            "steps[1].within: '-1s' is negative (expected a positive duration such as 250ms)",
        ),
        (
            "within: -1",
            "steps[1].within: -1 is negative (expected a positive duration such as 250ms)",
        ),
        (
            "within: 0s",
            "steps[1].within: '0s' is zero (expected a positive duration such as 250ms)",
        ),
    ],
)
def test_a_window_must_be_positive(step, message):
    text = BASE.replace("  - expect: OK\n", f"  - expect: OK\n    {step}\n")
    assert only(text) == f"s.yaml:{line_of(text, step)}: {message}"


def test_a_wait_may_be_zero_but_not_negative():
    text = BASE + "  - wait: -250ms\n"
    assert only(text) == (
        f"s.yaml:{line_of(text, 'wait: -250ms')}: steps[2].wait: '-250ms' is negative "
        "(expected a non-negative duration such as 250ms)"
    )
    assert problems_of(BASE + "  - wait: 0s\n") == []
