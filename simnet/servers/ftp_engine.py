"""Sans-IO FTP server engine: RFC 959 control protocol, RFC 2428 EPSV/EPRT, RFC 3659 SIZE/MDTM.

The engine owns the control-connection dialogue and the in-memory :class:`FileTree`. Data
connections are the glue's job; the engine asks for them with actions and is told the outcome:

- ``OpenPassive`` → glue listens on a port and calls :meth:`FtpEngine.passive_opened` (or
  :meth:`FtpEngine.passive_failed`), which produces the 227/229 reply;
- ``DataTransfer`` → glue obtains the data connection (accepted passive one, or an active
  connect to the PORT/EPRT address), sends ``payload`` or receives until the client's FIN,
  then calls :meth:`FtpEngine.transfer_finished`, which produces 226/425/426/451/552;
- ``CloseData`` → drop any passive listener or idle data connection.

Reply texts follow vsftpd, the daemon most users deploy (RFC 959 fixes only the codes).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

from simnet.kernel.units import ascii_digits
from simnet.servers.engine import Injected, LineEngine, OverrideHook, numbered
from simnet.servers.events import (
    CloseData,
    DataTransfer,
    LineReceived,
    OpenPassive,
    ServerEvent,
    Write,
)
from simnet.servers.filetree import FileTree, basename, normalize
from simnet.servers.lines import Line, decode_command

# Default text for a reply code injected by a reply-override fault (RFC 959 §4.2.2 codes).
OVERRIDE_TEXT: dict[int, str] = {
    421: "Service not available, closing control connection.",
    425: "Can't open data connection.",
    426: "Connection closed; transfer aborted.",
    450: "Requested file action not taken.",
    451: "Requested action aborted: local error in processing.",
    452: "Requested action not taken. Insufficient storage space in system.",
    500: "Syntax error, command unrecognized.",
    501: "Syntax error in parameters or arguments.",
    502: "Command not implemented.",
    503: "Bad sequence of commands.",
    530: "Not logged in.",
    532: "Need account for storing files.",
    550: "Requested action not taken. File unavailable.",
    551: "Requested action aborted: page type unknown.",
    552: "Requested file action aborted. Exceeded storage allocation.",
    553: "Requested action not taken. File name not allowed.",
}

# Verbs that need no login (RFC 959 §5.4 sequencing: USER/PASS/ACCT precede the rest).
PRE_LOGIN = ("USER", "PASS", "ACCT", "QUIT", "SYST", "NOOP", "FEAT", "HELP", "OPTS")
# Recognized but deliberately unimplemented (RFC 959 §4.1.3 optional service commands).
NOT_IMPLEMENTED = ("REIN", "SMNT", "SITE", "STOU", "REST", "STAT")
NEEDS_ARGUMENT = (
    "USER",
    "TYPE",
    "MODE",
    "STRU",
    "CWD",
    "PORT",
    "EPRT",
    "RETR",
    "STOR",
    "APPE",
    "SIZE",
    "MDTM",
    "DELE",
    "MKD",
    "RMD",
    "RNFR",
    "RNTO",
)
ANONYMOUS_NAMES = ("anonymous", "ftp")
MAX_DEFERRED_LINES = 64
# Completion replies per transfer command (RFC 959 §5.4 command-reply sequences): injected,
# they come after the 150 preliminary reply instead of 226.
COMPLETION_CODES: dict[str, tuple[int, ...]] = {
    "RETR": (425, 426, 451),
    "LIST": (425, 426, 451),
    "NLST": (425, 426, 451),
    "STOR": (425, 426, 451, 551, 552),
    "APPE": (425, 426, 451, 550, 551, 552),
}  # commands queued while a transfer runs (bounded)


@dataclass(slots=True)
class FtpSettings:
    users: dict[str, str] = field(default_factory=dict)
    anonymous: bool = False
    anonymous_write: bool = False
    greeting: str = "(simnet FTP)"
    max_upload: int = 64 * 1024 * 1024
    # RFC 2577 §3: refuse PORT/EPRT to a host other than the client (vsftpd port_promiscuous=NO)
    port_check: bool = True


def to_netascii(data: bytes) -> bytes:
    """Local (LF) text to the NVT-ASCII wire form (CR LF), RFC 959 §3.1.1.1."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def from_netascii(data: bytes) -> bytes:
    """Wire CR LF to local LF; lone CRs are kept."""
    return data.replace(b"\r\n", b"\n")


def _quote_path(path: str) -> str:
    return '"' + path.replace('"', '""') + '"'  # RFC 959 Appendix II quoting of 257 replies


def _ls_time(ts: float) -> str:
    moment = _dt.datetime.fromtimestamp(ts, _dt.UTC)
    return moment.strftime("%b %d %H:%M")


def mdtm_text(ts: float) -> str:
    """RFC 3659 §2.3 time-val (UTC, YYYYMMDDHHMMSS)."""
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y%m%d%H%M%S")


class FtpEngine(LineEngine):
    line_limit = 1024

    def __init__(
        self,
        tree: FileTree,
        settings: FtpSettings,
        *,
        client_ip: str = "0.0.0.0",
        clock: Callable[[], float] = lambda: 0.0,
        override: OverrideHook | None = None,
    ) -> None:
        super().__init__(override)
        self.tree = tree
        self.settings = settings
        self.client_ip = client_ip
        self.clock = clock  # current UTC (Unix seconds) for MDTM of new files
        self.user: str | None = None  # name given by USER, pending PASS
        self.logged_in = False
        self.anonymous = False
        self.cwd = "/"
        self.type_ascii = True  # RFC 959 §3.1.1.1: ASCII is the default type
        self.passive = False  # a PASV/EPSV listener is (being) set up
        self.active_addr: tuple[str, int] | None = None
        self.epsv_all = False
        self.pending_ext = False
        self.rename_from: str | None = None
        self.transferring: str | None = None  # verb of the running transfer
        self.upload_path: str | None = None
        self.upload_append = False
        self.deferred: list[Line] = []
        self.injected_completion: Injected | None = None

    # -- entry points ----------------------------------------------------------------------------
    def start(self) -> list[ServerEvent]:
        return [numbered(220, self.settings.greeting)]

    def receive(self, data: bytes) -> list[ServerEvent]:
        if self.closed:
            return []
        actions: list[ServerEvent] = []
        self.lines.push(data)
        while not self.closed and (line := self.lines.pop()) is not None:
            if self.transferring is not None:
                # RFC 959 §4.1.3: commands during a transfer wait until it ends.
                if len(self.deferred) < MAX_DEFERRED_LINES:
                    self.deferred.append(line)
                continue
            actions.extend(self.on_line(line))
        return actions

    def on_line(self, line: Line) -> list[ServerEvent]:
        if line.overlong:
            return [
                LineReceived(decode_command(line.data[:80]) + "..."),
                numbered(500, "Command line too long."),
            ]
        text = decode_command(line.data)
        verb, _, arg = text.strip(" ").partition(" ")
        verb = verb.upper()
        log = LineReceived(text)  # verbatim, passwords included: this is a test peer
        if not verb:
            return [log, numbered(500, "Unknown command.")]
        injected = self.override(verb) if verb else None
        if (
            injected is not None
            and injected.code in COMPLETION_CODES.get(verb, ())
            and self.logged_in
            and self._data_ready()
        ):
            # RFC 959 §5.4: these codes follow the 150 preliminary reply, so the transfer starts
            # and fails the way the injected code says
            return [log, *self._with_failure(self._dispatch(verb, arg), injected)]
        if injected is not None and isinstance(injected.code, int):
            code = injected.code
            reply = numbered(code, injected.text or OVERRIDE_TEXT.get(code, "Injected reply."))
            # 421: the server is shutting the channel (RFC 959 §4.2, RFC 5321 §3.8)
            return self.close(log, reply) if code == 421 else [log, reply]
        if verb != "RNTO" and verb != "RNFR":
            self.rename_from = None  # RFC 959 §4.1.3: RNTO must immediately follow RNFR
        return [log, *self._dispatch(verb, arg)]

    def _dispatch(self, verb: str, arg: str) -> list[ServerEvent]:
        handler = getattr(self, f"_cmd_{verb.lower()}", None) if verb.isalpha() else None
        if handler is None:
            if verb in NOT_IMPLEMENTED:
                return [numbered(502, "Command not implemented.")]
            return [numbered(500, "Unknown command.")]
        if not self.logged_in and verb not in PRE_LOGIN:
            return [numbered(530, "Please login with USER and PASS.")]
        if verb in NEEDS_ARGUMENT and not arg.strip():
            return [numbered(501, "Syntax error in parameters or arguments.")]
        return [*handler(arg)]

    def _with_failure(self, actions: list[ServerEvent], injected: Injected) -> list[ServerEvent]:
        """Mark the transfer the command started (if it did) to fail with ``injected``."""
        out: list[ServerEvent] = []
        for action in actions:
            if isinstance(action, DataTransfer):
                action = dataclasses.replace(action, fail=int(injected.code))
                self.injected_completion = injected
            out.append(action)
        return out

    # -- data connection outcomes ------------------------------------------------------------------
    def passive_opened(self, ip: str, port: int) -> list[ServerEvent]:
        self.passive = True
        if self.pending_ext:
            return [numbered(229, f"Entering Extended Passive Mode (|||{port}|)")]
        h = ip.split(".")
        return [numbered(227, f"Entering Passive Mode ({','.join(h)},{port >> 8},{port & 255}).")]

    def passive_failed(self) -> list[ServerEvent]:
        self.passive = False
        return [numbered(425, "Could not open passive listener.")]

    def transfer_finished(self, ok: bool, data: bytes = b"", error: str = "") -> list[ServerEvent]:
        """Outcome of the last DataTransfer: ``error`` is ``connect`` (no data connection),
        ``too_large`` (upload over the limit) or anything else for a broken transfer."""
        verb = self.transferring
        if verb is None:
            return []
        injected, self.injected_completion = self.injected_completion, None
        self.transferring = None
        self.passive = False
        self.active_addr = None
        actions: list[ServerEvent] = []
        if self.closed:
            return actions
        if injected is not None:
            code = int(injected.code)
            self.upload_path = None  # a failed upload stores nothing
            actions.append(numbered(code, injected.text or OVERRIDE_TEXT.get(code, "Failed.")))
        elif not ok:
            if error == "connect":
                actions.append(numbered(425, "Failed to establish connection."))
            elif error == "too_large":
                actions.append(numbered(552, "Exceeded storage allocation."))
            else:
                actions.append(numbered(426, "Failure writing network stream."))
        elif verb in ("STOR", "APPE"):
            actions.extend(self._store(data))
        else:
            actions.append(numbered(226, "Transfer complete."))
        # commands that arrived during the transfer run now, in order
        while self.deferred and self.transferring is None and not self.closed:
            actions.extend(self.on_line(self.deferred.pop(0)))
        return actions

    def connection_lost(self) -> list[ServerEvent]:
        self.closed = True
        return [CloseData()]

    def idle_timeout(self) -> list[ServerEvent]:
        return self.close(numbered(421, "Timeout."), CloseData())  # vsftpd's words

    # -- helpers ---------------------------------------------------------------------------------
    def _path(self, arg: str) -> str | None:
        return normalize(self.cwd, arg) if arg else None

    def _may_write(self) -> bool:
        return not self.anonymous or self.settings.anonymous_write

    def _data_ready(self) -> bool:
        return self.passive or self.active_addr is not None

    def _begin(self, verb: str, direction: str, payload: bytes, note: str) -> list[ServerEvent]:
        self.transferring = verb
        mode = "ASCII" if self.type_ascii else "BINARY"
        return [
            numbered(150, f"Opening {mode} mode data connection for {note}."),
            DataTransfer(
                direction,
                payload,
                passive=self.passive,
                address=self.active_addr,
                limit=self.settings.max_upload,
            ),
        ]

    def _store(self, data: bytes) -> list[ServerEvent]:
        path = self.upload_path
        self.upload_path = None
        if path is None:
            return [numbered(451, "Requested action aborted.")]
        if self.type_ascii:
            data = from_netascii(data)
        if not self.tree.write(path, data, self.clock(), append=self.upload_append):
            return [numbered(553, "Could not create file.")]
        return [numbered(226, "Transfer complete.")]

    # -- access control --------------------------------------------------------------------------
    def _cmd_user(self, arg: str) -> list[ServerEvent]:
        if not arg:
            return [numbered(501, "Syntax error in parameters or arguments.")]
        self.user = arg
        self.logged_in = False
        self.anonymous = False
        self.cwd = "/"
        # the same 331 for every name: whether a user exists is not revealed before PASS
        return [numbered(331, "Please specify the password.")]

    def _cmd_pass(self, arg: str) -> list[ServerEvent]:
        if self.logged_in:
            return [numbered(230, "Already logged in.")]
        if self.user is None:
            return [numbered(503, "Login with USER first.")]
        user = self.user
        if user.lower() in ANONYMOUS_NAMES and self.settings.anonymous:
            self.logged_in = True
            self.anonymous = True
        elif user in self.settings.users and self.settings.users[user] == arg:
            self.logged_in = True
        if not self.logged_in:
            self.user = None
            return [numbered(530, "Login incorrect.")]
        return [numbered(230, "Login successful.")]

    def _cmd_acct(self, arg: str) -> list[ServerEvent]:
        return [numbered(202, "ACCT command superfluous at this site.")]

    def _cmd_quit(self, arg: str) -> list[ServerEvent]:
        return self.close(numbered(221, "Goodbye."), CloseData())

    # -- information -----------------------------------------------------------------------------
    def _cmd_syst(self, arg: str) -> list[ServerEvent]:
        return [numbered(215, "UNIX Type: L8")]

    def _cmd_opts(self, arg: str) -> list[ServerEvent]:
        # RFC 2389 §4; clients send "OPTS UTF8 ON" (RFC 2640), vsftpd's answer
        if arg.strip().upper() in ("UTF8 ON", "UTF8"):
            return [numbered(200, "Always in UTF8 mode.")]
        return [numbered(501, "Option not understood.")]

    def _cmd_noop(self, arg: str) -> list[ServerEvent]:
        return [numbered(200, "NOOP ok.")]

    def _cmd_feat(self, arg: str) -> list[ServerEvent]:
        # RFC 2389 §3.2: feature lines start with a space and carry no code.
        text = "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n SIZE\r\n211 End\r\n"
        return [Write(text.encode(), text.rstrip("\r\n").replace("\r\n", "\n"))]

    def _cmd_help(self, arg: str) -> list[ServerEvent]:
        verbs = sorted(n[5:].upper() for n in dir(self) if n.startswith("_cmd_"))
        return [
            numbered(214, "The following commands are recognized.", " ".join(verbs), "Help OK.")
        ]

    # -- transfer parameters ---------------------------------------------------------------------
    def _cmd_type(self, arg: str) -> list[ServerEvent]:
        form = arg.upper().split()
        if form in (["A"], ["A", "N"]):
            self.type_ascii = True
            return [numbered(200, "Switching to ASCII mode.")]
        if form in (["I"], ["L", "8"]):
            self.type_ascii = False
            return [numbered(200, "Switching to Binary mode.")]
        if form and form[0] in ("A", "E", "L") and len(form) <= 2:
            return [numbered(504, "Command not implemented for that parameter.")]
        return [numbered(501, "Unrecognised TYPE command.")]

    def _cmd_mode(self, arg: str) -> list[ServerEvent]:
        mode = arg.upper()
        if mode == "S":
            return [numbered(200, "Mode set to S.")]
        if mode in ("B", "C"):
            return [numbered(504, "Bad MODE command.")]
        return [numbered(501, "Syntax error in parameters or arguments.")]

    def _cmd_stru(self, arg: str) -> list[ServerEvent]:
        stru = arg.upper()
        if stru == "F":
            return [numbered(200, "Structure set to F.")]
        if stru in ("R", "P"):
            return [numbered(504, "Bad STRU command.")]
        return [numbered(501, "Syntax error in parameters or arguments.")]

    def _cmd_pasv(self, arg: str) -> list[ServerEvent]:
        if self.epsv_all:
            return [numbered(501, "PASV not allowed after EPSV ALL.")]
        self.pending_ext = False
        self.active_addr = None
        return [CloseData(), OpenPassive(extended=False)]

    def _cmd_epsv(self, arg: str) -> list[ServerEvent]:
        param = arg.strip().upper()
        if param == "ALL":
            self.epsv_all = True
            return [numbered(200, "EPSV ALL ok.")]
        if param not in ("", "1"):
            # RFC 2428 §3: unsupported network protocol
            return [numbered(522, "Network protocol not supported, use (1)")]
        self.pending_ext = True
        self.active_addr = None
        return [CloseData(), OpenPassive(extended=True)]

    def _set_active(self, ip: str, port: int) -> list[ServerEvent]:
        if self.epsv_all:
            return [numbered(501, "PORT not allowed after EPSV ALL.")]
        if self.settings.port_check and ip != self.client_ip:
            return [numbered(500, "Illegal PORT command.")]
        self.passive = False
        self.active_addr = (ip, port)
        return [CloseData(), numbered(200, "PORT command successful. Consider using PASV.")]

    def _cmd_port(self, arg: str) -> list[ServerEvent]:
        fields = arg.split(",")
        try:
            nums = [int(f) for f in fields]
        except ValueError:
            nums = []
        if (
            len(nums) != 6
            or any(not 0 <= n <= 255 for n in nums)
            or not all(ascii_digits(f.strip()) for f in fields)
        ):
            return [numbered(501, "Illegal PORT command.")]
        port = nums[4] * 256 + nums[5]
        if port == 0:
            return [numbered(501, "Illegal PORT command.")]
        return self._set_active(".".join(str(n) for n in nums[:4]), port)

    def _cmd_eprt(self, arg: str) -> list[ServerEvent]:
        # RFC 2428 §2: EPRT <d><net-prt><d><net-addr><d><tcp-port><d>
        if len(arg) < 2:
            return [numbered(501, "Illegal EPRT command.")]
        delim = arg[0]
        parts = arg.split(delim)
        if not (33 <= ord(delim) <= 126) or len(parts) != 5 or parts[0] or parts[4]:
            return [numbered(501, "Illegal EPRT command.")]
        proto, addr, port_text = parts[1], parts[2], parts[3]
        if proto == "2":
            return [numbered(522, "Network protocol not supported, use (1)")]
        octets = addr.split(".")
        if (
            proto != "1"
            or len(octets) != 4
            or not all(ascii_digits(o) and int(o) <= 255 for o in octets)
            or not ascii_digits(port_text)
            or not 0 < int(port_text) <= 65535
        ):
            return [numbered(501, "Illegal EPRT command.")]
        return self._set_active(".".join(str(int(o)) for o in octets), int(port_text))

    # -- directories ------------------------------------------------------------------------------
    def _cmd_pwd(self, arg: str) -> list[ServerEvent]:
        return [numbered(257, f"{_quote_path(self.cwd)} is the current directory")]

    _cmd_xpwd = _cmd_pwd

    def _cmd_cwd(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self.tree.is_dir(path):
            return [numbered(550, "Failed to change directory.")]
        self.cwd = path
        return [numbered(250, "Directory successfully changed.")]

    def _cmd_cdup(self, arg: str) -> list[ServerEvent]:
        return self._cmd_cwd("..")

    _cmd_xcup = _cmd_cdup

    def _cmd_mkd(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self._may_write() or not self.tree.mkdir(path, self.clock()):
            return [numbered(550, "Create directory operation failed.")]
        return [numbered(257, f"{_quote_path(path)} created")]

    def _cmd_rmd(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self._may_write() or not self.tree.rmdir(path):
            return [numbered(550, "Remove directory operation failed.")]
        return [numbered(250, "Remove directory operation successful.")]

    # -- files ------------------------------------------------------------------------------------
    def _cmd_retr(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self.tree.is_file(path):
            return [numbered(550, "Failed to open file.")]
        if not self._data_ready():
            return [numbered(425, "Use PORT or PASV first.")]
        data = bytes(self.tree.files[path].data)
        payload = to_netascii(data) if self.type_ascii else data
        return self._begin("RETR", "send", payload, f"{basename(path)} ({len(data)} bytes)")

    def _upload(self, verb: str, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self._may_write():
            return [numbered(550, "Permission denied.")]
        if self.tree.is_dir(path) or not self.tree.is_dir(path.rsplit("/", 1)[0] or "/"):
            return [numbered(553, "Could not create file.")]
        if not self._data_ready():
            return [numbered(425, "Use PORT or PASV first.")]
        self.upload_path = path
        self.upload_append = verb == "APPE"
        return self._begin(verb, "recv", b"", basename(path))

    def _cmd_stor(self, arg: str) -> list[ServerEvent]:
        return self._upload("STOR", arg)

    def _cmd_appe(self, arg: str) -> list[ServerEvent]:
        return self._upload("APPE", arg)

    def _listing_target(self, arg: str) -> str | None:
        # clients send ls options ("LIST -la"); they are not paths
        words = [w for w in arg.split(" ") if w and not w.startswith("-")]
        return normalize(self.cwd, " ".join(words)) if words else self.cwd

    def _ls_line(self, path: str) -> str:
        if self.tree.is_dir(path):
            return (
                f"drwxr-xr-x    2 ftp      ftp      {0:>12} {_ls_time(self.tree.dirs[path])} "
                f"{basename(path)}"
            )
        entry = self.tree.files[path]
        return (
            f"-rw-r--r--    1 ftp      ftp      {len(entry.data):>12} {_ls_time(entry.mtime)} "
            f"{basename(path)}"
        )

    def _cmd_list(self, arg: str) -> list[ServerEvent]:
        return self._listing(arg, long=True)

    def _cmd_nlst(self, arg: str) -> list[ServerEvent]:
        return self._listing(arg, long=False)

    def _listing(self, arg: str, *, long: bool) -> list[ServerEvent]:
        target = self._listing_target(arg)
        if target is None or not (self.tree.is_dir(target) or self.tree.is_file(target)):
            return [numbered(550, "No such file or directory.")]
        if not self._data_ready():
            return [numbered(425, "Use PORT or PASV first.")]
        if self.tree.is_dir(target):
            paths = [target.rstrip("/") + "/" + name for name in self.tree.children(target)]
        else:
            paths = [target]
        lines = [self._ls_line(p) if long else basename(p) for p in paths]
        payload = "".join(f"{ln}\r\n" for ln in lines).encode("utf-8", "replace")
        return self._begin("LIST" if long else "NLST", "send", payload, "file list")

    def _cmd_size(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self.tree.is_file(path):
            return [numbered(550, "Could not get file size.")]
        data = bytes(self.tree.files[path].data)
        # RFC 3659 §4: the size is that of the transfer in the current TYPE
        size = len(to_netascii(data)) if self.type_ascii else len(data)
        return [numbered(213, str(size))]

    def _cmd_mdtm(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self.tree.is_file(path):
            return [numbered(550, "Could not get file modification time.")]
        return [numbered(213, mdtm_text(self.tree.files[path].mtime))]

    def _cmd_dele(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        if path is None or not self._may_write() or not self.tree.delete(path):
            return [numbered(550, "Delete operation failed.")]
        return [numbered(250, "Delete operation successful.")]

    def _cmd_rnfr(self, arg: str) -> list[ServerEvent]:
        path = self._path(arg)
        self.rename_from = None
        if (
            path is None
            or not self._may_write()
            or not (self.tree.is_file(path) or (self.tree.is_dir(path) and path != "/"))
        ):
            return [numbered(550, "RNFR command failed.")]
        self.rename_from = path
        return [numbered(350, "Ready for RNTO.")]

    def _cmd_rnto(self, arg: str) -> list[ServerEvent]:
        src = self.rename_from
        self.rename_from = None
        if src is None:
            return [numbered(503, "RNFR required first.")]
        dst = self._path(arg)
        if dst is None or not self.tree.rename(src, dst):
            return [numbered(550, "Rename failed.")]
        return [numbered(250, "Rename successful.")]

    def _cmd_allo(self, arg: str) -> list[ServerEvent]:
        return [numbered(202, "ALLO command ignored.")]

    def _cmd_abor(self, arg: str) -> list[ServerEvent]:
        return [numbered(225, "No transfer to ABOR.")]
