"""Helpers for the real-time bridge tests: a wall-clock reader over pyserial."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

serial = pytest.importorskip("serial")

ECHO_SCENARIO = str(
    Path(__file__).resolve().parents[2] / "scenarios" / "bridge" / "sim7600-echo.yaml"
)


class Line:
    """A pyserial port with 'read until this appears, on the wall clock'."""

    def __init__(self, port) -> None:
        self.port = port
        self.buffer = b""

    def read_until(self, token: bytes, timeout: float = 5.0) -> bytes:
        end = time.monotonic() + timeout
        while token not in self.buffer:
            if time.monotonic() > end:
                raise AssertionError(
                    f"{token!r} not received within {timeout} s; got {self.buffer!r}"
                )
            self.buffer += self.port.read(4096)
        head, _, rest = self.buffer.partition(token)
        self.buffer = rest
        return head + token

    def drain(self, quiet: float = 0.5, limit: float = 30.0) -> int:
        """Read until the line has been silent for ``quiet`` seconds; returns bytes discarded."""
        end = time.monotonic() + limit
        last = time.monotonic()
        n = 0
        while time.monotonic() - last < quiet and time.monotonic() < end:
            chunk = self.port.read(4096)
            if chunk:
                n += len(chunk)
                last = time.monotonic()
        self.buffer = b""
        return n

    def command(self, line: bytes, until: bytes = b"OK\r\n", timeout: float = 5.0) -> bytes:
        self.port.write(line + b"\r")
        return self.read_until(until, timeout)


def open_line(address: str) -> Line:
    if address.startswith("socket://"):
        port = serial.serial_for_url(address, timeout=0.05)
    else:
        port = serial.Serial(address, 115200, timeout=0.05)
    return Line(port)
