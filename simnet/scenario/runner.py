"""Runs a scenario's steps and checks on virtual time and collects what happened.

The runner is the host script interpreter: ``send`` writes to the UART, ``expect`` waits (on the
virtual clock) for text in what the module sent since the last match, ``expect_absent`` watches
a window for text that must not come, ``wait`` lets time pass. The first failing step stops the
script (later steps are reported as not run); checks are evaluated after the script either way,
because the peer state at the failure is exactly what a user wants to see.
"""

from __future__ import annotations

import hashlib
import math
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simnet.errors import ExpectTimeout, SimnetError
from simnet.kernel.sim import relaxed_gc
from simnet.scenario.ip_steps import IP_STEP_KINDS, IpSteps, check_ppp_pcap
from simnet.scenario.model import CheckSpec, StepSpec
from simnet.scenario.safe_regex import PatternTooSlow, SafePattern
from simnet.scenario.sms_steps import SMS_STEP_KINDS, SmsSteps, check_sms
from simnet.scenario.text import show_bytes

if TYPE_CHECKING:
    from simnet.scenario.api import Simulation


@dataclass
class StepResult:
    index: int
    kind: str
    text: str
    line: int
    passed: bool | None  # None: not run (an earlier step failed)
    t: float | None = None  # virtual time when the step finished
    t_start: float | None = None
    detail: str = ""
    expected: str | None = None
    received: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "kind": self.kind,
            "text": self.text,
            "line": self.line,
            "passed": self.passed,
            "t": None if self.t is None else round(float(self.t), 6),
            "t_start": None if self.t_start is None else round(float(self.t_start), 6),
            "detail": self.detail,
        }
        if self.expected is not None:
            out["expected"] = self.expected
        if self.received is not None:
            out["received"] = self.received
        return out


@dataclass
class CheckResult:
    index: int
    kind: str
    host: str
    passed: bool
    detail: str
    line: int
    expected: Any = None
    actual: Any = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "host": self.host,
            "passed": self.passed,
            "detail": self.detail,
            "line": self.line,
            "expected": self.expected,
            "actual": self.actual,
        }


def radio_summary(bearer: Any) -> dict[str, Any] | None:
    """Charge (mAh), energy (J), airtime and bytes on the air, and seconds per radio state of a
    module's radio link (``RadioLinkController.energy``), with its profile; None without one."""
    control = getattr(bearer, "link_control", None)
    if control is None:
        return None
    out: dict[str, Any] = {"profile": bearer.profile.name}
    for key, value in control.energy().items():
        out[key] = round(value, 9) if isinstance(value, float) and value == value else value
    return out


@dataclass
class DeviceResult:
    """One fleet device's script: its steps, whether all passed, when it ended."""

    name: str
    group: str
    module: str
    passed: bool
    steps: list[StepResult] = field(default_factory=list)
    t_start: float = 0.0
    t_end: float | None = None
    uart_bytes_out: int = 0  # host -> module
    uart_bytes_in: int = 0  # module -> host
    radio: dict[str, Any] | None = None  # radio_summary: energy, airtime, time per state

    @property
    def failure(self) -> StepResult | None:
        return next((s for s in self.steps if s.passed is False), None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "group": self.group, "module": self.module, "passed": self.passed,
            "steps": len(self.steps), "steps_passed": sum(1 for s in self.steps if s.passed),
            "t_start": round(self.t_start, 6),
            "t_end": None if self.t_end is None else round(self.t_end, 6),
            "uart_bytes_out": self.uart_bytes_out, "uart_bytes_in": self.uart_bytes_in,
        }
        if self.radio is not None:
            out["radio"] = self.radio
        f = self.failure
        if f is not None:
            out["failure"] = f.to_json()
        return out


@dataclass
class RunResult:
    scenario: str
    file: str
    seed: int
    passed: bool
    virtual_time: float
    wall_time: float
    steps: list[StepResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    digest: str = ""
    records: int = 0
    error: str | None = None
    fault_errors: list[str] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)  # what the trace kept (Trace.summary)
    devices: list[DeviceResult] = field(default_factory=list)  # a fleet's devices (modules:)
    radio: dict[str, Any] | None = None  # the module's radio_summary (single-module runs)
    # A chaos scenario (chaos:) is judged by its invariants (simnet.scenario.invariants); its
    # steps or program are the workload.
    invariants: list[Any] = field(default_factory=list)
    judged_by_invariants: bool = False
    program_result: Any = None  # what a program: returned

    def __repr__(self) -> str:
        # Short, the verdict first: pytest shows a failing `assert result.passed` through this,
        # cut to ~240 characters, and the dataclass's own repr spent them all on the step list.
        from simnet.scenario.report import describe_failure

        why = describe_failure(self)
        failure = f", failure={why!r}" if why else ""
        return (
            f"RunResult(scenario={self.scenario!r}, passed={self.passed}{failure}, "
            f"seed={self.seed}, virtual_time={float(self.virtual_time):.3f}, "
            f"steps={len(self.steps)}, checks={len(self.checks)}, devices={len(self.devices)}, "
            f"digest={self.digest[:16]!r})"
        )

    def devices_frame(self) -> Any:
        """One row per fleet device (pandas): name, group, module, passed, steps, steps_passed,
        t_start, t_end, UART byte counts, the radio figures as ``radio.<name>`` columns (as a
        sweep's ``radio`` metric names them), and the failing step: ``failed_step`` its number
        as ``simnet run`` prints it (from 1), ``failed_kind``, ``failure`` (what went wrong)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("devices_frame() needs pandas: pip install simnet[data]") from exc
        rows = []
        for d in self.devices:
            row = d.to_json()
            failure = row.pop("failure", None)
            for name, value in (row.pop("radio", None) or {}).items():
                row[f"radio.{name}"] = value
            row["failed_step"] = None if failure is None else failure["index"] + 1
            row["failed_kind"] = None if failure is None else failure["kind"]
            row["failure"] = None if failure is None else failure["detail"]
            rows.append(row)
        frame = pd.DataFrame(rows)
        if "failed_step" in frame:  # a step number, not a float because some rows have none
            frame["failed_step"] = frame["failed_step"].astype("Int64")
        return frame

    @property
    def broken_invariants(self) -> list[Any]:
        return [i for i in self.invariants if not i.passed]

    @property
    def failure(self) -> Any:
        """The first failed step or check; for a chaos scenario, the first broken invariant."""
        if self.judged_by_invariants:
            broken = self.broken_invariants
            return broken[0] if broken else None
        for s in self.steps:
            if s.passed is False:
                return s
        for d in self.devices:
            if d.failure is not None:
                return d.failure
        for c in self.checks:
            if not c.passed:
                return c
        return None


def _show(data: bytes, limit: int = 300) -> str:
    """Received bytes as readable text with CR/LF and controls escaped (for reports)."""
    return show_bytes(data, limit)


StepCallback = Callable[[StepResult], None]

# The patterns the runner compiles itself (``expect_re``'s SafePattern, ``expect_absent``'s
# bytes), per process: compiled patterns are immutable, so runs share them. Plain ``expect``
# patterns go to ``dte.expect`` as text, which keeps its own cache.
_PATTERNS: dict[tuple[str, str | bytes], Any] = {}
_MAX_PATTERNS = 8192  # a process running scenarios without end must not grow this forever


def _compiled(kind: str, pattern: str | bytes) -> Any:
    """``pattern`` compiled for a step of ``kind``: a SafePattern for ``expect_re``, else an
    ``re.Pattern`` of the bytes of ``expect_absent``."""
    key = (kind, pattern)
    compiled = _PATTERNS.get(key)
    if compiled is None:
        if kind == "expect_re":
            compiled = SafePattern(pattern)  # type: ignore[arg-type]
        else:
            compiled = re.compile(pattern)
        if len(_PATTERNS) >= _MAX_PATTERNS:
            _PATTERNS.clear()
        _PATTERNS[key] = compiled
    return compiled


# Trace kinds with which the layers record a bug they caught (a handler, callback or process
# that raised): the simulation went on, but not as modelled.
MODEL_ERROR_KINDS = frozenset(
    {"handler_error", "callback_error", "process_error", "internal_error"}
)


class WallBudgetExceeded(SimnetError):
    """The run used up its wall-clock budget (``simnet run --max-wall``)."""


class _WallBudget:
    """Arms a wall-clock alarm around each step (in the main thread, where a signal can
    interrupt even a step that never returns to the kernel); elsewhere a virtual-time timer
    reads the wall clock. The alarm raises ``WallBudgetExceeded`` inside the step."""

    POLL = 1.0  # virtual seconds between wall-clock looks (thread fallback)

    def __init__(self, seconds: float | None, sim: Any) -> None:
        self.seconds = seconds
        self.sim = sim
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.use_signal = (
            seconds is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        self._previous: Any = None
        self._timer: Any = None

    def _expired(self) -> WallBudgetExceeded:
        return WallBudgetExceeded(
            f"stopped: the wall-clock budget of {self.seconds:g} s (--max-wall) "
            f"ran out at virtual t={self.sim.now:.3f} s"
        )

    def _on_alarm(self, _signum: int, _frame: Any) -> None:
        raise self._expired()

    def _poll(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise self._expired()
        self._timer = self.sim.call_later(self.POLL, self._poll)

    def __enter__(self) -> None:
        if self.deadline is None:
            return
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._expired()
        if self.use_signal:
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, left)
        elif self._timer is None:
            self._timer = self.sim.call_later(self.POLL, self._poll)

    def __exit__(self, *exc: Any) -> None:
        if self.use_signal and self._previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._previous = None

    def close(self) -> None:
        self.__exit__()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class PortUnavailable(SimnetError):
    """A step names a serial line that cannot be reached now (e.g. a CMUX channel before
    AT+CMUX)."""


class Runner:
    """Executes the steps of ``sim.scenario`` against ``sim.dte``, then its checks."""

    def __init__(
        self,
        sim: Simulation,
        *,
        on_step: StepCallback | None = None,
        on_step_start: StepCallback | None = None,
        max_wall: float | None = None,
    ) -> None:
        if max_wall is not None and (
            isinstance(max_wall, bool)
            or not isinstance(max_wall, int | float)
            or not 0 < max_wall < math.inf
        ):
            raise ValueError(
                f"max_wall: expected a positive number of seconds or None, got {max_wall!r}"
            )
        self.sim = sim
        self.on_step = on_step
        self.on_step_start = on_step_start
        self.ip_steps: IpSteps | None = None  # the dialled host and its sockets, once used
        self.max_wall = max_wall
        self._model_errors: list[str] = []
        self.program_bug: str | None = None  # an exception out of a program: (a host bug)
        self.program_result: Any = None
        self._ports: dict[str, Any] = {}  # port name -> the host end (DTE) of that line
        self._muxes: dict[str, Any] = {}  # UART name -> the host's TS 27.010 multiplexer on it

    def _watch_model_errors(self, rec: Any) -> None:
        if rec.kind in MODEL_ERROR_KINDS:
            what = rec.fields.get("error", "?")
            where = rec.fields.get("command") or rec.fields.get("fn")
            self._model_errors.append(
                f"{rec.source} {rec.kind}" + (f" in {where}" if where else "") + f": {what}"
            )

    def run(self) -> RunResult:
        # The clock's GC setting (kernel.sim.relaxed_gc) for the whole run - steps, checks and
        # the digest between the clock's runs too - not only while the clock runs.
        with relaxed_gc():
            return self._run()

    def _run(self) -> RunResult:
        if getattr(self.sim.world, "is_fleet", False):
            return FleetRunner(self.sim).run()
        sim = self.sim
        sc = sim.scenario
        wall0 = time.perf_counter()
        steps: list[StepResult] = []
        failed = False
        error: str | None = None
        # A model bug (traced by the layer that caught it) fails the step it happened in, with
        # its own words, instead of surfacing later as a timeout that looks like the network.
        sim.trace.add_sink(self._watch_model_errors, MODEL_ERROR_KINDS)
        budget = _WallBudget(self.max_wall, sim)
        oracles = getattr(sim.world, "oracles", None)
        script = sc.steps
        if sc.program is not None:  # the host program is the script: one step
            script = [StepSpec(0, "program", sc.program.target, line=sc.program.line)]
        try:
            for spec in script:
                if failed:
                    steps.append(
                        StepResult(
                            spec.index,
                            spec.kind,
                            spec.text,
                            spec.line,
                            None,
                            detail="not run: an earlier step failed",
                        )
                    )
                    continue
                if self.on_step_start is not None:
                    self.on_step_start(
                        StepResult(
                            spec.index, spec.kind, spec.text, spec.line, None, t_start=sim.now
                        )
                    )
                errors_before = len(self._model_errors)
                try:
                    with budget:
                        result = self.run_step(spec)
                except WallBudgetExceeded as exc:
                    result = StepResult(
                        spec.index,
                        spec.kind,
                        spec.text,
                        spec.line,
                        False,
                        t=sim.now,
                        detail=str(exc),
                    )
                    error = result.detail
                except PatternTooSlow as exc:
                    result = StepResult(
                        spec.index,
                        spec.kind,
                        spec.text,
                        spec.line,
                        False,
                        t=sim.now,
                        detail=str(exc),
                    )
                except Exception as exc:  # a model bug must still give a report, not a traceback
                    result = StepResult(
                        spec.index,
                        spec.kind,
                        spec.text,
                        spec.line,
                        False,
                        t=sim.now,
                        detail=f"internal error: {type(exc).__name__}: {exc}",
                    )
                    error = result.detail
                if len(self._model_errors) > errors_before and result.passed is not False:
                    result.passed = False
                if len(self._model_errors) > errors_before:
                    first = self._model_errors[errors_before]
                    result.detail = f"model error: {first}" + (
                        f"; {result.detail}" if result.detail else ""
                    )
                    error = error or result.detail
                steps.append(result)
                if self.on_step is not None:
                    self.on_step(result)
                if not result.passed:
                    failed = True
            if oracles is not None:  # the storm passes, the module is probed, data lands
                try:
                    with budget:
                        oracles.settle()
                except WallBudgetExceeded as exc:
                    error = error or str(exc)
                except Exception as exc:  # a model bug must still give a report
                    error = error or f"internal error: {type(exc).__name__}: {exc}"
        finally:
            budget.close()
            sim.trace.remove_sink(self._watch_model_errors)
        checks = [self.run_check(c) for c in sc.checks]
        # A fault the world could not apply means the scenario did not test what it says.
        fault_errors = list(getattr(sim.world, "fault_errors", []))
        passed = not failed and all(c.passed for c in checks) and not fault_errors
        invariants: list[Any] = []
        if oracles is not None:
            internal = (
                error if error and error.startswith(("internal error", "model error")) else None
            )
            invariants = oracles.evaluate(
                steps_passed=not failed,
                program_error=self.program_bug,
                internal_error=internal,
                checks=checks,
            )
            passed = all(i.passed for i in invariants)
            sim.record("runner", "invariants", broken=[i.name for i in invariants if not i.passed])
        sim.record("runner", "end", passed=passed)
        return RunResult(
            scenario=sc.name,
            file=sc.file,
            seed=sim.seed,
            passed=passed,
            virtual_time=sim.now,
            wall_time=time.perf_counter() - wall0,
            steps=steps,
            checks=checks,
            digest=sim.trace.digest(),
            records=len(sim.trace),
            error=error,
            fault_errors=fault_errors,
            trace=sim.trace.summary(),
            radio=radio_summary(getattr(sim.world, "bearer", None)),
            invariants=invariants,
            judged_by_invariants=oracles is not None,
            program_result=self.program_result,
        )

    # -- steps -------------------------------------------------------------------------------
    def port_dte(self, port: str) -> Any:
        """The host end of serial line ``port`` (schema.module_ports), opened on first use:
        another UART's own DTE, or a channel of the host's multiplexer on a UART the module
        multiplexes after the scenario's own AT+CMUX (as a driver opens a DLCI after OK).
        Raises ``PortUnavailable`` when the line cannot be reached now."""
        sim = self.sim
        if port == "uart1":
            return sim.dte
        if port in self._ports:
            return self._ports[port]
        from simnet.modem.dte import DTE

        uart, _, channel = port.rpartition("cmux") if "cmux" in port else (port, "", "")
        uart = uart.rstrip(".") or "uart1"
        if not channel:
            dte = DTE(sim, sim.module.open_uart(uart))
        else:
            line = self.port_dte(uart)
            module = sim.module if uart == "uart1" else sim.module.open_uart(uart)
            mux = self._muxes.get(uart)
            if mux is None:
                if module.mux is None:
                    raise PortUnavailable(
                        f"{port}: {uart} is not multiplexed (expected AT+CMUX=0 answered OK "
                        f"on {uart} before)"
                    )
                from simnet.modem.cmux import HostMux

                mux = self._muxes[uart] = HostMux(line, n1=module.mux.engine.n1).start()
            dlci = int(channel)
            try:
                dte = mux.open(dlci)
            except ExpectTimeout as exc:
                raise PortUnavailable(f"{port}: DLCI {dlci} did not open ({exc})") from None
        self._ports[port] = dte
        return dte

    def run_step(self, spec: StepSpec) -> StepResult:
        sim = self.sim
        t0 = sim.now
        res = StepResult(spec.index, spec.kind, spec.text, spec.line, True, t_start=t0)
        fields: dict[str, Any] = {"index": spec.index, "step": spec.kind, "text": spec.text}
        if spec.port != "uart1":
            fields["port"] = spec.port
        elif spec.kind in ("send", "send_raw", "send_hex"):
            fields["size"] = len(spec.data)  # lets the sequence chart cut the UART stream per write
        sim.record("runner", "step", **fields)
        try:
            dte = self.port_dte(spec.port)
        except PortUnavailable as exc:
            res.passed, res.detail, res.t = False, str(exc), sim.now
            sim.record("runner", "step_failed", index=spec.index)
            return res
        if spec.kind == "program":
            from simnet.scenario.program import run_program

            res.passed, res.detail, self.program_bug, self.program_result = run_program(sim)
        elif spec.kind in IP_STEP_KINDS:
            if self.ip_steps is None:
                self.ip_steps = IpSteps(sim)
            res.passed, res.detail = self.ip_steps.run(spec.kind, spec.params, spec.within)
        elif spec.kind in SMS_STEP_KINDS:
            res.passed, res.detail = SmsSteps(sim).run(spec.kind, spec.params, spec.within)
        elif spec.kind in ("send", "send_raw", "send_hex"):
            dte.write(spec.data)
            res.detail = f"sent {len(spec.data)} bytes"
        elif spec.kind == "wait":
            sim.advance(spec.seconds)
            res.detail = f"waited {spec.seconds:g} s"
        elif spec.kind in ("expect", "expect_re"):
            pattern = (
                _compiled(spec.kind, spec.pattern) if spec.kind == "expect_re" else spec.pattern
            )
            try:
                m = dte.expect(pattern, timeout=spec.within)
            except ExpectTimeout as exc:
                res.passed = False
                res.expected = spec.text
                res.received = _show(exc.received)
                res.detail = f"not seen within {spec.within:g} s"
            else:
                matched = m.group(0)
                res.detail = "matched " + _show(
                    matched if isinstance(matched, bytes) else matched.encode("latin-1", "replace")
                )
        elif spec.kind == "expect_absent":
            found = self._watch_absent(dte, spec.pattern, spec.within)
            if found is not None:
                res.passed = False
                res.expected = f"no {spec.text!r} for {spec.within:g} s"
                res.received = found
                res.detail = f"arrived after {sim.now - t0:g} s"
            else:
                res.detail = f"absent for {spec.within:g} s"
        res.t = sim.now
        if spec.port != "uart1":
            res.detail = f"on {spec.port}: {res.detail}"
        if not res.passed:  # success is implied by the next step's record; a failure is news
            sim.record("runner", "step_failed", index=spec.index)
        return res

    def _watch_absent(self, dte: Any, pattern: str, within: float) -> str | None:
        """Run the clock for ``within`` seconds; return the offending text if it arrives on
        ``dte``.

        Nothing is consumed: absence leaves the receive buffer for the next ``expect``."""
        regex = _compiled("expect_absent", pattern.encode("latin-1", "replace"))
        hit: list[bytes] = []
        searched_at = [-1]

        def seen() -> bool:
            # Called after every kernel event: search again only when bytes have arrived.
            if dte.bytes_received == searched_at[0]:
                return False
            searched_at[0] = dte.bytes_received
            m = regex.search(dte.peek())
            if m:
                hit.append(m.group(0))
                return True
            return False

        if self.sim.run_until(seen, within):
            return _show(hit[0]) if hit else "?"
        return None

    # -- checks ------------------------------------------------------------------------------
    def run_check(self, spec: CheckSpec) -> CheckResult:
        try:
            return self._check(spec)
        except Exception as exc:  # inspection of a peer must never crash the report
            return CheckResult(
                spec.index,
                spec.kind,
                spec.host,
                False,
                f"internal error: {type(exc).__name__}: {exc}",
                spec.line,
            )

    def _check(self, spec: CheckSpec) -> CheckResult:
        if spec.kind == "trace":
            got = self.sim.world.trace_counts.get(spec.index, 0)
            lo, hi = spec.params["min"], spec.params["max"]
            passed = lo <= got <= hi
            count: Any = lo if lo == hi else {"min": lo, "max": hi}
            what = ", ".join(f"{k}={v}" for k, v in spec.params["match"].items())
            return CheckResult(
                spec.index,
                spec.kind,
                "trace",
                passed,
                f"{got} record(s) with {what}" + ("" if passed else f" (expected {count})"),
                spec.line,
                expected={"count": count},
                actual={"count": got},
            )
        if spec.kind == "capture":
            from simnet.scenario.capture_checks import check_capture

            passed, detail, found = check_capture(self.sim, spec.params)
            return CheckResult(
                spec.index,
                spec.kind,
                spec.params["pcap"],
                passed,
                detail,
                spec.line,
                expected={"distinct_sources": spec.params["distinct_sources"]},
                actual=found,
            )
        if spec.kind == "sms":
            passed, detail, found = check_sms(self.sim, spec.params)
            return CheckResult(
                spec.index,
                spec.kind,
                spec.host,
                passed,
                detail,
                spec.line,
                expected={k: spec.params[k] for k in ("text", "count", "from") if k in spec.params},
                actual=found,
            )
        if spec.kind == "pcap":
            passed, detail, found = check_ppp_pcap(self.sim, spec.params)
            return CheckResult(
                spec.index,
                spec.kind,
                "ppp",
                passed,
                detail,
                spec.line,
                expected=dict(spec.params),
                actual=found,
            )
        host = self.sim.host(spec.host)
        p = spec.params
        out = CheckResult(spec.index, spec.kind, spec.host, True, "", spec.line)
        problems: list[str] = []
        if spec.kind == "file":
            files = host.ftp_files()
            path = p["file"]
            data = files.get(path)
            want: dict[str, Any] = {k: p[k] for k in ("sha256", "size", "text", "exists") if k in p}
            actual: dict[str, Any] = {"exists": data is not None}
            if data is not None:
                actual["size"] = len(data)
                actual["sha256"] = hashlib.sha256(data).hexdigest()
                if "text" in p:
                    actual["text"] = data.decode("utf-8", "replace")
            if data is None and want.get("exists", True):
                problems.append(f"{path} does not exist on {spec.host}")
            elif data is not None and want.get("exists", True) is False:
                problems.append(f"{path} exists on {spec.host}")
            elif data is not None:
                for key in ("sha256", "size", "text"):
                    if key in want and want[key] != actual[key]:
                        problems.append(f"{key} is {actual[key]!r}, expected {want[key]!r}")
            out.expected, out.actual = want, actual
            out.detail = f"{path}: " + ("; ".join(problems) if problems else "as expected")
        elif spec.kind == "service":
            got = host.bytes_received(service=p.get("service"), port=p.get("port"))
            out.expected = {"bytes_received": p.get("bytes_received")}
            out.actual = {"bytes_received": got}
            if "bytes_received" in p and got != p["bytes_received"]:
                problems.append(f"bytes_received is {got}, expected {p['bytes_received']}")
            out.detail = "; ".join(problems) if problems else f"bytes_received {got}"
        elif spec.kind == "tcp":
            got = host.tcp_retransmissions()
            out.expected, out.actual = (
                {"tcp_retransmissions": {"max": p["max"]}},
                {"tcp_retransmissions": got},
            )
            if got > p["max"]:
                problems.append(f"{got} segments retransmitted, expected at most {p['max']}")
            out.detail = "; ".join(problems) if problems else f"{got} segments retransmitted"
        else:  # mailbox
            messages = host.mailbox(p["mailbox"], service=p.get("service"))
            subjects = [m.get("subject", "") for m in messages]
            out.actual = {"count": len(messages), "subjects": subjects}
            out.expected = {k: p[k] for k in ("count", "subject", "body") if k in p}
            if "count" in p and len(messages) != p["count"]:
                problems.append(f"{len(messages)} messages, expected {p['count']}")
            if "subject" in p and not any(p["subject"] in s for s in subjects):
                problems.append(
                    f"no message whose subject contains {p['subject']!r} (subjects: {subjects})"
                )
            if "body" in p and not any(p["body"] in m.get("body", "") for m in messages):
                problems.append(f"no message whose body contains {p['body']!r}")
            out.detail = f"{p['mailbox']}: " + (
                "; ".join(problems) if problems else f"{len(messages)} messages"
            )
        out.passed = not problems
        return out


class FleetRunner:
    """Runs every device's script of a fleet (``modules:``) at once on the one clock: each is a
    SimPy process that waits with ``dte.expect_event`` instead of running the clock itself.
    A device's first failing step ends its script; the others go on. Then the checks."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def run(self) -> RunResult:
        sim = self.sim
        sc = sim.scenario
        world = sim.world
        wall0 = time.perf_counter()
        results: list[DeviceResult] = []
        procs = []
        for dev in world.devices.values():
            spec = dev.spec
            result = DeviceResult(dev.name, spec.group, spec.module, True)
            results.append(result)
            delay = (
                spec.start.sample(sim.rng(f"{dev.name}.start")) if spec.start is not None else 0.0
            )
            procs.append(sim.process(self._script(dev, result, max(0.0, delay))))
        if procs:
            sim.run(sim.env.all_of(procs))
        for dev, result in zip(world.devices.values(), results, strict=True):
            result.radio = radio_summary(dev.bearer)
        checks = [Runner(sim).run_check(c) for c in sc.checks]
        fault_errors = list(getattr(world, "fault_errors", []))
        passed = (
            all(d.passed for d in results) and all(c.passed for c in checks) and not fault_errors
        )
        sim.record(
            "runner",
            "end",
            passed=passed,
            devices=len(results),
            devices_passed=sum(1 for d in results if d.passed),
        )
        return RunResult(
            scenario=sc.name,
            file=sc.file,
            seed=sim.seed,
            passed=passed,
            virtual_time=sim.now,
            wall_time=time.perf_counter() - wall0,
            steps=[],
            checks=checks,
            digest=sim.trace.digest(),
            records=len(sim.trace),
            fault_errors=fault_errors,
            trace=sim.trace.summary(),
            devices=results,
        )

    def _script(self, dev: Any, result: DeviceResult, delay: float) -> Any:
        sim = self.sim
        dte = dev.dte
        if delay > 0:
            yield sim.timeout(delay)
        result.t_start = sim.now
        failed = False
        for spec in dev.spec.steps:
            if failed:
                result.steps.append(
                    StepResult(
                        spec.index,
                        spec.kind,
                        spec.text,
                        spec.line,
                        None,
                        detail="not run: an earlier step failed",
                    )
                )
                continue
            t0 = sim.now
            res = StepResult(spec.index, spec.kind, spec.text, spec.line, True, t_start=t0)
            sim.record("runner", "step", device=dev.name, index=spec.index, step=spec.kind)
            if spec.kind in ("send", "send_raw", "send_hex"):
                dte.write(spec.data)
                res.detail = f"sent {len(spec.data)} bytes"
            elif spec.kind == "wait":
                if spec.seconds > 0:
                    yield sim.timeout(spec.seconds)
                res.detail = f"waited {spec.seconds:g} s"
            elif spec.kind in ("expect", "expect_re"):
                m = yield dte.expect_event(spec.pattern, spec.within)
                if m is None:
                    res.passed = False
                    res.expected = spec.text
                    res.received = _show(dte.peek())
                    res.detail = f"not seen within {spec.within:g} s"
                else:
                    res.detail = "matched " + _show(m.group(0).encode("latin-1", "replace"))
            elif spec.kind == "expect_absent":
                m = yield dte.expect_event(spec.pattern, spec.within, consume=False)
                if m is not None:
                    res.passed = False
                    res.expected = f"no {spec.text!r} for {spec.within:g} s"
                    res.received = _show(m.group(0).encode("latin-1", "replace"))
                    res.detail = f"arrived after {sim.now - t0:g} s"
                else:
                    res.detail = f"absent for {spec.within:g} s"
            res.t = sim.now
            result.steps.append(res)
            if not res.passed:
                failed = True
                result.passed = False
                sim.record("runner", "step_failed", device=dev.name, index=spec.index)
        result.t_end = sim.now
        result.uart_bytes_out = dte.port.bytes_sent
        result.uart_bytes_in = dte.bytes_received
