"""A small Linux guest for the interop test: Debian's kernel, busybox, pppd and chat.

``find_tools()`` locates what Debian's packages installed (qemu-system-x86, linux-image-amd64,
busybox-static, ppp); ``build_initramfs(out)`` packs busybox, pppd, chat, their shared
libraries (as ``ldd`` lists them), the slhc / ppp_generic / ppp_async modules and
``guest/init`` into a gzip'd newc cpio archive, written here in Python (no cpio tool needed).
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = (
    "drivers/net/slip/slhc.ko",
    "drivers/net/ppp/ppp_generic.ko",
    "drivers/net/ppp/ppp_async.ko",
)
PACKAGES = "qemu-system-x86 linux-image-amd64 busybox-static ppp"


@dataclass(frozen=True)
class Tools:
    qemu: str
    kernel: str
    modules_dir: str
    busybox: str
    pppd: str
    chat: str


def find_tools() -> Tools | str:
    """The tools, or a sentence saying what is missing (for a skip message)."""
    missing = []
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        missing.append("qemu-system-x86_64 (qemu-system-x86)")
    kernels = sorted(glob.glob("/boot/vmlinuz-*"))
    kernel = kernels[-1] if kernels else None
    modules_dir = None
    if kernel is None:
        missing.append("/boot/vmlinuz-* (linux-image-amd64)")
    else:
        release = kernel.removeprefix("/boot/vmlinuz-")
        modules_dir = f"/lib/modules/{release}/kernel"
        if not all(os.path.exists(f"{modules_dir}/{m}") for m in MODULES):
            missing.append(f"PPP modules in {modules_dir}")
        elif not os.access(kernel, os.R_OK):
            missing.append(f"read access to {kernel} (run as root)")
    busybox = "/bin/busybox" if os.path.exists("/bin/busybox") else shutil.which("busybox")
    if busybox is None or not _is_static(busybox):
        missing.append("a static busybox (busybox-static)")
    pppd = shutil.which("pppd") or ("/usr/sbin/pppd" if os.path.exists("/usr/sbin/pppd") else None)
    chat = shutil.which("chat") or ("/usr/sbin/chat" if os.path.exists("/usr/sbin/chat") else None)
    if pppd is None or chat is None:
        missing.append("pppd and chat (ppp)")
    if missing:
        return "missing: " + ", ".join(missing) + f" - install with: apt-get install {PACKAGES}"
    assert qemu and kernel and modules_dir and busybox and pppd and chat
    return Tools(qemu, kernel, modules_dir, busybox, pppd, chat)


def _is_static(path: str) -> bool:
    """A static binary has no program interpreter: ldd says so."""
    try:
        done = subprocess.run(["ldd", path], capture_output=True, text=True)
    except OSError:
        return False
    out = done.stdout + done.stderr
    return "not a dynamic executable" in out or "statically linked" in out


def _libraries(binary: str) -> list[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = re.findall(r"(/\S+\.so[.\d]*)", out)
    return sorted(set(libs))


class _Cpio:
    """newc ("070701") archive writer."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.ino = 1
        self.seen: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", nlink: int = 1) -> None:
        self.ino += 1
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
        header = b"070701" + b"".join(f"{v:08X}".encode() for v in fields)
        blob = header + name_b
        blob += b"\0" * (-len(blob) % 4)
        blob += data + b"\0" * (-len(data) % 4)
        self.parts.append(blob)

    def directory(self, name: str) -> None:
        name = name.strip("/")
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.seen:
                self.seen.add(d)
                self._entry(d, 0o040755, nlink=2)

    def file(self, name: str, data: bytes, mode: int = 0o100755) -> None:
        name = name.strip("/")
        if "/" in name:
            self.directory(name.rsplit("/", 1)[0])
        self.seen.add(name)
        self._entry(name, mode, data)

    def symlink(self, name: str, target: str) -> None:
        name = name.strip("/")
        if "/" in name:
            self.directory(name.rsplit("/", 1)[0])
        self.seen.add(name)
        self._entry(name, 0o120777, target.encode())

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return b"".join(self.parts)


def build_initramfs(tools: Tools, out: str | os.PathLike[str]) -> None:
    archive = _Cpio()
    for d in (
        "bin",
        "sbin",
        "usr/bin",
        "usr/sbin",
        "proc",
        "sys",
        "dev",
        "tmp",
        "etc/ppp",
        "var/run",
        "lib/modules",
        "lib64",
        "lib/x86_64-linux-gnu",
    ):
        archive.directory(d)
    archive.file("init", (HERE / "guest" / "init").read_bytes())
    archive.file("bin/busybox", Path(tools.busybox).read_bytes())
    archive.symlink("bin/sh", "busybox")  # for init's #!; init installs the other applets
    archive.file("usr/sbin/pppd", Path(tools.pppd).read_bytes())
    archive.file("usr/sbin/chat", Path(tools.chat).read_bytes())
    for lib in sorted(set(_libraries(tools.pppd)) | set(_libraries(tools.chat))):
        real = os.path.realpath(lib)
        archive.file(lib, Path(real).read_bytes(), 0o100755)  # ld.so must be executable
    for module in MODULES:
        archive.file(
            f"lib/modules/{Path(module).name}",
            Path(tools.modules_dir, module).read_bytes(),
            0o100644,
        )
    archive.file("etc/ppp/options", b"", 0o100644)
    archive.file("etc/passwd", b"root:x:0:0:root:/:/bin/sh\n", 0o100644)
    archive.file("etc/group", b"root:x:0:\n", 0o100644)
    archive.file("etc/hosts", b"127.0.0.1 localhost\n", 0o100644)
    Path(out).write_bytes(gzip.compress(archive.finish(), compresslevel=1))
