"""FTP engine alone (no network): replies for each command, per RFC 959 / 2428 / 3659."""

from __future__ import annotations

import hashlib
import random

import pytest

from simnet import ConfigError
from simnet.servers.engine import Injected
from simnet.servers.events import CloseData, DataTransfer, OpenPassive
from simnet.servers.filetree import FileTree, build_tree, normalize
from simnet.servers.ftp_engine import FtpEngine, FtpSettings, from_netascii, to_netascii
from tests.servers.engine_util import closes, codes, wire

EPOCH = 1767225600.0  # 2026-01-01T00:00:00Z, computed: (2026-1970) years incl. 14 leap days


def make_engine(**kw) -> FtpEngine:
    tree = build_tree(
        {"files": {"/pub/readme.txt": "line1\nline2\n", "/pub/bin.dat": {"hex": "000a0d0aff"}}},
        "ftp",
        EPOCH,
    )
    kw.setdefault("port_check", False)
    settings = FtpSettings(users={"alice": "secret"}, anonymous=True, **kw)
    return FtpEngine(tree, settings, client_ip="10.0.0.2", clock=lambda: EPOCH + 42)


def cmd(engine: FtpEngine, line: str) -> tuple[bytes, list[object]]:
    actions = engine.receive(line.encode() + b"\r\n")
    return wire(actions), actions


def login(engine: FtpEngine) -> None:
    cmd(engine, "USER alice")
    out, _ = cmd(engine, "PASS secret")
    assert out == b"230 Login successful.\r\n"


def test_epoch_constant_is_2026():
    import datetime

    assert datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).timestamp() == EPOCH


def test_greeting_and_login_sequence():
    e = make_engine()
    assert wire(e.start()) == b"220 (simnet FTP)\r\n"
    assert cmd(e, "PASS x")[0] == b"503 Login with USER first.\r\n"
    assert cmd(e, "PWD")[0] == b"530 Please login with USER and PASS.\r\n"
    assert cmd(e, "USER alice")[0] == b"331 Please specify the password.\r\n"
    assert cmd(e, "PASS wrong")[0] == b"530 Login incorrect.\r\n"
    assert cmd(e, "USER alice")[0].startswith(b"331")
    assert cmd(e, "PASS secret")[0] == b"230 Login successful.\r\n"
    assert cmd(e, "PWD")[0] == b'257 "/" is the current directory\r\n'
    assert cmd(e, "SYST")[0] == b"215 UNIX Type: L8\r\n"
    assert cmd(e, "ACCT x")[0].startswith(b"202 ")


def test_anonymous_login_only_when_enabled():
    e = make_engine()
    cmd(e, "USER anonymous")
    assert cmd(e, "PASS me@example.net")[0].startswith(b"230")
    assert cmd(e, "STOR x")[0] == b"550 Permission denied.\r\n"  # anonymous may not write
    tree = FileTree()
    e2 = FtpEngine(tree, FtpSettings(anonymous=False))
    cmd(e2, "USER anonymous")
    assert cmd(e2, "PASS x")[0].startswith(b"530")


def test_type_mode_stru():
    e = make_engine()
    login(e)
    assert cmd(e, "TYPE I")[0] == b"200 Switching to Binary mode.\r\n"
    assert cmd(e, "TYPE A")[0] == b"200 Switching to ASCII mode.\r\n"
    assert cmd(e, "TYPE L 8")[0].startswith(b"200")
    assert codes(cmd(e, "TYPE E")[0]) == [504]
    assert codes(cmd(e, "TYPE Z")[0]) == [501]
    assert codes(cmd(e, "MODE S")[0]) == [200]
    assert codes(cmd(e, "MODE B")[0]) == [504]
    assert codes(cmd(e, "STRU F")[0]) == [200]
    assert codes(cmd(e, "STRU R")[0]) == [504]
    assert codes(cmd(e, "STRU")[0]) == [501]


def test_directories_cwd_cdup_mkd_rmd():
    e = make_engine()
    login(e)
    assert codes(cmd(e, "CWD pub")[0]) == [250]
    assert cmd(e, "PWD")[0] == b'257 "/pub" is the current directory\r\n'
    assert codes(cmd(e, "CWD nope")[0]) == [550]
    assert cmd(e, 'MKD new"dir')[0] == b'257 "/pub/new""dir" created\r\n'  # RFC 959 quote doubling
    assert codes(cmd(e, 'MKD new"dir')[0]) == [550]
    assert codes(cmd(e, 'RMD new"dir')[0]) == [250]
    assert codes(cmd(e, "RMD /pub")[0]) == [550]  # not empty
    assert codes(cmd(e, "CDUP")[0]) == [250]
    assert codes(cmd(e, "CDUP")[0]) == [550]  # above the root is refused


def test_pasv_epsv_port_eprt_replies():
    e = make_engine()
    login(e)
    out, actions = cmd(e, "PASV")
    assert out == b"" and any(isinstance(a, OpenPassive) and not a.extended for a in actions)
    assert wire(e.passive_opened("192.0.2.10", 50001)) == (
        b"227 Entering Passive Mode (192,0,2,10,195,81).\r\n"  # 50001 = 195*256 + 81
    )
    _, actions = cmd(e, "EPSV")
    assert any(isinstance(a, OpenPassive) and a.extended for a in actions)
    assert (
        wire(e.passive_opened("192.0.2.10", 50002))
        == b"229 Entering Extended Passive Mode (|||50002|)\r\n"
    )
    assert codes(cmd(e, "EPSV 2")[0]) == [522]
    assert cmd(e, "PORT 10,0,0,2,4,1")[0].startswith(b"200 ")
    assert e.active_addr == ("10.0.0.2", 1025)
    assert codes(cmd(e, "PORT 10,0,0,2,4")[0]) == [501]
    assert codes(cmd(e, "PORT 10,0,0,256,4,1")[0]) == [501]
    assert codes(cmd(e, "EPRT |1|10.0.0.3|6000|")[0]) == [200]
    assert e.active_addr == ("10.0.0.3", 6000)
    assert codes(cmd(e, "EPRT |2|::1|6000|")[0]) == [522]
    assert codes(cmd(e, "EPRT |1|10.0.0.3|0|")[0]) == [501]
    assert codes(cmd(e, "EPRT garbage")[0]) == [501]
    assert codes(cmd(e, "EPSV ALL")[0]) == [200]
    assert codes(cmd(e, "PORT 10,0,0,2,4,1")[0]) == [501]
    assert codes(cmd(e, "PASV")[0]) == [501]


def test_port_check_rejects_third_party_address():
    e = make_engine(port_check=True)
    login(e)
    assert codes(cmd(e, "PORT 10,0,0,9,4,1")[0]) == [500]
    assert codes(cmd(e, "PORT 10,0,0,2,4,1")[0]) == [200]


def test_retr_binary_and_ascii_and_transfer_outcomes():
    e = make_engine()
    login(e)
    assert codes(cmd(e, "RETR /pub/readme.txt")[0]) == [425]  # no PASV/PORT yet
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    out, actions = cmd(e, "RETR /pub/readme.txt")
    assert out.startswith(b"150 Opening ASCII mode")
    (transfer,) = [a for a in actions if isinstance(a, DataTransfer)]
    assert transfer.direction == "send" and transfer.passive
    assert transfer.payload == b"line1\r\nline2\r\n"  # TYPE A is the default (RFC 959 3.1.1.1)
    # commands during a transfer wait for it
    assert cmd(e, "NOOP")[0] == b""
    assert wire(e.transfer_finished(True)) == b"226 Transfer complete.\r\n200 NOOP ok.\r\n"
    cmd(e, "TYPE I")
    cmd(e, "PORT 10,0,0,2,4,1")
    _, actions = cmd(e, "RETR /pub/bin.dat")
    (transfer,) = [a for a in actions if isinstance(a, DataTransfer)]
    assert transfer.payload == bytes.fromhex("000a0d0aff") and transfer.address == (
        "10.0.0.2",
        1025,
    )
    assert (
        wire(e.transfer_finished(False, error="connect"))
        == b"425 Failed to establish connection.\r\n"
    )
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    cmd(e, "RETR /pub/bin.dat")
    assert codes(wire(e.transfer_finished(False, error="aborted"))) == [426]


def test_stor_appe_with_ascii_conversion_and_limits():
    e = make_engine(max_upload=10)
    login(e)
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    _, actions = cmd(e, "STOR up.txt")
    (transfer,) = [a for a in actions if isinstance(a, DataTransfer)]
    assert transfer.direction == "recv" and transfer.limit == 10
    assert codes(wire(e.transfer_finished(True, b"a\r\nb\r\n"))) == [226]
    assert bytes(e.tree.files["/up.txt"].data) == b"a\nb\n"
    assert e.tree.files["/up.txt"].mtime == EPOCH + 42
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    cmd(e, "APPE up.txt")
    e.transfer_finished(True, b"c\r\n")
    assert bytes(e.tree.files["/up.txt"].data) == b"a\nb\nc\n"
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    cmd(e, "STOR big")
    assert codes(wire(e.transfer_finished(False, error="too_large"))) == [552]
    assert "/big" not in e.tree.files
    assert codes(cmd(e, "STOR /nodir/x")[0]) == [553]
    assert codes(cmd(e, "STOR /pub")[0]) == [553]


def test_list_nlst_size_mdtm():
    e = make_engine()
    login(e)
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    _, actions = cmd(e, "NLST /pub")
    (t,) = [a for a in actions if isinstance(a, DataTransfer)]
    assert t.payload == b"bin.dat\r\nreadme.txt\r\n"
    e.transfer_finished(True)
    cmd(e, "PASV")
    e.passive_opened("192.0.2.10", 50000)
    _, actions = cmd(e, "LIST -la /pub")
    (t,) = [a for a in actions if isinstance(a, DataTransfer)]
    lines = t.payload.decode().split("\r\n")
    assert lines[0].startswith("-rw-r--r--") and lines[0].endswith(" Jan 01 00:00 bin.dat")
    assert lines[0].split()[4] == "5" and lines[1].split()[4] == "12"
    e.transfer_finished(True)
    # SIZE is the size of the transfer in the current TYPE (RFC 3659 section 4)
    assert cmd(e, "SIZE /pub/readme.txt")[0] == b"213 14\r\n"
    cmd(e, "TYPE I")
    assert cmd(e, "SIZE /pub/readme.txt")[0] == b"213 12\r\n"
    assert codes(cmd(e, "SIZE /pub")[0]) == [550]
    assert cmd(e, "MDTM /pub/readme.txt")[0] == b"213 20260101000000\r\n"
    assert codes(cmd(e, "LIST /missing")[0]) == [550]


def test_dele_rename():
    e = make_engine()
    login(e)
    assert codes(cmd(e, "RNTO x")[0]) == [503]
    assert codes(cmd(e, "RNFR /pub/readme.txt")[0]) == [350]
    assert codes(cmd(e, "NOOP")[0]) == [200]
    assert codes(cmd(e, "RNTO /pub/r2.txt")[0]) == [503]  # RNFR must immediately precede
    cmd(e, "RNFR /pub/readme.txt")
    assert codes(cmd(e, "RNTO /pub/r2.txt")[0]) == [250]
    assert "/pub/r2.txt" in e.tree.files and "/pub/readme.txt" not in e.tree.files
    cmd(e, "RNFR /pub")
    assert codes(cmd(e, "RNTO /pub2")[0]) == [250]
    assert "/pub2/r2.txt" in e.tree.files
    assert codes(cmd(e, "DELE /pub2/r2.txt")[0]) == [250]
    assert codes(cmd(e, "DELE /pub2/r2.txt")[0]) == [550]
    cmd(e, "RNFR /pub2")
    assert codes(cmd(e, "RNTO /pub2/inner")[0]) == [550]  # not into itself


@pytest.mark.parametrize(
    "path",
    ["../etc/passwd", "/../../etc/passwd", "pub/../../x", "a\x00b", "..", "\\..\\x", "/pub/\x01"],
)
def test_traversal_paths_get_550(path):
    e = make_engine()
    login(e)
    for verb in ("RETR", "SIZE", "MDTM", "DELE", "CWD", "MKD", "RMD", "RNFR", "STOR"):
        out = e.receive(f"{verb} {path}\r\n".encode("latin-1"))
        assert codes(wire(out)) == [550], (verb, path, wire(out))


def test_normalize():
    assert normalize("/a/b", "../c") == "/a/c"
    assert normalize("/a", "/x/./y//z") == "/x/y/z"
    assert normalize("/", "..") is None
    assert normalize("/a", "../..") is None
    assert normalize("/", "a\x00") is None


def test_overrides_replace_and_421_closes():
    pending = {"RETR": Injected(550), "USER": Injected(421, "going down")}
    e = FtpEngine(
        FileTree(), FtpSettings(users={"a": "b"}), override=lambda v: pending.pop(v, None)
    )
    out, actions = cmd(e, "USER a")
    assert out == b"421 going down\r\n" and closes(actions)
    assert e.receive(b"USER a\r\n") == []  # closed: further bytes ignored


def test_errors_unknown_overlong_empty_and_quit():
    e = make_engine()
    assert codes(cmd(e, "XYZZY")[0]) == [500]
    assert codes(cmd(e, "")[0]) == [500]
    assert codes(cmd(e, "SITE CHMOD 777 x")[0]) == [502]
    out = wire(e.receive(b"USER " + b"A" * 5000 + b"\r\n"))
    assert out == b"500 Command line too long.\r\n"
    login(e)
    assert codes(cmd(e, "RETR")[0]) == [501]
    out, actions = cmd(e, "QUIT")
    assert out == b"221 Goodbye.\r\n" and closes(actions)
    assert any(isinstance(a, CloseData) for a in actions)


def test_feat_format():
    out, _ = cmd(make_engine(), "FEAT")
    assert out == b"211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n SIZE\r\n211 End\r\n"


def test_netascii_roundtrip():
    assert to_netascii(b"a\nb\r\nc") == b"a\r\nb\r\nc"
    assert from_netascii(b"a\r\nb\rc") == b"a\nb\rc"


def test_tree_from_config_and_pseudo_random_content():
    tree = build_tree(
        {"files": {"/r.bin": {"size": 1000, "seed": 7}}, "dirs": ["/empty"]}, "ftp", EPOCH
    )
    expected = random.Random(7).randbytes(1000)  # the documented recipe, recomputed here
    info = tree.inspect()["/r.bin"]
    assert info["bytes"] == expected and info["size"] == 1000
    assert info["sha256"] == hashlib.sha256(expected).hexdigest()
    assert tree.is_dir("/empty")


@pytest.mark.parametrize(
    "files",
    [
        {"../x": "a"},
        {"/a\x00": "a"},
        {"/x": {"size": -1}},
        {"/x": {"text": "a", "hex": "00"}},
        {"/x": {"source": "y"}},
        {"/x": 5},
    ],
)
def test_tree_config_errors(files):
    with pytest.raises(ConfigError) as err:
        build_tree({"files": files}, "hosts.h.services[0]", EPOCH)
    assert err.value.field.startswith("hosts.h.services[0].files")


def test_opts_utf8():
    e = make_engine()
    assert cmd(e, "OPTS UTF8 ON")[0] == b"200 Always in UTF8 mode.\r\n"
    assert codes(cmd(e, "OPTS MLST type;")[0]) == [501]
