"""The SIMCom scenario library: one scenario per example of both documents plus the edge cases of
issue 7, all passing (tests/scenario/test_library.py runs every one), and deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

import simnet

DIR = Path(__file__).resolve().parents[4] / "scenarios" / "simcom"

# Document example -> scenario file (S76 = SIM7600 manual section, A76 = A76xx note section).
EXAMPLES = {
    "S76 L1101/L1102 NETOPEN, NETCLOSE": "sim7600-netopen-netclose",
    "S76 L1103 CIPOPEN": "sim7600-cipopen",
    "S76 L1104 CIPCLOSE": "sim7600-cipclose",
    "S76 L1105 CIPSEND": "sim7600-cipsend-forms",
    "S76 L1106 CIPRXGET": "sim7600-ciprxget",
    "S76 L1107 IPADDR": "sim7600-ipaddr",
    "S76 L1108/L1109 CIPHEAD, CIPSRIP": "sim7600-ciphead-cipsrip",
    "S76 L1110 CIPMODE": "sim7600-cipmode",
    "S76 L1111 CIPSENDMODE": "sim7600-cipsendmode",
    "S76 L1112 CIPTIMEOUT": "sim7600-ciptimeout",
    "S76 L1113 CIPCCFG": "sim7600-cipccfg",
    "S76 L1114/L1115 SERVERSTART, SERVERSTOP": "sim7600-serverstart-stop",
    "S76 L1116 CIPACK": "sim7600-cipack",
    "S76 L1131-L1133 CDNSGIP, CDNSGHNAME, CIPDNSSET": "sim7600-dns",
    "S76 L1134/L1135 CPING, CPINGSTOP": "sim7600-cping",
    "A76 3.1 context": "a7670-context",
    "A76 3.2.1 TCP direct push": "a7670-tcp-direct-push",
    "A76 3.2.2 TCP buffer access": "a7670-tcp-buffer-access",
    "A76 3.2.3 TCP transparent": "a7670-tcp-transparent",
    "A76 3.3.1 UDP direct push": "a7670-udp-direct-push",
    "A76 3.3.2 UDP buffer access": "a7670-udp-buffer-access",
    "A76 3.3.3 UDP transparent": "a7670-udp-transparent",
    "A76 3.4.1 TCP server transparent": "a7670-server-transparent",
    "A76 3.4.2 TCP server non-transparent": "a7670-server-non-transparent",
    "A76 3.4.3 query connection status": "a7670-query-status",
}
EDGE_CASES = {
    "NETOPEN twice": "edge-netopen-twice",
    "CIPOPEN before NETOPEN": "edge-cipopen-before-netopen",
    "link number out of range": "edge-link-out-of-range",
    "CIPSEND on a closed link": "edge-cipsend-closed-link",
    "CIPRXGET on an empty buffer": "edge-ciprxget-empty",
    "peer close": "edge-peer-close",
    "server refusing": "edge-server-refuse",
    "all SYNs lost until the configured timeout": "edge-syn-timeout",
    "DNS failure": "edge-dns-failure",
    "bearer drop with two sockets open (SIM7600)": "edge-bearer-drop-sim7600",
    "bearer drop with two sockets open (A7670)": "edge-bearer-drop-a7670",
    "PDP reject": "edge-pdp-reject",
    "a receive that fills the module buffer": "edge-rx-buffer-full",
}


@pytest.mark.parametrize("name", sorted({**EXAMPLES, **EDGE_CASES}.values()))
def test_scenario_exists_and_validates(name: str) -> None:
    path = DIR / f"{name}.yaml"
    assert path.exists(), path
    from simnet.scenario.loader import load_file
    from simnet.scenario.schema import validate

    scenario, problems = validate(load_file(str(path)))
    assert not problems, problems
    assert scenario is not None and scenario.module in ("simcom-sim7600", "simcom-a7670")


def test_every_simcom_scenario_is_listed() -> None:
    listed = set(EXAMPLES.values()) | set(EDGE_CASES.values())
    assert {p.stem for p in DIR.glob("*.yaml")} == listed


@pytest.mark.parametrize("name", ["a7670-tcp-transparent", "edge-bearer-drop-sim7600"])
def test_same_seed_same_digest(name: str) -> None:
    digests = []
    for _ in range(2):
        result = simnet.Simulation.from_yaml(DIR / f"{name}.yaml", seed=5).run_scenario()
        assert result.passed
        digests.append(result.digest)
    assert digests[0] == digests[1]
