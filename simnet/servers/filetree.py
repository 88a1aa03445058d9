"""The FTP server's in-memory file tree, built from configuration, and its path resolver.

Nothing an FTP client sends ever reaches the host file system: a directory named in the
configuration is copied into memory once, at set-up (regular files and directories only, no
symlinks followed), and every later read or write acts on this copy. Client paths are resolved
lexically against the virtual root; any path that would climb above the root, or that contains
NUL, control characters or a backslash, resolves to ``None`` (the engine answers 550).
"""

from __future__ import annotations

import hashlib
import os
import random
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simnet.errors import ConfigError
from simnet.servers.config import check_keys, parse_epoch

MAX_FILE_SIZE = 64 * 1024 * 1024  # a single configured file (bounded memory per scenario)
MAX_TREE_BYTES = 256 * 1024 * 1024  # everything copied from a host directory
MAX_TREE_ENTRIES = 10_000


@dataclass(slots=True)
class FileEntry:
    data: bytearray
    mtime: float  # Unix seconds (UTC)


def normalize(cwd: str, arg: str) -> str | None:
    """Absolute virtual path of ``arg`` seen from ``cwd``; ``None`` if it is unsafe.

    Unsafe: NUL or other control characters, backslashes (a Windows separator a naive
    server might pass through), or ``..`` components that would climb above ``/``.
    """
    if any(ord(c) < 32 or c == "\x7f" or c == "\\" for c in arg):
        return None
    parts: list[str] = [] if arg.startswith("/") else [p for p in cwd.split("/") if p]
    for part in arg.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None  # escaping the root is refused, never clamped
            parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def parent_of(path: str) -> str:
    head = path.rsplit("/", 1)[0]
    return head or "/"


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class FileTree:
    """Directories and files keyed by absolute virtual path (insertion order kept)."""

    def __init__(self, epoch: float = 0.0) -> None:
        self.dirs: dict[str, float] = {"/": epoch}
        self.files: dict[str, FileEntry] = {}
        self.skipped: list[str] = []  # host entries not copied (symlinks, specials, bad names)

    # -- queries --------------------------------------------------------------------------------
    def is_dir(self, path: str) -> bool:
        return path in self.dirs

    def is_file(self, path: str) -> bool:
        return path in self.files

    def children(self, path: str) -> list[str]:
        """Names directly inside directory ``path``, sorted (listing order is deterministic)."""
        prefix = path.rstrip("/") + "/"
        names = {
            p[len(prefix) :]
            for p in list(self.dirs) + list(self.files)
            if p.startswith(prefix) and p != "/" and "/" not in p[len(prefix) :]
        }
        return sorted(names)

    # -- mutations (each returns False when refused; callers map that to 550) -------------------
    def write(self, path: str, data: bytes, mtime: float, *, append: bool = False) -> bool:
        if path in self.dirs or parent_of(path) not in self.dirs:
            return False
        entry = self.files.get(path)
        if append and entry is not None:
            entry.data += data
            entry.mtime = mtime
        else:
            self.files[path] = FileEntry(bytearray(data), mtime)
        return True

    def delete(self, path: str) -> bool:
        return self.files.pop(path, None) is not None

    def mkdir(self, path: str, mtime: float) -> bool:
        if path in self.dirs or path in self.files or parent_of(path) not in self.dirs:
            return False
        self.dirs[path] = mtime
        return True

    def rmdir(self, path: str) -> bool:
        if path == "/" or path not in self.dirs or self.children(path):
            return False
        del self.dirs[path]
        return True

    def rename(self, src: str, dst: str) -> bool:
        if dst in self.dirs or dst in self.files or parent_of(dst) not in self.dirs:
            return False
        if src in self.files:
            self.files[dst] = self.files.pop(src)
            return True
        if src in self.dirs and src != "/":
            if dst == src or dst.startswith(src + "/"):
                return False  # a directory cannot move inside itself
            prefix = src + "/"
            self.dirs = {
                (dst + p[len(src) :] if p == src or p.startswith(prefix) else p): m
                for p, m in self.dirs.items()
            }
            self.files = {
                (dst + p[len(src) :] if p.startswith(prefix) else p): e
                for p, e in self.files.items()
            }
            return True
        return False

    def ensure_dirs(self, path: str, mtime: float) -> None:
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            self.dirs.setdefault("/" + "/".join(parts[:i]), mtime)

    # -- inspection -----------------------------------------------------------------------------
    def inspect(self) -> dict[str, dict[str, Any]]:
        """``{path: {"bytes", "size", "sha256"}}`` for every file, sorted by path."""
        return {
            path: {
                "bytes": bytes(entry.data),
                "size": len(entry.data),
                "sha256": hashlib.sha256(entry.data).hexdigest(),
            }
            for path, entry in sorted(self.files.items())
        }


def pseudo_random_content(size: int, seed: int) -> bytes:
    """The content of a ``{size, seed}`` file: ``random.Random(seed).randbytes(size)``."""
    return random.Random(seed).randbytes(size)


def _clean_virtual_path(path: object, field: str) -> str:
    if not isinstance(path, str):
        raise ConfigError(field, f"expected a path string, got {path!r}")
    norm = normalize("/", path)
    if norm is None or norm == "/":
        raise ConfigError(
            field,
            f"expected a path inside the FTP root without '..' or control characters, got {path!r}",
        )
    return norm


def _read_host_file(path: str, field: str) -> bytes:
    """Read a regular file without following a symlink in its last component. ``O_NONBLOCK``:
    opening a FIFO must not wait for a writer (the type check right after refuses it)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ConfigError(field, f"cannot read {path!r}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(field, f"{path!r} is not a regular file")
        if info.st_size > MAX_FILE_SIZE:
            raise ConfigError(field, f"{path!r} is larger than {MAX_FILE_SIZE} bytes")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def sandbox_root(root: str, field: str) -> str:
    """The directory ``root`` names, normalised before it is checked, and the path that is
    then read: trailing slashes and ``.``/``..`` are resolved lexically first, so ``link/``,
    ``link/.`` or ``dir/../link`` cannot hide a symlink from the check (``islink("link/")`` is
    False: the kernel follows the link to answer). The directory itself must not be a symlink;
    what is copied is exactly the normalised path that was checked."""
    norm = os.path.normpath(os.path.abspath(root))
    try:
        info = os.lstat(norm)
    except OSError as exc:
        raise ConfigError(
            field, f"cannot use {root!r}: {exc.strerror} (expected an existing directory)"
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise ConfigError(
            field,
            f"{root!r} is a symlink to {os.path.realpath(norm)!r} "
            "(expected the directory itself, not a link to it)",
        )
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(field, f"expected an existing directory (not a symlink), got {root!r}")
    return norm


def copy_host_directory(tree: FileTree, root: str, mtime: float, field: str) -> None:
    """Copy a host directory into ``tree`` (regular files and directories; symlinks skipped)."""
    root = sandbox_root(root, field)
    total = 0
    count = 0
    stack: list[tuple[str, str]] = [(root, "/")]
    while stack:
        host_dir, virt_dir = stack.pop()
        try:
            entries = sorted(os.scandir(host_dir), key=lambda e: e.name)
        except OSError as exc:
            raise ConfigError(field, f"cannot list {host_dir!r}: {exc.strerror}") from None
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            virt = virt_dir.rstrip("/") + "/" + entry.name
            count += 1
            if count > MAX_TREE_ENTRIES:
                raise ConfigError(field, f"more than {MAX_TREE_ENTRIES} entries under {root!r}")
            if normalize("/", entry.name) != "/" + entry.name or entry.is_symlink():
                tree.skipped.append(virt)  # never follow links out of the directory
                continue
            if entry.is_dir(follow_symlinks=False):
                tree.dirs[virt] = mtime
                subdirs.append((entry.path, virt))
            elif entry.is_file(follow_symlinks=False):
                data = _read_host_file(entry.path, field)
                total += len(data)
                if total > MAX_TREE_BYTES:
                    raise ConfigError(field, f"more than {MAX_TREE_BYTES} bytes under {root!r}")
                tree.files[virt] = FileEntry(bytearray(data), mtime)
            else:
                tree.skipped.append(virt)
        stack.extend(reversed(subdirs))


def build_tree(config: Mapping[str, Any], field: str, epoch: float) -> FileTree:
    """Tree from ``directory`` (host copy), ``dirs`` (empty directories) and ``files``.

    ``files`` maps a virtual path to inline text (a string), ``{text}``, ``{size, seed}``
    (pseudo-random bytes), ``{hex}`` (exact bytes) or ``{source}`` (a path relative to
    ``directory``, which must stay inside it); each may carry ``mtime`` (ISO-8601 UTC).
    """
    tree = FileTree(epoch)
    directory = config.get("directory")
    root_real: str | None = None
    if directory is not None:
        if not isinstance(directory, str):
            raise ConfigError(
                f"{field}.directory", f"expected a host directory path, got {directory!r}"
            )
        copy_host_directory(tree, directory, epoch, f"{field}.directory")
        root_real = os.path.realpath(sandbox_root(directory, f"{field}.directory"))
    dirs = config.get("dirs", [])
    if not isinstance(dirs, list):
        raise ConfigError(f"{field}.dirs", "expected a list of directory paths")
    for i, d in enumerate(dirs):
        tree.ensure_dirs(_clean_virtual_path(d, f"{field}.dirs[{i}]"), epoch)
    files = config.get("files", {})
    if not isinstance(files, Mapping):
        raise ConfigError(f"{field}.files", "expected a mapping of path to content")
    for raw_path, spec in files.items():
        ffield = f"{field}.files.{raw_path}"
        path = _clean_virtual_path(raw_path, ffield)
        mtime = epoch
        if isinstance(spec, str):
            data = spec.encode("utf-8")
        elif isinstance(spec, Mapping):
            check_keys(spec, ("text", "hex", "size", "seed", "source", "mtime"), ffield)
            if "mtime" in spec:
                mtime = parse_epoch(spec["mtime"], f"{ffield}.mtime")
            kinds = [k for k in ("text", "hex", "size", "source") if k in spec]
            if len(kinds) != 1:
                raise ConfigError(ffield, "expected exactly one of text, hex, size (+seed), source")
            data = _file_content(spec, kinds[0], ffield, root_real)
        else:
            raise ConfigError(
                ffield, "expected inline text or a mapping (text, hex, size+seed, source)"
            )
        if path in tree.dirs:
            raise ConfigError(ffield, f"{path} is already a directory")
        tree.ensure_dirs(parent_of(path), epoch)
        tree.files[path] = FileEntry(bytearray(data), mtime)
    return tree


def _file_content(spec: Mapping[str, Any], kind: str, field: str, root_real: str | None) -> bytes:
    if kind == "text":
        if not isinstance(spec["text"], str):
            raise ConfigError(f"{field}.text", "expected a string")
        return spec["text"].encode("utf-8")
    if kind == "hex":
        try:
            return bytes.fromhex(str(spec["hex"]))
        except ValueError:
            raise ConfigError(f"{field}.hex", "expected hexadecimal digits") from None
    if kind == "size":
        size = spec["size"]
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_FILE_SIZE:
            raise ConfigError(f"{field}.size", f"expected an integer in [0, {MAX_FILE_SIZE}]")
        seed = spec.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"{field}.seed", f"expected an integer, got {seed!r}")
        return pseudo_random_content(size, seed)
    # source: relative to the configured directory, and it must stay inside it
    source = spec["source"]
    if root_real is None:
        raise ConfigError(f"{field}.source", "needs 'directory' to be set")
    if not isinstance(source, str) or normalize("/", source) is None or source.startswith("/"):
        raise ConfigError(
            f"{field}.source", f"expected a relative path inside directory, got {source!r}"
        )
    host_path = os.path.normpath(os.path.join(root_real, source))
    if os.path.realpath(host_path) != host_path or not _inside(host_path, root_real):
        raise ConfigError(
            f"{field}.source", f"{source!r} goes through a symlink or leaves directory"
        )
    # A case-insensitive file system would let ``LINK`` reach ``link``: check each component
    # the kernel resolves below the root with lstat, whatever its spelling.
    probe = root_real
    for part in os.path.relpath(host_path, root_real).split(os.sep):
        probe = os.path.join(probe, part)
        try:
            if stat.S_ISLNK(os.lstat(probe).st_mode):
                raise ConfigError(f"{field}.source", f"{source!r} goes through a symlink")
        except OSError as exc:
            raise ConfigError(
                f"{field}.source", f"cannot read {source!r}: {exc.strerror}"
            ) from None
    return _read_host_file(host_path, f"{field}.source")


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root and path != root
