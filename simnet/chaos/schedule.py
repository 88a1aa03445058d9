"""Seeded fault schedules over a scenario's world.

A :class:`Schedule` is a list of ordinary scenario faults (``{at: 12.5s, action: loss, loss: 30%,
duration: 4s}``) plus the world variants the faults need (``network.nat.on_expiry`` for a NAT
expiry), so a schedule is plain scenario data: it runs with ``simnet run`` once written into the
scenario. :func:`draw_schedule` draws one from the scenario's ``chaos:`` block with a random
stream of its own, named by the chaos seed and the run's index - the same seed gives the same
schedules in any process, in any order.

Every fault kind of the registry (``simnet.scenario.faults.FAULTS``: each kind's parameters and
their value kinds, declared once with its behaviour) is drawable: the parameters are drawn by
kind (a duration inside the storm window, a loss probability from ``intensity.loss``, a server
of the world for ``host``...), so a new action is drawn as soon as it is declared.
:data:`ACTION_APPLIES` says which actions make sense for a world (a PDP reject needs GPRS, a
reply-code fault a line protocol server).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from simnet.errors import ConfigError
from simnet.kernel.rng import stream_seed
from simnet.scenario.model import ChaosSpec, Scenario

NAT_ON_EXPIRY = ("new-mapping", "silent-drop", "rst-both", "rst-inside", "rst-outside")  # RFC 5382
# TS 24.008 §10.5.6.6 SM causes a network sends when it rejects an activation / deactivates.
PDP_REJECT_CAUSES = (8, 26, 27, 29, 30, 31, 33, 34)
DEACTIVATION_CAUSES = (8, 26, 36, 38)
LINE_SERVICES = ("ftp", "smtp", "pop3")
TCP_SERVICES = ("tcp-echo", "tcp-sink", "tcp-source", "ftp", "smtp", "pop3")
# Reply codes a server may answer instead of doing the work (RFC 959 §4.2, RFC 5321 §4.2.3,
# RFC 1939 -ERR), per service type: (command, code).
REPLY_FAULTS: dict[str, tuple[tuple[str, int | str], ...]] = {
    "ftp": (
        ("STOR", 452),
        ("STOR", 451),
        ("RETR", 550),
        ("RETR", 451),
        ("PASV", 425),
        ("USER", 421),
        ("PASS", 530),
        ("TYPE", 421),
    ),
    "smtp": (
        ("MAIL", 451),
        ("RCPT", 450),
        ("RCPT", 550),
        ("DATA", 554),
        ("EHLO", 421),
        ("HELO", 421),
    ),
    "pop3": (("USER", "-ERR"), ("PASS", "-ERR"), ("RETR", "-ERR"), ("STAT", "-ERR")),
}
# Declared actions that are stimuli rather than faults: never drawn (NOT_DRAWN), or drawn only
# when chaos.kinds names them (BY_REQUEST).
NOT_DRAWN = {
    "peer-connect": "a peer connecting to the module is a stimulus for server-mode "
    "scripts (it needs the port the module listens on), not a fault"
}
BY_REQUEST = {
    "server-push": "a server sending unprompted data tests the host's receive path, not the network"
}


def _has_gprs(sc: Scenario) -> bool:
    return sc.network.bearer == "gprs"


def _uses_ppp(sc: Scenario) -> bool:
    return sc.network.bearer == "gsm" or any(s.kind == "dial" for s in sc.steps)


def _tcp_targets(sc: Scenario, types: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(h.name, s) for h in sc.hosts for s in h.services if s.type in types]


def _phones(sc: Scenario) -> list[str]:
    """Hosts with a number: they send and receive SMS, and call."""
    return [h.name for h in sc.hosts if getattr(h, "msisdn", None)]


def _uses_sms(sc: Scenario) -> bool:
    return bool(
        _phones(sc)
        or getattr(sc.network, "sms", None)
        or any(s.kind.startswith("sms") for s in sc.steps)
    )


# Which declared actions apply to a world (absent: always).
ACTION_APPLIES: dict[str, Callable[[Scenario], bool]] = {
    "pdp-reject": _has_gprs,
    "pdp-silent": _has_gprs,
    "bearer-drop": _has_gprs,
    "ppp-fail": _uses_ppp,
    "call-fail": lambda sc: sc.network.bearer == "gsm",
    "server-refuse": lambda sc: bool(_tcp_targets(sc, TCP_SERVICES)),
    "server-stall": lambda sc: bool(_tcp_targets(sc, TCP_SERVICES)),
    "server-reset": lambda sc: bool(_tcp_targets(sc, TCP_SERVICES)),
    "server-rate-limit": lambda sc: bool(_tcp_targets(sc, TCP_SERVICES)),
    "server-slow-greeting": lambda sc: bool(_tcp_targets(sc, (*LINE_SERVICES, "tcp-source"))),
    "server-reply": lambda sc: bool(_tcp_targets(sc, LINE_SERVICES)),
    "server-push": lambda sc: bool(_tcp_targets(sc, TCP_SERVICES)),
    "smsc-down": _uses_sms,
    "sms-delay": _uses_sms,
    "sms-fail": _uses_sms,
    "incoming-call": lambda sc: bool(_phones(sc)),
}


@dataclass(frozen=True)
class Schedule:
    """Faults (scenario data, sorted by time) and the world variants they need."""

    faults: tuple[dict[str, Any], ...]
    knobs: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {"faults": list(self.faults), "knobs": [list(k) for k in self.knobs]},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Schedule:
        data = json.loads(text)
        return cls(tuple(data["faults"]), tuple((k, v) for k, v in data.get("knobs", [])))

    def __len__(self) -> int:
        return len(self.faults)

    def describe(self) -> str:
        return "; ".join(describe_fault(f) for f in self.faults) or "no faults"


def describe_fault(f: dict[str, Any]) -> str:
    rest = ", ".join(f"{k}={_text(v)}" for k, v in f.items() if k not in ("at", "action"))
    return f"{f['at']} {f['action']}" + (f" ({rest})" if rest else "")


def _text(v: Any) -> str:
    return json.dumps(v, sort_keys=True) if isinstance(v, dict) else str(v)


def drawable_actions(sc: Scenario, spec: ChaosSpec) -> list[str]:
    """The actions a schedule for ``sc`` draws from: ``kinds`` (or every registered fault kind
    that applies), minus ``exclude`` and zero weights."""
    from simnet.scenario.faults import FAULTS

    if spec.kinds is not None:
        for action in spec.kinds:
            if action in NOT_DRAWN:
                raise ConfigError("chaos.kinds", f"{action} cannot be drawn: {NOT_DRAWN[action]}")
            applies = ACTION_APPLIES.get(action)
            if applies is not None and not applies(sc):
                raise ConfigError(
                    "chaos.kinds",
                    f"{action} does not apply to this world (no matching bearer or server)",
                )
        names = list(spec.kinds)
    else:
        names = [
            a
            for a in FAULTS
            if a not in NOT_DRAWN
            and a not in BY_REQUEST
            and (a not in ACTION_APPLIES or ACTION_APPLIES[a](sc))
        ]
    names = [a for a in names if a not in spec.exclude and spec.weights.get(a, 1.0) > 0]
    if not names:
        raise ConfigError("chaos.kinds", "no fault action left to draw (expected at least one)")
    return names


def schedule_rng(seed: int, index: int) -> random.Random:
    return random.Random(stream_seed(seed, f"chaos.schedule.{index}"))


def run_seed(seed: int, index: int) -> int:
    """The scenario seed of chaos run ``index`` (its network's own randomness)."""
    return stream_seed(seed, f"chaos.run.{index}") % (1 << 31)


def draw_schedule(
    sc: Scenario, spec: ChaosSpec, rng: random.Random, actions: list[str] | None = None
) -> Schedule:
    """One schedule: ``faults.min``..``faults.max`` faults inside the storm window."""
    from simnet.scenario.faults import FAULTS

    actions = actions if actions is not None else drawable_actions(sc, spec)
    weights = [spec.weights.get(a, 1.0) for a in actions]
    n = rng.randint(spec.faults_min, spec.faults_max)
    faults: list[dict[str, Any]] = []
    knobs: dict[str, Any] = {}
    for _ in range(n):
        action = rng.choices(actions, weights)[0]
        fault = draw_fault(sc, spec, rng, action, FAULTS[action].params)
        if (
            action == "nat-expire"
            and "network.nat.on_expiry" not in knobs
            and "on_expiry" not in (sc.network.nat_variant or {})
        ):
            knobs["network.nat.on_expiry"] = rng.choice(NAT_ON_EXPIRY)
        faults.append(fault)
    faults.sort(key=lambda f: (seconds(f["at"]), f["action"]))
    return Schedule(tuple(faults), tuple(sorted(knobs.items())))


def draw_fault(
    sc: Scenario,
    spec: ChaosSpec,
    rng: random.Random,
    action: str,
    params: Mapping[str, tuple[str, bool]],
) -> dict[str, Any]:
    """One fault of ``action``, its parameters drawn by their declared kinds."""
    lo, hi = spec.window
    start = rng.uniform(lo, hi)
    fault: dict[str, Any] = {"at": duration_text(start), "action": action}
    if "host" in params and action.startswith("server-"):  # a server of the world it applies to
        types = (
            LINE_SERVICES
            if action == "server-reply"
            else (
                (*LINE_SERVICES, "tcp-source") if action == "server-slow-greeting" else TCP_SERVICES
            )
        )
        host, svc = rng.choice(_tcp_targets(sc, types))
        fault["host"], fault["port"] = host, svc.port
        service_type = svc.type
    else:
        service_type = ""
    for name, (kind, required) in params.items():
        if name in ("host", "port", "service", "value"):
            continue
        value = _draw_param(sc, spec, rng, action, name, kind, required, start, service_type, fault)
        if value is not None:
            fault[name] = value
    return fault


def _draw_param(
    sc: Scenario,
    spec: ChaosSpec,
    rng: random.Random,
    action: str,
    name: str,
    kind: str,
    required: bool,
    start: float,
    service_type: str,
    fault: dict[str, Any],
) -> Any:
    from simnet.scenario.schema import DNS_FAIL_MODES, PPP_PHASE_MODES

    inten = spec.intensity
    if kind == "duration":
        if name == "delay":  # the length of a late greeting, not of the fault
            return duration_text(rng.uniform(*inten["delay"]))
        # Every fault with a duration gets one, inside the window: the storm must end.
        d_lo, d_hi = inten["duration"]
        room = max(0.1, spec.window[1] - start)
        return duration_text(min(rng.uniform(d_lo, d_hi), room))
    if kind == "distribution":
        return duration_text(rng.uniform(*inten["delay"]))
    if kind == "loss":
        p = rng.uniform(*inten["loss"])
        if rng.random() < 0.3:  # a burst model: good and bad states (Gilbert-Elliott)
            return {
                "model": "gilbert-elliott",
                "p": round(p / 4, 4),
                "r": round(rng.uniform(0.1, 0.5), 4),
                "h": 0,
                "k": 1,
            }
        return round(p, 4)
    if kind == "direction":
        return rng.choice(("both", "both", "uplink", "downlink")) if rng.random() < 0.5 else None
    if kind == "sm_cause":
        if rng.random() < 0.5:
            return None
        return rng.choice(DEACTIVATION_CAUSES if action == "bearer-drop" else PDP_REJECT_CAUSES)
    if kind == "count":
        if not required and rng.random() < 0.5:
            return None
        c_lo, c_hi = inten["count"]
        return rng.randint(int(c_lo), int(c_hi))
    if kind == "count0":
        b_lo, b_hi = inten["after_bytes"]
        return rng.randint(int(b_lo), int(b_hi))
    if kind == "ppp_phase":
        return rng.choice(sorted(PPP_PHASE_MODES))
    if kind == "ppp_mode":
        return rng.choice(PPP_PHASE_MODES[fault.get("phase", "lcp")])
    if kind == "call_outcome":
        from simnet.scenario.schema import CALL_FAIL_OUTCOMES

        return rng.choice(CALL_FAIL_OUTCOMES)
    if kind == "dns_mode":
        return rng.choice(DNS_FAIL_MODES)
    if kind == "reset_mode":
        return rng.choice(("reset", "close"))
    if kind == "connection":
        return rng.choice(("control", "data", "any")) if service_type == "ftp" else None
    if kind == "rate":
        r_lo, r_hi = inten["rate"]
        return f"{round(r_lo * (r_hi / r_lo) ** rng.random())}bps"
    if kind == "reply_code":
        return None  # drawn with its command below
    if kind == "host":  # a phone host (incoming-call's caller)
        return rng.choice(_phones(sc))
    if kind == "sms_fail_reason":
        return rng.choice(("absent", "busy", "rejected"))
    if kind == "string":
        if name == "to":  # whose deliveries fail: the module or a phone
            return rng.choice(["module", *_phones(sc)])
        if name == "command" and service_type in REPLY_FAULTS:
            command, code = rng.choice(REPLY_FAULTS[service_type])
            fault["code"] = code
            return command
        if required:  # text a server sends: printable, recognisable, drawn
            return "chaos-" + "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 24))
            )
        return None
    if required:
        raise ConfigError("chaos", f"cannot draw {action}.{name} of kind {kind} (not drawable yet)")
    return None


def duration_text(seconds_: float) -> str:
    """A duration as scenario text with millisecond resolution (``12.345s``)."""
    ms = max(0, round(seconds_ * 1000))
    return f"{ms / 1000:g}s"


def seconds(text: str | float) -> float:
    if isinstance(text, int | float):
        return float(text)
    from simnet.kernel.units import parse_duration

    return parse_duration(text, "at")
