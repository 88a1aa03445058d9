"""simnet schema: the JSON Schema editors use, generated from the validator's tables.

Every library scenario names it on its first line and validates against it with a JSON Schema
library nobody here wrote (``jsonschema`` from PyPI), reading YAML as an editor's YAML 1.2
parser does; on a sample of good and bad files that library and ``simnet validate`` agree, one
bad file per class of validator error that JSON Schema can express. The committed
scenarios/scenario.schema.json is exactly what ``simnet schema`` prints."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from simnet.scenario.cli import main
from simnet.scenario.json_schema import LIBRARY_SCHEMA_FILE, build_schema, modeline, schema_text
from simnet.scenario.loader import locate_data
from simnet.scenario.schema import validate

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "scenarios"
SCENARIOS = sorted(LIBRARY.rglob("*.yaml"))


class Yaml12Loader(yaml.SafeLoader):
    """YAML as yaml-language-server reads it (1.2 core schema): on/off/yes/no and dates are text."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@pytest.fixture(scope="module")
def checker() -> Any:
    schema = build_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_committed_schema_is_what_simnet_schema_prints():
    out = io.StringIO()
    assert main(["schema"], out=out, err=io.StringIO()) == 0
    assert out.getvalue() == schema_text()
    assert (LIBRARY / LIBRARY_SCHEMA_FILE).read_text() == schema_text(), (
        "stale: run simnet schema -o scenarios/scenario.schema.json"
    )


def test_the_schema_describes_keys_with_units():
    schema = build_schema()
    defs = schema["$defs"]
    assert "us, ms, s, min, h" in defs["duration"]["description"]
    assert "bps, kbps, Mbps" in defs["rate"]["description"]
    assert "netem" in defs["probability"]["description"]
    network = schema["properties"]["network"]
    assert set(network["properties"]) >= {"registration", "apn", "link", "nat", "signal"}
    assert network["properties"]["signal"]["properties"]["rssi"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 31,
        "description": "+CSQ rssi",
    }


@pytest.mark.parametrize("path", SCENARIOS, ids=[str(p.relative_to(LIBRARY)) for p in SCENARIOS])
def test_every_library_scenario_names_and_meets_the_schema(checker: Any, path: Path):
    text = path.read_text()
    assert text.splitlines()[0] == modeline(str(path), str(LIBRARY / LIBRARY_SCHEMA_FILE)), (
        "the first line must be the yaml-language-server modeline (see scenarios/README.md)"
    )
    errors = sorted(
        checker.iter_errors(yaml.load(text, Loader=Yaml12Loader)), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])


QUICKSTART = yaml.load((LIBRARY / "quickstart.yaml").read_text(), Loader=Yaml12Loader)


def mutated(path: str, value: Any) -> dict[str, Any]:
    """The quick start with one value set (``a/b/2/c``: host names have dots), or deleted when
    value is DELETE."""
    data = copy.deepcopy(QUICKSTART)
    parts = [int(p) if p.isdigit() else p for p in path.split("/")]
    node = data
    for part in parts[:-1]:
        node = node[part]
    if value is DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return data


DELETE = object()
# One bad file per class of validator error JSON Schema can express, each with the key path
# both must blame.
BAD = {
    "unknown top-level key": (mutated("netwrok", {}), "netwrok"),
    "unknown nested key": (mutated("network/link/latency", "300ms"), "network.link"),
    "missing required key": (mutated("name", DELETE), "name"),
    "neither module nor modules": (mutated("module", DELETE), "module"),
    "wrong type": (mutated("seed", "seven"), "seed"),
    "unknown module": (mutated("module", "simcom-sim9999"), "module"),
    "unknown enum value": (mutated("network/bearer", "lte"), "network.bearer"),
    "integer out of range": (mutated("network", {"signal": {"rssi": 40}}), "network.signal.rssi"),
    "probability out of range": (mutated("network/link/loss", 1.5), "network.link.loss"),
    "duration without a known unit": (
        mutated("network/registration/after", "2 parsecs"),
        "network.registration.after",
    ),
    "rate without a known unit": (mutated("network/link/rate", "40 furlongs"), "network.link.rate"),
    "baud not standard": (mutated("uart/baud", 12345), "uart.baud"),
    "step with two actions": (mutated("steps/0", {"send": "AT", "expect": "OK"}), "steps[0]"),
    "unknown step action": (mutated("steps/0", {"sned": "AT"}), "steps[0]"),
    "within on a send": (mutated("steps/0", {"send": "AT", "within": "5s"}), "steps[0]"),
    "unknown fault action": (
        mutated("faults", [{"at": "1s", "action": "meteor"}]),
        "faults[0].action",
    ),
    "fault without at or on": (
        mutated("faults", [{"action": "link-outage", "duration": "2s"}]),
        "faults[0]",
    ),
    "fault missing a required parameter": (
        mutated("faults", [{"at": "1s", "action": "ppp-fail"}]),
        "faults[0]",
    ),
    "fault parameter of another action": (
        mutated("faults", [{"at": "1s", "action": "nat-expire", "duration": "2s"}]),
        "faults[0]",
    ),
    "service of unknown type": (
        mutated("hosts/echo.example.net/services/0/type", "gopher"),
        "hosts.echo.example.net.services[0].type",
    ),
    "host without an address": (
        mutated("hosts/echo.example.net/ip", DELETE),
        "hosts.echo.example.net",
    ),
    "check of nothing": (
        mutated("checks/0", {"host": "echo.example.net", "service": "tcp-echo"}),
        "checks[0]",
    ),
    "sim state unknown": (mutated("sim/state", "locked"), "sim.state"),
}
# What only the validator can say (JSON Schema has no way to express it), for the record:
VALIDATOR_ONLY = {
    "fault naming a host that is not in hosts:": mutated(
        "faults", [{"at": "1s", "action": "server-refuse", "host": "nowhere.example.net"}]
    ),
    "regular expression that does not compile": mutated("steps/0", {"expect_re": "(unclosed"}),
    "peer on an address the operator owns": mutated("hosts/echo.example.net/ip", "10.64.0.1"),
    "capture point naming an unknown host": mutated("capture", ["nowhere"]),
}


def validator_problems(data: dict[str, Any]) -> list[str]:
    _, problems = validate(locate_data(data, "<sample>"))
    return [p.path for p in problems]


@pytest.mark.parametrize("name", list(BAD))
def test_bad_files_are_refused_by_both(checker: Any, name: str):
    data, path = BAD[name]
    blamed = validator_problems(data)
    assert any(p == path or p.startswith((path + ".", path + "[")) for p in blamed), blamed
    assert list(checker.iter_errors(data)), f"the JSON Schema accepts a file with: {name}"


@pytest.mark.parametrize("name", list(VALIDATOR_ONLY))
def test_what_json_schema_cannot_express_is_the_validators(checker: Any, name: str):
    data = VALIDATOR_ONLY[name]
    assert validator_problems(data)
    assert not list(
        checker.iter_errors(data)
    )  # the schema says nothing: the validator is the authority


@pytest.mark.parametrize(
    "path", SCENARIOS[::8], ids=[str(p.relative_to(LIBRARY)) for p in SCENARIOS[::8]]
)
def test_good_files_are_accepted_by_both(checker: Any, path: Path):
    data = yaml.load(path.read_text(), Loader=Yaml12Loader)
    assert validator_problems(json.loads(json.dumps(data))) == []
    assert not list(checker.iter_errors(data))
