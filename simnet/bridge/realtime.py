"""The real-time face: the same simulation, its clock following the wall clock.

The bridge owns the only loop that reads the wall clock. Each turn it runs the simulation up
to "now" (virtual time = wall seconds since start), then waits in ``select`` for host bytes
until the next simulated event is due. Bytes from the host enter the UART model at the virtual
instant they arrived, so baud timing, ``+++`` guard times and protocol timeouts look real to
the program on the other end. When processing falls behind the wall clock by more than
``max_lag`` the bridge says so (stderr and a trace record) instead of drifting silently.

Idle, the loop sleeps in ``select`` until the next simulated event is due or a host byte comes
(``wake()`` interrupts it to stop): it runs the kernel with ``Environment.step`` up to a
marker event rather than ``env.run(until=...)``, which leaves its spent stop event at the head
of the queue and so makes the next wait zero (a busy loop using a whole core).
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

import simpy

from simnet.bridge.endpoints import Endpoint


class Bridge:
    def __init__(
        self,
        sim: Any,
        endpoint: Endpoint,
        *,
        max_lag: float = 0.2,
        log: IO[str] | None = None,
        poll: float = 1.0,
        host_fifo: int = 4096,
    ) -> None:
        self.sim = sim
        self.endpoint = endpoint
        self.max_lag = max_lag
        self.poll = poll
        # Like a real serial driver, take host bytes only while the line's transmit queue has
        # room: a flooding host is paced at the baud rate instead of filling memory.
        self.host_fifo = host_fifo
        self.log = log if log is not None else sys.stderr
        self.port = sim.module.uart.dte  # the host end of the module's serial line
        self.port.on_receive = self._from_module
        # A real program reads as bytes come: deliveries of FIFO size, not whole bursts.
        from simnet.modem.uart import CHUNK

        self.port.rx_limit = lambda _queued, _bt: CHUNK
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.worst_lag = 0.0
        self.lag_warnings = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self._behind = False
        self._wall0 = 0.0
        self._virtual0 = 0.0
        self._calls: deque[tuple[Callable[[], Any], Future[Any]]] = deque()  # from other threads
        # Observers of the host's bytes as they enter the line: fn(virtual time, data)
        # (simnet serve --chaos keeps them to replay the driver in a scenario).
        self.host_taps: list[Callable[[float, bytes], None]] = []

    # -- data paths --------------------------------------------------------------------------
    def _from_module(self, data: bytes, _t_last: float, _byte_time: float) -> None:
        self.bytes_out += len(data)
        self.endpoint.write(data)

    def _to_module(self, data: bytes) -> None:
        self.bytes_in += len(data)
        for tap in self.host_taps:
            tap(self.sim.now, data)
        self.port.write(data)

    # -- clock -------------------------------------------------------------------------------
    def wall_virtual(self) -> float:
        """The virtual instant that corresponds to the wall clock right now."""
        return self._virtual0 + (time.monotonic() - self._wall0)

    def wake(self) -> None:
        """Interrupt the wait (call after making ``should_stop`` true); safe from any thread
        and from a signal handler."""
        try:
            os.write(self._wake_w, b"x")
        except OSError:  # pipe full (already woken) or closed
            pass

    def call(self, fn: Callable[[], Any]) -> Future[Any]:
        """Run ``fn()`` on the bridge's thread at the virtual instant of the wall clock (the
        simulation is not thread-safe: a host program's test that injects an SMS or a call
        goes through here); the future holds its result or exception. Safe from any thread."""
        future: Future[Any] = Future()
        self._calls.append((fn, future))
        self.wake()
        return future

    def _run_calls(self) -> None:
        while self._calls:
            fn, future = self._calls.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

    def _run_to(self, target: float) -> None:
        env = self.sim.env
        if target > env.now:
            # Base-class step: the real-time environment's own step would sleep.
            step = simpy.Environment.step
            marker = env.timeout(target - env.now)
            while not marker.processed:
                step(env)
        lag = self.wall_virtual() - env.now
        self.worst_lag = max(self.worst_lag, lag)
        if lag > self.max_lag and not self._behind:
            self._behind = True
            self.lag_warnings += 1
            self.sim.record("bridge", "lag", seconds=round(lag, 3))
            print(f"simnet serve: cannot keep up with the wall clock: {lag:.3f} s behind at "
                  f"virtual t={env.now:.3f}", file=self.log, flush=True)
        elif lag <= self.max_lag / 2:
            self._behind = False

    # -- loop --------------------------------------------------------------------------------
    def run(self, should_stop: Callable[[], bool]) -> None:
        env = self.sim.env
        if hasattr(env, "sync"):
            env.sync()  # RealtimeEnvironment: wall time of "now" is this instant
        self._wall0 = time.monotonic()
        self._virtual0 = env.now
        self.sim.record("bridge", "start", endpoint=self.endpoint.description)
        while not should_stop():
            self._run_to(self.wall_virtual())
            if self._calls:
                self._run_calls()
                continue  # what they scheduled may be due at once
            wait = min(self.poll, max(0.0, env.peek() - self.wall_virtual()))
            try:
                want_data = self.port.pending < self.host_fifo
                fds = [*self.endpoint.fds(want_data), self._wake_r]
                readable, _, _ = select.select(fds, [], [], wait)
            except (OSError, ValueError):
                readable = []
            for fd in readable:
                if fd == self._wake_r:
                    try:
                        os.read(self._wake_r, 512)
                    except OSError:
                        pass
                    continue
                data = self.endpoint.on_readable(fd)
                if data is None:
                    self.sim.record("bridge", "client_left")
                    continue
                if data:
                    self._run_to(self.wall_virtual())  # bytes enter at their arrival instant
                    route = getattr(self.endpoint, "route", None)
                    if route is not None:  # an endpoint of several lines (serve --cmux)
                        self.bytes_in += len(data)
                        route(fd, data)
                    else:
                        self._to_module(data)
            flush = getattr(self.endpoint, "flush", None)
            if flush is not None:
                flush()
        self.sim.record("bridge", "stop", bytes_in=self.bytes_in, bytes_out=self.bytes_out,
                        worst_lag=round(self.worst_lag, 3))

    def close(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
