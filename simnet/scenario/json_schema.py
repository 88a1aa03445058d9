"""``simnet schema``: a JSON Schema (draft 2020-12) of the scenario format, for editors.

Generated from the validator's own tables in ``simnet.scenario.schema`` and
``simnet.scenario.ip_steps`` — the key sets, the enumerations, the fault actions with the kind of
each parameter, the ranges — never a second hand-kept copy: a key added to the validator's
tables appears here. What JSON Schema cannot say (a fault naming a host of ``hosts:``, a regular
expression that compiles, an address the operator owns, a duration below 100 million seconds)
stays the validator's alone; ``simnet validate`` is the authority.

The library's scenarios carry a ``yaml-language-server`` modeline pointing at
``scenarios/scenario.schema.json``, written by ``simnet schema -o`` (a test keeps it current).
"""

from __future__ import annotations

from typing import Any

from simnet.scenario import chaos_schema as cs
from simnet.scenario import ip_steps, sms_steps
from simnet.scenario import schema as v
from simnet.scenario.capture_checks import CAPTURE_CHECK_KEYS

SCHEMA_ID = "https://simnet.invalid/scenario.schema.json"  # an identifier, not a download address
LIBRARY_SCHEMA_FILE = "scenario.schema.json"  # beside the library's scenarios
MODELINE = "# yaml-language-server: $schema="

# Units as the validator parses them (simnet.kernel.units).
DURATION_UNITS = (
    r"(us|ms|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hour|hours|d|day|days)"
)
DURATION = {
    "description": "a duration: seconds as a number, or a number with a unit us, ms, s, min, h "
                   "(250ms, 2s, 5min)",
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "string",
            "pattern": rf"^\s*[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*{DURATION_UNITS}?\s*$",
        },
    ],
}
RATE = {
    "description": "a rate in bit/s: a number, or with a unit bps, kbps, Mbps, Gbps (40kbps)",
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\s*[0-9]*\.?[0-9]+\s*([kKmMgG]?(bps|bit/s|b/s))?\s*$"},
    ],
}
PROBABILITY = {
    "description": "a probability: a number from 0 to 1, or a percentage as netem writes it (1%)",
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "string", "pattern": r"^\s*(100(\.0*)?|[0-9]{1,2}(\.[0-9]*)?|\.[0-9]+)\s*%\s*$"},
    ],
}
DISTRIBUTION = {
    "description": "a duration, or a distribution: {min, max} (uniform), {dist: normal, mean, sd}, "
                   "constant, "
    "exponential, pareto, empirical",
    "anyOf": [DURATION, {"type": "object"}],
}
TEXT = {"type": "string"}
MSISDN = r"^(\+[0-9]{3,15}|[0-9]{3,20})$"  # simnet.bearer.sms.config.valid_msisdn
PORT = {"type": "integer", "minimum": 1, "maximum": 65535, "description": "a port"}
ALWAYS = {
    "type": "boolean",
    "description": "an invariant of chaos runs: must hold after every storm",
}


def _enum(options: Any, description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"enum": list(options)}
    if description:
        out["description"] = description
    return out


def _integer(lo: int, hi: int, description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": lo, "maximum": hi, "description": description}


def _object(
    properties: dict[str, Any],
    keys: tuple[str, ...] | None = None,
    *,
    required: tuple[str, ...] = (),
    description: str | None = None,
) -> dict[str, Any]:
    """A mapping with exactly the validator's ``keys`` (those without a schema of their own
    take any value)."""
    keys = tuple(properties) if keys is None else keys
    out: dict[str, Any] = {
        "type": "object",
        "properties": {k: properties.get(k, {}) for k in keys},
        "additionalProperties": False,
    }
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


# The kinds of fault parameters (schema.FAULT_ACTIONS), described as the validator words them.
def _param_kinds() -> dict[str, dict[str, Any]]:
    words = v._PARAM_EXPECTED
    kinds: dict[str, dict[str, Any]] = {
        "duration": DURATION,
        "distribution": DISTRIBUTION,
        "rate": RATE,
        "loss": {"anyOf": [PROBABILITY, {"type": "object"}]},
        "direction": _enum(v.DIRECTIONS),
        "sm_cause": _integer(8, 112, "a 3GPP TS 24.008 SM cause"),
        "count": _integer(1, 1_000_000, "a count"),
        "count0": _integer(0, 1 << 40, "a byte count"),
        "ppp_phase": _enum(v.PPP_PHASES),
        "ppp_mode": _enum(v.PPP_MODES),
        "call_outcome": _enum(v.CALL_FAIL_OUTCOMES),
        "dns_mode": _enum(v.DNS_FAIL_MODES),
        "reset_mode": _enum(("reset", "close")),
        "connection": _enum(("control", "data", "any")),
        "string": TEXT,
        "port": PORT,
        "host": TEXT,
        "service": _enum(v.known_service_types()),
        "reply_code": _integer(100, 599, "a reply code"),
        "sms_fail_reason": _enum(("absent", "busy", "rejected")),
    }
    return {
        k: {**s, "description": s.get("description") or words.get(k, k)} for k, s in kinds.items()
    }


def _link() -> dict[str, Any]:
    loss = {
        "anyOf": [
            PROBABILITY,
            {
                "type": "object",
                "required": ["model"],
                "properties": {"model": _enum([*v.LOSS_MODELS, *v.LOSS_ALIASES])},
                "description": "a loss model: {model: bernoulli, p}, {model: gilbert-elliott, p, "
                               "r, h, k}, "
                "{model: four-state, p13, p31, p32, p23, p14}",
            },
        ]
    }
    props = {
        "delay": {**DISTRIBUTION, "description": "one-way delay (a duration or distribution)"},
        "jitter": {**DURATION, "description": "delay variation (a duration)"},
        "rate": RATE,
        "loss": loss,
        "queue": _integer(1, 1_000_000, "queue length in packets"),
        "mtu": _integer(68, 65535, "MTU in bytes"),
        "duplicate": PROBABILITY,
        "corrupt": PROBABILITY,
        "reorder": PROBABILITY,
    }
    return _object(
        props, v.LINK_KEYS, description="a radio link direction: delay, jitter, rate, loss, ..."
    )


def _network() -> dict[str, Any]:
    apn_object = _object(
        {
            "name": {"type": "string", "maxLength": v.MAX_APN},
            "user": TEXT,
            "password": TEXT,
            "auth": _enum(v.AUTH_KINDS),
        },
        v.APN_KEYS,
    )
    props = {
        "registration": _object(
            {"state": _enum(v.REGISTRATION_STATES), "after": DURATION},
            v.REGISTRATION_KEYS,
            description="when and how the network registers the module",
        ),
        "bearer": _enum(v.BEARERS, "gprs (packet data) or gsm (circuit-switched data calls)"),
        "apn": {
            "anyOf": [{"type": "string", "maxLength": v.MAX_APN}, apn_object],
            "description": "the APN the operator serves: a name, or {name, user, password, auth}",
        },
        "pdp": _object(
            {
                "activation_delay": DISTRIBUTION,
                "deactivation_delay": DISTRIBUTION,
                "reject_cause": _integer(8, 112, "3GPP TS 24.008 SM cause"),
                "silent": {"type": "boolean"},
            },
            v.PDP_KEYS,
            description="PDP context behaviour",
        ),
        "csd": _object(
            {"setup_time": DISTRIBUTION, "outcome": _enum(v.CSD_OUTCOMES), "rate": RATE},
            v.CSD_KEYS,
            description="GSM data calls",
        ),
        "link": _link(),
        "uplink": _link(),
        "downlink": _link(),
        "dns": {
            "type": "array",
            "items": {"type": "string", "format": "ipv4"},
            "description": "DNS server addresses handed out with the PDP context",
        },
        "nat": _object(
            {
                "tcp_idle_timeout": DURATION,
                "udp_idle_timeout": DURATION,
                "tcp_established_timeout": DURATION,
                "tcp_transitory_timeout": DURATION,
                "port_low": _integer(1024, 65535, "first public port"),
                "port_high": _integer(1024, 65535, "last public port"),
                "per_subscriber": _integer(1, 65535, "mappings one subscriber may hold"),
            },
            v.NAT_KEYS,
            description="the carrier NAT (idle timeouts in seconds or with units)",
        ),
        "signal": _object(
            {"rssi": _integer(0, 31, "+CSQ rssi"), "ber": _integer(0, 7, "+CSQ ber")}, v.SIGNAL_KEYS
        ),
        "profile": _enum(v._radio_profiles(), "radio access profile giving the link defaults"),
        "power_saving": {
            "type": "object",
            "description": "PSM / eDRX settings (docs/assumptions.md)",
        },
        "sms": {
            "type": "object",
            "description": "the operator's SMSC: smsc address, submit_delay, deliver_delay, "
            "retry_interval, validity, tr1m, link_setup, tz_quarters, "
            "ussd_delay, ussd_timeout",
        },
        "ussd": {
            "type": "object",
            "additionalProperties": {"anyOf": [TEXT, {"type": "object"}]},
            "description": "USSD codes to answers: a text, or {text, options: {input: answer}}",
        },
    }
    return _object(props, v.NETWORK_KEYS, description="the operator network and the radio link")


def _service() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": _enum(v.known_service_types()), "port": PORT},
        "description": "a peer service: {type, port, ...} (other keys belong to the service)",
    }


def _hosts() -> dict[str, Any]:
    host = _object(
        {
            "ip": {"type": "string", "format": "ipv4"},
            "services": {"type": "array", "items": _service()},
            "dns": {"type": "boolean"},
            "tcp": {"anyOf": [TEXT, {"type": "object"}]},
            "msisdn": {
                "type": "string",
                "pattern": MSISDN,
                "description": "the host's phone number (SMS)",
            },
        },
        v.HOST_KEYS,
    )
    host["anyOf"] = [{"required": ["ip"]}, {"required": ["msisdn"]}]
    return {"type": "object", "additionalProperties": host, "description": "peer hosts by name"}


def _trigger() -> dict[str, Any]:
    forms = []
    shapes = {
        "syn": _integer(1, 1 << 40, "the N-th SYN"),
        "bytes": _integer(0, 1 << 40, "payload bytes"),
        "sent": {"type": "string", "minLength": 1},
        "received": {"type": "string", "minLength": 1},
        "trace": {"type": "object", "minProperties": 1},
        "host": TEXT,
        "port": PORT,
        "direction": _enum(("any", "uplink", "downlink")),
        "count": _integer(1, 1 << 40, "a count"),
    }
    for kind, keys in v.TRIGGER_KEYS.items():
        required = (kind, "host") if kind in ("syn", "bytes") else (kind,)
        forms.append(_object(shapes, keys, required=required))
    long_form = {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": _enum(v.TRIGGER_KINDS)},
    }
    return {
        "anyOf": [*forms, long_form],
        "description": "a trigger: {syn: N, host}, {bytes: N, host}, "
        "{sent: TEXT}, {received: TEXT} or {trace: {source, kind, ...}, count}",
    }


def _faults(fleet_targets: bool = True) -> dict[str, Any]:
    kinds = _param_kinds()
    variants = []
    for action, params in v.FAULT_ACTIONS.items():
        props: dict[str, Any] = {"at": DURATION, "on": _trigger(), "action": {"const": action}}
        props.update({key: kinds[kind] for key, (kind, _) in params.items()})
        if fleet_targets:
            props.update({"device": TEXT, "share": PROBABILITY})
        required = ["action", *(k for k, (_, req) in params.items() if req)]
        variant: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "additionalProperties": False,
            "required": required,
            "oneOf": [{"required": ["at"]}, {"required": ["on"]}],
        }
        one_of = v.FAULT_REQUIRED_ONE_OF.get(action)
        if one_of:
            variant["allOf"] = [{"anyOf": [{"required": [k]} for k in one_of]}]
        variants.append(
            {
                "if": {"properties": {"action": {"const": action}}, "required": ["action"]},
                "then": variant,
            }
        )
    item = {
        "type": "object",
        "required": ["action"],
        "properties": {"action": _enum(v.FAULT_ACTIONS, "what happens")},
        "allOf": variants,
    }
    return {
        "type": "array",
        "items": item,
        "description": "faults fired at a time (at:) or by a trigger (on:)",
    }


def _steps(kinds: tuple[str, ...]) -> dict[str, Any]:
    scalar: dict[str, tuple[dict[str, Any], str]] = {
        "send": ({"anyOf": [TEXT, {"type": "number"}]}, "text sent with CR"),
        "send_raw": (TEXT, "bytes sent as written (escapes \\r \\n \\xNN)"),
        "send_hex": (
            {"type": "string", "pattern": r"^([0-9A-Fa-f]{2}\s*)*$"},
            "bytes as hex pairs",
        ),
        "expect": (
            {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]},
            "text the module must send next (escapes as send_raw)",
        ),
        "expect_re": ({"type": "string", "minLength": 1}, "a Python regular expression"),
        "expect_absent": (
            {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]},
            "text that must not arrive within the window",
        ),
        "wait": (DURATION, "let virtual time pass"),
    }
    variants = []
    for kind in kinds:
        value: dict[str, Any]
        if kind in scalar:
            shape, what = scalar[kind]
            value = {**shape, "description": what}
        elif kind in sms_steps.SMS_STEP_KEYS:
            value = _object(
                {
                    "status_report": {"type": "boolean"},
                    "ring_for": DURATION,
                    "hold": DURATION,
                    "count": _integer(1, 1_000_000, "a message count"),
                    "to": {"type": "string", "pattern": MSISDN},
                },
                sms_steps.SMS_STEP_KEYS[kind],
                required=sms_steps.SMS_STEP_REQUIRED[kind],
                description=f"SMS / call step {kind} (a host with an msisdn)",
            )
        else:  # an IP step: a mapping of its own keys
            value = {
                "anyOf": [
                    {"type": "null"},
                    _object(
                        {"port": PORT, "size": _integer(0, 65507, "bytes")},
                        ip_steps.IP_STEP_KEYS[kind],
                        required=ip_steps.IP_STEP_REQUIRED.get(kind, ()),
                    ),
                ],
                "description": f"dial-up IP step {kind}",
            }
        props: dict[str, Any] = {kind: value}
        if kind in v.WITHIN_KINDS:
            props["within"] = {
                **DURATION,
                "description": f"how long to wait (default {v.DEFAULT_WITHIN:g} s)",
            }
        if kind in v.PORT_KINDS and kinds is v.STEP_KINDS:
            props["port"] = {
                "type": "string",
                "pattern": r"^(uart[1-9]|(uart[1-9]\.)?cmux[1-9][0-9]*)$",
                "description": f"the serial line (default {v.DEFAULT_PORT}): uart2.., "
                "cmux<n> (DLCI n after AT+CMUX on uart1), uart2.cmux<n>; the module's "
                "profile says which it has",
            }
        variants.append(
            {
                "type": "object",
                "properties": props,
                "required": [kind],
                "additionalProperties": False,
            }
        )
    return {
        "type": "array",
        "items": {"oneOf": variants},
        "description": "the host (DTE) script: one action per step",
    }


def _checks() -> dict[str, Any]:
    shapes = {
        "host": TEXT,
        "file": {"type": "string", "minLength": 1},
        "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
        "size": _integer(0, 1 << 40, "bytes"),
        "text": TEXT,
        "exists": {"type": "boolean"},
        "mailbox": TEXT,
        "service": TEXT,
        "port": PORT,
        "count": _integer(0, 1_000_000, "a count"),
        "subject": TEXT,
        "body": TEXT,
        "bytes_received": _integer(0, 1 << 40, "bytes"),
        "tcp_retransmissions": _integer(0, 1 << 40, "a count"),
        "always": ALWAYS,
    }
    forms = []
    for kind, (keys, targets) in v.CHECK_KEYS.items():
        # the key(s) that name the check's kind, as the validator tells them apart
        naming = ("service", "port") if kind == "service" else (keys[1],)
        form = _object(shapes, (*keys, "always"), required=("host",))
        form["allOf"] = [
            {"anyOf": [{"required": [k]} for k in naming]},
            {"anyOf": [{"required": [t]} for t in targets]},
        ]
        forms.append(form)
    forms.append(
        _object(
            {
                "pcap": _enum(("ppp",)),
                "contains": {"type": "array"},
                "both_directions": {"type": "boolean"},
                "always": ALWAYS,
            },
            (*ip_steps.PCAP_CHECK_KEYS, "always"),
            required=("pcap",),
        )
    )
    forms.append(
        _object(
            {
                "pcap": {"type": "string", "not": {"const": "ppp"}},
                "to": TEXT,
                "distinct_sources": _integer(0, 1 << 40, "distinct source addresses"),
                "always": ALWAYS,
            },
            (*CAPTURE_CHECK_KEYS, "always"),
            required=CAPTURE_CHECK_KEYS,
            description="packets at a capture point: how many distinct sources reached a host",
        )
    )
    forms.append(
        _object(
            {
                "host": TEXT,
                "sms": {
                    "anyOf": [
                        TEXT,
                        _object(
                            {
                                "text": TEXT,
                                "count": _integer(0, 1_000_000, "a message count"),
                                "from": TEXT,
                            },
                            sms_steps.SMS_CHECK_FIELDS,
                        ),
                    ]
                },
            },
            sms_steps.SMS_CHECK_KEYS,
            required=sms_steps.SMS_CHECK_KEYS,
            description="short messages a phone host received",
        )
    )
    forms.append(
        _object(
            {
                "trace": {"type": "object", "minProperties": 1},
                "count": {
                    "anyOf": [
                        _integer(0, 1 << 40, "a count"),
                        _object(
                            {
                                "min": _integer(0, 1 << 40, "at least"),
                                "max": _integer(0, 1 << 40, "at most"),
                            },
                            v.COUNT_BOUND_KEYS,
                        ),
                    ]
                },
                "always": ALWAYS,
            },
            (*v.TRACE_CHECK_KEYS, "always"),
            required=v.TRACE_CHECK_KEYS,
            description="a trace count check",
        )
    )
    return {"type": "array", "items": {"anyOf": forms}, "description": "evaluated after the steps"}


def _program() -> dict[str, Any]:
    target = {
        "type": "string",
        "pattern": r"^([A-Za-z_][\w.]*|[\w./-]+\.py):[A-Za-z_]\w*$",
        "description": "package.module:function or file.py:function beside the scenario",
    }
    return {
        "anyOf": [
            target,
            _object(
                {"function": target, "args": {"type": "object"}},
                cs.PROGRAM_KEYS,
                required=("function",),
            ),
        ],
        "description": "a Python host program run instead of steps: function(sim, **args)",
    }


def _chaos() -> dict[str, Any]:
    actions = _enum(v.FAULT_ACTIONS)
    pair = {"type": "array", "minItems": 2, "maxItems": 2}
    kinds = {
        "duration": DURATION,
        "probability": PROBABILITY,
        "rate": RATE,
        "count": _integer(1, 1 << 30, "a count"),
        "bytes": _integer(0, 1 << 30, "bytes"),
    }
    props = {
        "window": {
            **pair,
            "items": DURATION,
            "description": "[start, end]: every drawn fault starts and ends in here",
        },
        "faults": {
            "anyOf": [
                _integer(1, cs.MAX_FAULTS_PER_SCHEDULE, "faults per schedule"),
                _object(
                    {
                        "min": _integer(0, cs.MAX_FAULTS_PER_SCHEDULE, "at least"),
                        "max": _integer(1, cs.MAX_FAULTS_PER_SCHEDULE, "at most"),
                    }
                ),
            ]
        },
        "kinds": {
            "type": "array",
            "items": actions,
            "description": "the actions drawn (default: all that apply)",
        },
        "exclude": {"type": "array", "items": actions},
        "weights": {
            "type": "object",
            "propertyNames": actions,
            "additionalProperties": {"type": "number", "minimum": 0},
        },
        "intensity": _object(
            {k: {**pair, "items": kinds[kind]} for k, kind in cs.INTENSITY_KINDS.items()},
            description="[low, high] of drawn parameters",
        ),
        "grace": DURATION,
        "settle": DURATION,
        "probe_timeout": DURATION,
        "invariants": {"type": "array", "minItems": 1, "items": _enum(cs.INVARIANTS)},
    }
    return _object(
        props,
        cs.CHAOS_KEYS,
        description="fault storms of simnet chaos and the invariants that "
        "judge a run (a scenario with chaos: is judged by them)",
    )


def _fleet() -> dict[str, Any]:
    device_props = {
        "name": TEXT,
        "module": TEXT,
        "count": _integer(1, v.MAX_DEVICES, "devices in the group"),
        "uart": _object({"baud": _enum(v.STANDARD_BAUDS)}, v.UART_KEYS),
        "boot": _enum(v.BOOT_MODES),
        "steps": _steps(v.FLEET_STEP_KINDS),
        "start": DISTRIBUTION,
        "overrides": {
            "type": "object",
            "description": "per-device changes by device index",
            "additionalProperties": _object(
                {"module": TEXT, "boot": _enum(v.BOOT_MODES), "start": DISTRIBUTION},
                v.OVERRIDE_KEYS,
            ),
        },
    }
    group = _object(device_props, v.DEVICE_KEYS, required=("name", "module"))
    return {
        "type": "array",
        "minItems": 1,
        "items": group,
        "description": "a fleet: groups of devices",
    }


def build_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    modules = [m for m in (v.known_module_ids() or []) if m not in v.unbuilt_module_ids()]
    top = {
        "name": {"type": "string", "minLength": 1, "description": "shown in reports"},
        "description": {"type": "string"},
        "seed": _integer(0, 2**63 - 1, "default 1; simnet run --seed N overrides it"),
        "module": _enum(modules, "the emulated module (simnet modules)") if modules else TEXT,
        "modules": _fleet(),
        "boot": _enum(v.BOOT_MODES, "booted (ready at once) or cold (switched on at time 0)"),
        "uart": _object({"baud": _enum(v.STANDARD_BAUDS, "line rate in bit/s")}, v.UART_KEYS),
        "sim": _object(
            {
                "state": _enum(v.SIM_STATES),
                "pin": {"type": "string", "pattern": "^[0-9]{4,8}$"},
                "puk": {"type": "string", "pattern": "^[0-9]{8}$"},
                "msisdn": {
                    "type": "string",
                    "pattern": MSISDN,
                    "description": "the module's number",
                },
                "sms_records": _integer(0, 255, "SMS records of the SIM (the SM memory)"),
            },
            v.SIM_KEYS,
            description="the SIM card (PIN and PUK quoted)",
        ),
        "network": _network(),
        "hosts": _hosts(),
        "faults": _faults(),
        "steps": _steps(v.STEP_KINDS),
        "checks": _checks(),
        "trace": _object(
            {
                "level": _enum(("full", "no-packets", "events")),
                "kinds": {"type": "array", "items": TEXT},
                "ring": _integer(1, 1 << 40, "records kept in memory"),
            },
            v.TRACE_KEYS,
            description="what the trace keeps in memory",
        ),
        "epoch": {
            "anyOf": [TEXT, {"type": "number"}],
            "description": "UTC instant of virtual time 0",
        },
        "capture": {
            "anyOf": [TEXT, {"type": "array", "items": TEXT, "minItems": 1}],
            "description": f"capture points: {', '.join(v.CAPTURE_POINTS)} or host names",
        },
        "program": _program(),
        "chaos": _chaos(),
    }
    return _shared(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_ID,
            "title": "simnet scenario",
            "description": "A scenario: a module (or a fleet), the network, peer hosts, faults, "
                           "the host's script "
            "and checks. Generated by `simnet schema` from the validator's tables; "
            "`simnet validate` is the authority.",
            **_object(top, v.TOP_KEYS, required=("name",)),
            "anyOf": [{"required": ["module"]}, {"required": ["modules"]}],
        }
    )


def _shared(schema: dict[str, Any], min_size: int = 160) -> dict[str, Any]:
    """Sub-schemas that occur more than once moved to ``$defs`` and referenced (the trigger of
    every fault action, the duration of every timer...), named after the key they first appear
    under."""
    import json

    def key(node: Any) -> str:
        return json.dumps(node, sort_keys=True)

    seen: dict[str, int] = {}
    first_name: dict[str, str] = {}

    def count(node: Any, name: str) -> None:
        if isinstance(node, dict):
            k = key(node)
            if len(k) >= min_size:
                seen[k] = seen.get(k, 0) + 1
                first_name.setdefault(k, name)
            for child_name, child in node.items():
                if child_name == "properties":  # names -> schemas: count the schemas only
                    for prop, sub in child.items():
                        count(sub, prop)
                    continue
                count(
                    child,
                    child_name
                    if child_name
                    not in ("items", "anyOf", "oneOf", "allOf", "then", "additionalProperties")
                    else name,
                )
        elif isinstance(node, list):
            for child in node:
                count(child, name)

    count(schema, "scenario")
    shared = {k for k, n in seen.items() if n > 1}
    for known, name in (
        (DURATION, "duration"),
        (RATE, "rate"),
        (PROBABILITY, "probability"),
        (DISTRIBUTION, "distribution"),
    ):
        first_name[key(known)] = name
    names: dict[str, str] = {}
    defs: dict[str, Any] = {}

    def replace(node: Any, top: bool = False) -> Any:
        if isinstance(node, dict):
            k = key(node)
            if not top and k in shared:
                if k not in names:
                    base = re_name(first_name[k])
                    name, n = base, 2
                    while name in defs:
                        name, n = f"{base}{n}", n + 1
                    names[k] = name
                    defs[name] = None  # reserve before recursing
                    defs[name] = replace(node, top=True)
                return {"$ref": f"#/$defs/{names[k]}"}
            # a "properties" mapping is names -> schemas, not a schema: keep it, share its values
            return {
                child_name: (
                    {n: replace(c) for n, c in child.items()}
                    if child_name == "properties"
                    else replace(child)
                )
                for child_name, child in node.items()
            }
        if isinstance(node, list):
            return [replace(child) for child in node]
        return node

    out = replace(schema, top=True)
    out["$defs"] = defs
    return out


def re_name(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_]", "_", str(name)) or "def"


def schema_text() -> str:
    """The schema as ``simnet schema`` prints it (stable: keys sorted, two-space indent)."""
    import json

    return json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"


def modeline(scenario_path: str, schema_path: str) -> str:
    """The first line that points an editor's YAML language server at the schema, relative to
    the scenario when both are in one tree."""
    import os

    rel = os.path.relpath(schema_path, os.path.dirname(os.path.abspath(scenario_path)) or ".")
    return f"{MODELINE}{rel.replace(os.sep, '/')}"


SCHEMA_HINT = (
    "# (editor completion: `simnet schema -o scenario.schema.json` writes the schema that the "
    "first line names, beside this file)"
)


def modeline_for(scenario_path: str | None) -> tuple[str, bool]:
    """The modeline ``simnet new`` / ``simnet import`` write for a scenario at
    ``scenario_path`` (None: standard output, taken as the current folder), and whether the
    schema it names exists. Paths are relative, so the file keeps working when its folder moves
    or is committed: the nearest ``scenario.schema.json`` in the file's folder or above, else
    the library's own schema when the file is in the library's tree (a checkout), else the bare
    name ``scenario.schema.json`` - beside the file, where ``simnet schema -o`` puts it (an
    absolute path into a wheel's site-packages would hold on one machine only)."""
    import os
    from pathlib import Path

    from simnet.library import scenarios_dir

    target = Path(os.path.abspath(scenario_path or "scenario.yaml"))
    for folder in target.parents:
        if (folder / LIBRARY_SCHEMA_FILE).is_file():
            return modeline(str(target), str(folder / LIBRARY_SCHEMA_FILE)), True
    library = scenarios_dir()
    schema = library / LIBRARY_SCHEMA_FILE
    if schema.is_file() and target.is_relative_to(library.parent):
        return modeline(str(target), str(schema)), True
    return MODELINE + LIBRARY_SCHEMA_FILE, False
