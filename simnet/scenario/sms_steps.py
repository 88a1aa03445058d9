"""Scenario steps and checks for short messages and calls from the network's other subscribers
(hosts with an ``msisdn``). Validation and execution live here; schema and runner call in.

Step forms::

    - sms: {from: phone, text: "RESET", to: "+33600000001", status_report: true}
    - call: {from: phone, ring_for: 30s, hold: 10s}       # a speech call to the module
    - sms_expect: {host: phone, text: "ALARM"}           # the host received a message with it
      within: 60s

``to`` defaults to the module's number. Check form: ``{host: phone, sms: {text: "ALARM",
count: 1}}`` (or ``sms: "ALARM"``): how many complete messages the host received (containing
``text`` when given).
"""

from __future__ import annotations

from typing import Any

SMS_STEP_KINDS = ("sms", "call", "sms_expect")
SMS_WITHIN_KINDS = ("sms_expect",)
SMS_STEP_KEYS = {
    "sms": ("from", "text", "to", "status_report"),
    "call": ("from", "ring_for", "hold"),
    "sms_expect": ("host", "text", "count"),
}
SMS_STEP_REQUIRED = {"sms": ("from", "text"), "call": ("from",), "sms_expect": ("host",)}
SMS_CHECK_KEYS = ("host", "sms")
SMS_CHECK_FIELDS = ("text", "count", "from")


def _phone_host(v: Any, path: tuple[Any, ...], name: Any, sc: Any) -> str | None:
    host = v._host_ref(path, name, sc)
    if host is None:
        return None
    spec = sc.host(host)
    if spec is None or spec.msisdn is None:
        v.err(path, f"{host} has no msisdn (expected a host with one: a phone)")
        return None
    return str(host)


def validate_sms_step(
    v: Any, path: tuple[Any, ...], kind: str, raw: Any, sc: Any
) -> dict[str, Any] | None:
    """Check one step's mapping with the schema validator ``v``; the params or None."""
    allowed = SMS_STEP_KEYS[kind]
    required = SMS_STEP_REQUIRED[kind]
    m = v.mapping(path, raw, allowed, required=required)
    if m is None or any(k not in m for k in required):
        return None
    out: dict[str, Any] = {}
    if kind in ("sms", "call"):
        out["from"] = _phone_host(v, (*path, "from"), m["from"], sc)
    else:
        out["host"] = _phone_host(v, (*path, "host"), m["host"], sc)
    if "text" in m:
        text = v.string(
            (*path, "text"), m["text"], what="the message text", allow_empty=kind == "sms"
        )
        if text is not None and kind == "sms":
            from simnet.bearer.sms.alphabet import AlphabetError
            from simnet.bearer.sms.tpdu import segment

            try:
                segment(text, ref=0)
            except AlphabetError as exc:
                v.err((*path, "text"), f"{exc} (expected a text of at most 255 parts)")
        out["text"] = text
    if "to" in m:
        from simnet.bearer.sms.config import valid_msisdn
        from simnet.errors import ConfigError

        try:
            out["to"] = valid_msisdn(m["to"], "to")
        except ConfigError as exc:
            v.err((*path, "to"), exc.message)
    if "status_report" in m:
        out["status_report"] = bool(v.boolean((*path, "status_report"), m["status_report"]))
    for key in ("ring_for", "hold"):
        if key in m:
            out[key] = v.duration((*path, key), m[key], positive=True)
    if "count" in m:
        out["count"] = v.integer((*path, "count"), m["count"], 1, 1_000_000, what="a message count")
    return out


def validate_sms_check(
    v: Any, cp: tuple[Any, ...], check: dict[str, Any], sc: Any
) -> dict[str, Any] | None:
    """``{host: phone, sms: "text" | {text:, count:, from:}}``: the params or None."""
    m = v.mapping(cp, check, SMS_CHECK_KEYS, required=SMS_CHECK_KEYS)
    if m is None or "host" not in m or "sms" not in m:
        return None
    host = _phone_host(v, (*cp, "host"), m["host"], sc)
    want = m["sms"]
    out: dict[str, Any] = {"host": host}
    if isinstance(want, str):
        out["text"] = want
        return out
    w = v.mapping((*cp, "sms"), want, SMS_CHECK_FIELDS)
    if w is None:
        return None
    if not w:
        v.err((*cp, "sms"), "nothing to check (expected text:, count: or from:)")
        return None
    if "text" in w:
        out["text"] = v.string((*cp, "sms", "text"), w["text"], what="text the message contains")
    if "count" in w:
        out["count"] = v.integer(
            (*cp, "sms", "count"), w["count"], 0, 1_000_000, what="a message count"
        )
    if "from" in w:
        out["from"] = v.string((*cp, "sms", "from"), w["from"], what="the sender's number")
    return out


def _matching(inbox: list[dict[str, Any]], p: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        msg
        for msg in inbox
        if p.get("text") is None or p["text"] in msg["text"]
        if p.get("from") is None
        or msg["from"].removeprefix("+") == str(p["from"]).removeprefix("+")
    ]


def check_sms(sim: Any, p: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """(passed, detail, actual) of an sms check."""
    inbox = sim.host(p["host"]).sms()
    got = _matching(inbox, p)
    if "count" in p:
        passed = len(got) == p["count"]
    else:
        passed = bool(got)
    what = f" containing {p['text']!r}" if p.get("text") is not None else ""
    detail = f"{len(got)} message(s){what} of {len(inbox)} received"
    if not passed:
        detail += f" (expected {p['count'] if 'count' in p else 'at least 1'})"
    return passed, detail, {"count": len(got), "texts": [m["text"] for m in inbox[-5:]]}


class SmsSteps:
    """Runs the steps of this module for one scenario run."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim

    def run(self, kind: str, p: dict[str, Any], within: float) -> tuple[bool, str]:
        host = self.sim.host(p.get("from") or p["host"])
        if kind == "sms":
            ids = host.send_sms(p["text"], p.get("to"), status_report=p.get("status_report", False))
            return True, f"{host.name} sent {len(ids)} part(s) to {p.get('to') or 'the module'}"
        if kind == "call":
            ok = host.call(ring_for=p.get("ring_for"), hold=p.get("hold"))
            return (
                ok,
                "ringing" if ok else "the module cannot take a call now (busy, not registered)",
            )
        want = p.get("count", 1)

        def arrived() -> bool:
            return len(_matching(host.sms(), p)) >= want

        if arrived() or self.sim.run_until(arrived, within):
            return True, f"{host.name} has {len(_matching(host.sms(), p))} matching message(s)"
        return (
            False,
            f"{host.name} has {len(_matching(host.sms(), p))} matching message(s) after {within:g} "
            f"s, expected {want}",
        )


__all__ = [
    "SMS_CHECK_FIELDS",
    "SMS_CHECK_KEYS",
    "SMS_STEP_KEYS",
    "SMS_STEP_KINDS",
    "SMS_STEP_REQUIRED",
    "SMS_WITHIN_KINDS",
    "SmsSteps",
    "check_sms",
    "validate_sms_check",
    "validate_sms_step",
]
