"""Regular expressions written in scenario files, matched with a bound on wall-clock time.

A scenario's ``expect_re`` runs against everything the module sent; a pattern such as
``(a|aa)+$`` backtracks exponentially on some inputs and would hang ``simnet run`` with the
standard ``re`` engine, which cannot be interrupted. The third-party ``regex`` engine avoids
most catastrophic cases by construction and accepts a timeout for the rest: a search that
exceeds it raises :class:`PatternTooSlow`, which the runner reports as a failed step.
The syntax is Python's (``regex`` VERSION0 is compatible with ``re``).
"""

from __future__ import annotations

from typing import Any

import regex

from simnet.errors import SimnetError

# Wall-clock seconds one search may take. A scenario search is over at most a few MB of
# module output; ordinary patterns take microseconds, so this only ever stops a runaway.
SEARCH_TIMEOUT = 1.0

error = regex.error


class PatternTooSlow(SimnetError):
    """A search gave up after ``timeout`` wall seconds (catastrophic backtracking)."""

    def __init__(self, pattern: str, timeout: float, size: int) -> None:
        self.pattern = pattern
        self.timeout = timeout
        self.size = size
        super().__init__(
            f"the regular expression {pattern[:80]!r} gave up after {timeout:g} s of wall-clock "
            f"time on {size} bytes (catastrophic backtracking; expected a pattern without nested "
            "or overlapping repeats such as (a|aa)+)"
        )


class SafePattern:
    """A compiled pattern with the ``search(text, pos)``, ``pattern`` and ``flags`` of
    ``re.Pattern``."""

    __slots__ = ("_compiled", "pattern", "timeout")
    flags = 0  # as re.Pattern.flags: the DTE reads it to bound how far back a search resumes

    def __init__(self, pattern: str, timeout: float = SEARCH_TIMEOUT) -> None:
        self.pattern = pattern
        self.timeout = timeout
        self._compiled = regex.compile(pattern)  # raises regex.error on bad syntax

    def search(self, text: str, pos: int = 0) -> Any:
        try:
            return self._compiled.search(text, pos, timeout=self.timeout)
        except TimeoutError:
            raise PatternTooSlow(self.pattern, self.timeout, len(text) - pos) from None
