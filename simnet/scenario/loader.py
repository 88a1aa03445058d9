"""Safe YAML loading that remembers where every value came from.

A scenario is composed into YAML nodes with ``yaml.SafeLoader`` (no tag can construct an object,
nothing executes code) and turned into plain Python data by a walker that records the line of
every key and value under its key path, so that the validator can say ``FILE:LINE: key.path: …``.
Duplicate keys are reported rather than silently keeping the last one, because a scenario file
that says ``within:`` twice is almost always a copy-paste mistake.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
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
        elif not _PLAIN_KEY.match(str(part)):
            out += f"[{str(part)!r}]"  # an empty key, spaces at its ends, brackets, controls
        else:
            text = str(part)
            if not text.strip():
                text = repr(text)  # a blank key must still show in the path
            out += f".{text}" if out else text
    return out or "(top level)"


# Host names keep their dots (``hosts.echo.example.net.ip``), as users write them.
_PLAIN_KEY = re.compile(r"^[^\s\[\]]([^\[\]\x00-\x1f\x7f]*[^\s\[\]])?$")


@dataclass
class Problem:
    """One thing wrong with a scenario file, located by line and key path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        # One problem, one line: a key or value quoted in the message may hold any character.
        return f"{self.file}:{self.line}: {_one_line(self.path)}: {_one_line(self.message)}"


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), *range(0x7F, 0xA0))}
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def _one_line(text: str) -> str:
    return text.translate(_CONTROL)


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
# Scalars may be strings, numbers, booleans, null (and the implicit timestamps of YAML 1.1);
# any other tag (``!!binary``, ``!!python/...``, ``!custom``) builds nothing.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")
)
# Bounds on what a scenario file may make the loader do (a library scenario is a few KB deep
# at most 8 levels; these are orders of magnitude above any real file and far below harm).
MAX_FILE_BYTES = 1 << 20  # 1 MiB of YAML
MAX_DEPTH = 64  # nested mappings/lists
MAX_VALUES = 100_000  # values after aliases are expanded ("billion laughs" stops here)
# Characters YAML 1.1 does not allow in a stream (PyYAML's Reader.NON_PRINTABLE): reported with
# their own line instead of the reader's "position N" at line 1.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class _TooDeep(yaml.MarkedYAMLError):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses nesting deeper than ``MAX_DEPTH`` (its recursion
    would otherwise end in RecursionError around 500 levels)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _TooDeep(problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def line_of_offset(text: str, offset: int) -> int:
    """1-based line of character ``offset``, counting line breaks as YAML does."""
    return len(_LINE_BREAK.findall(text, 0, offset)) + 1


def unencodable(text: str) -> str | None:
    """Why ``text`` cannot be written as UTF-8 (a lone surrogate such as ``"\ud800"``), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"U+{ord(text[exc.start]):04X} at character {exc.start + 1} is a lone surrogate"
    return None


class _Walker:
    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        # SafeConstructor does the scalar typing (int, float, bool, null, str) exactly as the
        # YAML 1.1 resolver of SafeLoader decided; it never constructs arbitrary objects.
        self.constructor = yaml.SafeLoader("")
        self.values = 0
        self.open: set[int] = set()  # ids of the collections being walked (alias cycles)
        self.stopped = False

    def problem(self, node: yaml.Node, path: Path, message: str) -> None:
        self.loaded.problems.append(
            Problem(self.loaded.file, node.start_mark.line + 1, format_path(path), message)
        )

    def walk(self, node: yaml.Node, path: Path) -> Any:
        if self.stopped:
            return None
        self.values += 1
        if self.values > MAX_VALUES:
            self.stopped = True
            self.problem(
                node,
                path,
                f"the document expands to more than {MAX_VALUES} values "
                "(expected a scenario of ordinary size; nested aliases multiply)",
            )
            return None
        if len(path) > MAX_DEPTH:
            self.stopped = True
            self.problem(
                node,
                path,
                f"nested deeper than {MAX_DEPTH} levels through aliases "
                "(expected a flatter scenario)",
            )
            return None
        self.loaded.value_lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if node.tag not in _PLAIN_TAGS:
                # e.g. !!python/object/apply: SafeLoader would refuse it; say so, build nothing.
                self.problem(
                    node, path, f"tag {node.tag!r} is not allowed (expected plain YAML data)"
                )
                return None
            if id(node) in self.open:
                self.problem(
                    node,
                    path,
                    "an alias refers to a value that contains it (expected no recursive aliases)",
                )
                return None
            self.open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.walk(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.problem(
                node,
                path,
                f"tag {node.tag!r} is not allowed (expected plain text, "
                "a number, true/false or null)",
            )
            return None
        try:
            value = self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # e.g. ``!!float abc``: ValueError, not a YAMLError
            problem = getattr(exc, "problem", None) or str(exc)
            kind = node.tag.rsplit(":", 1)[-1]
            self.problem(
                node,
                path,
                f"cannot read {node.value[:40]!r} as {kind}: {problem} (expected plain YAML data)",
            )
            return None
        if isinstance(value, str) and (why := unencodable(value)):
            self.problem(node, path, f"{why} (expected text that can be written as UTF-8)")
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        try:
            # Resolves ``<<: *anchor`` merge keys in place, as PyYAML's own loader would.
            self.constructor.flatten_mapping(node)
        except yaml.YAMLError as exc:
            self.problem(node, path, f"bad merge key: {getattr(exc, 'problem', exc)}")
        except RecursionError:  # a merge key that refers to its own mapping
            self.problem(
                node, path, "a merge key refers to its own mapping (expected no recursive aliases)"
            )
            return {}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a key must be a plain word (expected a string key)")
                continue
            reported = len(self.loaded.problems)
            key = self._scalar(key_node, path)
            if len(self.loaded.problems) > reported:
                continue  # a bad tag, an unreadable or unencodable key: said already
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
    if len(text) > MAX_FILE_BYTES:
        loaded.problems.append(
            Problem(
                file,
                1,
                "(top level)",
                f"{len(text)} characters is too large "
                f"(expected a scenario of at most {MAX_FILE_BYTES} bytes)",
            )
        )
        return loaded
    bad = list(_NON_PRINTABLE.finditer(text))
    if bad:
        for m in bad[:20]:
            code = ord(m.group())
            hint = f'write it as "\\x{code:02x}" in double quotes' if code < 0x100 else "remove it"
            loaded.problems.append(
                Problem(
                    file,
                    line_of_offset(text, m.start()),
                    "(top level)",
                    f"character U+{code:04X} is not allowed in a YAML file (expected printable "
                    f"text; {hint})",
                )
            )
        return loaded
    try:
        node = yaml.compose(text, Loader=_BoundedLoader)
    except _TooDeep as exc:
        mark = exc.problem_mark
        loaded.problems.append(
            Problem(
                file,
                mark.line + 1 if mark else 1,
                "(top level)",
                f"{exc.problem} (expected a flatter scenario)",
            )
        )
        return loaded
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = (exc.problem or "invalid YAML") + _yaml_hint(exc, line)
        loaded.problems.append(Problem(file, line, "(top level)", f"YAML syntax error: {what}"))
        return loaded
    except yaml.YAMLError as exc:
        loaded.problems.append(Problem(file, 1, "(top level)", f"YAML error: {exc}"))
        return loaded
    if node is None:
        loaded.problems.append(
            Problem(
                file,
                1,
                "(top level)",
                "the file is empty (expected a mapping with name:, module:, steps:)",
            )
        )
        return loaded
    loaded.data = _Walker(loaded).walk(node, ())
    return loaded


# PyYAML's words for the usual slips of a hand-written scenario, and what the writer should do.
_YAML_HINTS = (
    ("'\\t' that cannot start any token", "expected spaces: YAML does not indent with tabs"),
    ("but found '<block mapping start>'", "expected this line indented like the keys beside it"),
    ("but found '?'", "expected '- ' before this key, a dash and a space, or the key indented "
     "like the keys beside it"),
)


def _yaml_hint(exc: yaml.MarkedYAMLError, line: int) -> str:
    """What to look at, in the file's terms: the known slip, or where the enclosing block began
    (an unclosed quote or bracket is reported where the parser gave up, lines later)."""
    for words, hint in _YAML_HINTS:
        if words in (exc.problem or ""):
            return f" ({hint})"
    context = exc.context_mark
    if context is not None and context.line + 1 != line:
        return f" ({exc.context or 'in the block'} that starts on line {context.line + 1})"
    return ""


def load_file(path: str) -> Loaded:
    """Read and parse a scenario file; anything but a readable regular file of reasonable size
    is a ``Problem`` at line 1 (a FIFO or a device is never opened for a blocking read)."""
    loaded = Loaded(file=path, data=None)

    def refuse(message: str, line: int = 1) -> Loaded:
        loaded.problems.append(Problem(path, line, "(top level)", message))
        return loaded

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the type check follows.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return refuse(f"cannot read the file: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return refuse(
                f"not a regular file ({_file_kind(info.st_mode)}) (expected a scenario .yaml file)"
            )
        if info.st_size > MAX_FILE_BYTES:
            return refuse(
                f"the file is {info.st_size} bytes (expected a scenario of at most "
                f"{MAX_FILE_BYTES} bytes)"
            )
        raw = os.read(fd, MAX_FILE_BYTES + 1)
    except OSError as exc:
        return refuse(f"cannot read the file: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        return refuse(f"the file is larger than {MAX_FILE_BYTES} bytes (expected a scenario file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return refuse(
            f"byte 0x{raw[exc.start]:02x} is not UTF-8 (expected a UTF-8 text file)", line
        )
    return load_text(text, path)


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def locate_data(data: Any, file: str = "<dict>") -> Loaded:
    """Wrap data built in Python (``Simulation.from_dict``): there are no lines, so every path
    reports line 0 and the messages still name the key path. The data is copied into plain
    dicts and lists with the same bounds as a file (depth, size, self-reference, text that
    cannot be encoded), so no shape of Python object can make validation recurse or loop."""
    loaded = Loaded(file=file, data=None)
    loaded.value_lines[()] = 0
    loaded.data = _PlainCopy(loaded).copy(data, ())
    return loaded


class _PlainCopy:
    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.values = 0
        self.open: set[int] = set()
        self.stopped = False

    def problem(self, path: Path, message: str) -> None:
        self.loaded.problems.append(Problem(self.loaded.file, 0, format_path(path), message))

    def copy(self, value: Any, path: Path) -> Any:
        if self.stopped:
            return None
        self.values += 1
        if self.values > MAX_VALUES:
            self.stopped = True
            self.problem(
                path, f"more than {MAX_VALUES} values (expected a scenario of ordinary size)"
            )
            return None
        if len(path) > MAX_DEPTH:
            self.stopped = True
            self.problem(
                path, f"nested deeper than {MAX_DEPTH} levels (expected a flatter scenario)"
            )
            return None
        if isinstance(value, str):
            if why := unencodable(value):
                self.problem(path, f"{why} (expected text that can be written as UTF-8)")
                return None
            return value
        if not isinstance(value, Mapping | list | tuple):
            return value
        if id(value) in self.open:
            self.problem(path, "the data contains itself (expected a tree of dicts and lists)")
            return None
        self.open.add(id(value))
        try:
            if isinstance(value, Mapping):
                out: dict[Any, Any] = {}
                for k, v in value.items():
                    if isinstance(k, str) and (why := unencodable(k)):
                        self.problem(
                            path, f"a key: {why} (expected text that can be written as UTF-8)"
                        )
                        continue
                    out[k] = self.copy(
                        v, (*path, k) if isinstance(k, str | int) else (*path, repr(k))
                    )
                return out
            return [self.copy(v, (*path, i)) for i, v in enumerate(value)]
        finally:
            self.open.discard(id(value))
