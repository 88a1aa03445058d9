"""Safe YAML loading that remembers where every value came from.

A scenario is composed into YAML nodes with ``yaml.SafeLoader`` (no tag can construct an object,
nothing executes code) and turned into plain Python data by a walker that records the line of
every key and value under its key path, so that the validator can say ``FILE:LINE: key.path: …``.
Duplicate keys are reported rather than silently keeping the last one, because a scenario file
that says ``within:`` twice is almost always a copy-paste mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Path) -> str:
    """``("steps", 3, "within")`` -> ``steps[3].within``; the empty path is ``(top level)``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass
class Problem:
    """One thing wrong with a scenario file, located by line and key path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


@dataclass
class Loaded:
    """Plain data of a scenario plus the line of each key path (value line and key line)."""

    file: str
    data: Any
    value_lines: dict[Path, int] = field(default_factory=dict)
    key_lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path, *, key: bool = False) -> int:
        """The line of ``path`` (its key's line when ``key``), else of its closest ancestor."""
        table = self.key_lines if key else self.value_lines
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.value_lines:
                return self.value_lines[probe]
            probe = probe[:-1]
        return self.value_lines.get((), 1)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Walker:
    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        # SafeConstructor does the scalar typing (int, float, bool, null, str) exactly as the
        # YAML 1.1 resolver of SafeLoader decided; it never constructs arbitrary objects.
        self.constructor = yaml.SafeLoader("")

    def problem(self, node: yaml.Node, path: Path, message: str) -> None:
        self.loaded.problems.append(
            Problem(self.loaded.file, node.start_mark.line + 1, format_path(path), message)
        )

    def walk(self, node: yaml.Node, path: Path) -> Any:
        self.loaded.value_lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            # e.g. !!python/object/apply: SafeLoader would refuse it; say so, build nothing.
            self.problem(node, path, f"tag {node.tag!r} is not allowed (expected plain YAML data)")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(child, (*path, i)) for i, child in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.problem(node, path, f"cannot read this value: {problem} (expected plain YAML data)")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        try:
            # Resolves ``<<: *anchor`` merge keys in place, as PyYAML's own loader would.
            self.constructor.flatten_mapping(node)
        except yaml.YAMLError as exc:
            self.problem(node, path, f"bad merge key: {getattr(exc, 'problem', exc)}")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a key must be a plain word (expected a string key)")
                continue
            try:
                key = self.constructor.construct_object(key_node, deep=True)
            except yaml.YAMLError as exc:
                self.problem(key_node, path, f"cannot read this key: {getattr(exc, 'problem', exc)}")
                continue
            if not isinstance(key, str):
                # ``80: x`` or ``yes: y`` — keys are names, keep them as written.
                key = key_node.value
            child = (*path, key)
            if key in out:
                self.problem(key_node, child, "duplicate key (expected each key once)")
            self.loaded.key_lines[child] = key_node.start_mark.line + 1
            out[key] = self.walk(value_node, child)
        return out


def load_text(text: str, file: str = "<string>") -> Loaded:
    """Parse YAML text; syntax errors become one ``Problem`` with the parser's line."""
    loaded = Loaded(file=file, data=None)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or "invalid YAML"
        loaded.problems.append(Problem(file, line, "(top level)", f"YAML syntax error: {what}"))
        return loaded
    except yaml.YAMLError as exc:
        loaded.problems.append(Problem(file, 1, "(top level)", f"YAML error: {exc}"))
        return loaded
    if node is None:
        loaded.problems.append(
            Problem(file, 1, "(top level)", "the file is empty (expected a mapping with name:, module:, steps:)")
        )
        return loaded
    loaded.data = _Walker(loaded).walk(node, ())
    return loaded


def load_file(path: str) -> Loaded:
    """Read and parse a scenario file; an unreadable file is a ``Problem`` at line 1."""
    try:
        with open(path, encoding="utf-8") as fp:
            text = fp.read()
    except (OSError, UnicodeDecodeError) as exc:
        loaded = Loaded(file=path, data=None)
        loaded.problems.append(Problem(path, 1, "(top level)", f"cannot read the file: {exc}"))
        return loaded
    return load_text(text, path)


def locate_data(data: Any, file: str = "<dict>") -> Loaded:
    """Wrap data built in Python (``Simulation.from_dict``): there are no lines, so every path
    reports line 0 and the messages still name the key path."""
    loaded = Loaded(file=file, data=data)
    loaded.value_lines[()] = 0
    return loaded
