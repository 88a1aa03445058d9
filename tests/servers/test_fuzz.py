"""Random bytes into every engine: never an exception, always protocol-shaped replies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simnet.servers.events import DataTransfer, OpenPassive, Write
from simnet.servers.filetree import FileTree, build_tree
from simnet.servers.ftp_engine import FtpEngine, FtpSettings
from simnet.servers.lines import LineBuffer
from simnet.servers.ntp import NtpSettings, ntp_reply
from simnet.servers.pop3_engine import Maildrop, Pop3Engine
from simnet.servers.smtp_engine import MailStore, SmtpEngine, SmtpSettings

chunks = st.lists(st.binary(max_size=300), max_size=30)
WORDS = [
    b"USER alice",
    b"PASS secret",
    b"USER anonymous",
    b"PASS x",
    b"PASV",
    b"EPSV",
    b"PORT 1,2,3,4,5,6",
    b"EPRT |1|1.2.3.4|99|",
    b"RETR f",
    b"STOR g",
    b"APPE f",
    b"LIST",
    b"NLST ..",
    b"CWD ..",
    b"CDUP",
    b"MKD d",
    b"RMD d",
    b"RNFR f",
    b"RNTO h",
    b"DELE f",
    b"TYPE I",
    b"TYPE A",
    b"SIZE f",
    b"MDTM f",
    b"QUIT",
    b"NOOP",
    b"EPSV ALL",
    b"HELO x",
    b"EHLO x",
    b"MAIL FROM:<a@b.c>",
    b"RCPT TO:<d@e.f>",
    b"DATA",
    b".",
    b"RSET",
    b"AUTH LOGIN",
    b"AUTH PLAIN AGEAYg==",
    b"STAT",
    b"LIST 1",
    b"RETR 1",
    b"TOP 1 0",
    b"DELE 1",
    b"UIDL",
    b"USER u",
    b"PASS p",
    b"\xff\x00",
    b"",
]
commands = st.lists(
    st.one_of(st.sampled_from(WORDS), st.binary(max_size=40)).map(lambda b: b + b"\r\n"),
    max_size=40,
)


def check_sends(actions: list[object]) -> None:
    for a in actions:
        if isinstance(a, Write):
            assert isinstance(a.data, bytes) and a.data.endswith(b"\r\n")


def drive_ftp(data: list[bytes], outcomes: st.DataObject | None = None) -> None:
    tree = build_tree({"files": {"/f": "hello\n"}}, "ftp", 0.0)
    e = FtpEngine(
        tree, FtpSettings(users={"alice": "secret"}, anonymous=True, anonymous_write=True)
    )
    check_sends(e.start())
    for chunk in data:
        actions = e.receive(chunk)
        check_sends(actions)
        for a in actions:
            # answer the glue's requests like a network would
            if isinstance(a, OpenPassive):
                check_sends(e.passive_opened("192.0.2.1", 50000))
            elif isinstance(a, DataTransfer):
                check_sends(e.transfer_finished(True, b"up\r\nload"))
    check_sends(e.connection_lost())


@pytest.mark.slow
@given(chunks)
def test_ftp_random_bytes(data):
    drive_ftp(data)


@pytest.mark.slow
@given(commands)
def test_ftp_random_commands(data):
    drive_ftp(data)


@pytest.mark.slow
@given(st.one_of(chunks, commands))
def test_smtp_random_input(data):
    store = MailStore()
    e = SmtpEngine(store, SmtpSettings(users={"a": "b"}, max_size=2000))
    check_sends(e.start())
    for chunk in data:
        check_sends(e.receive(chunk))
    e.connection_lost()
    for box in store.mailboxes.values():
        for msg in box:
            assert isinstance(msg.body, str)


@pytest.mark.slow
@given(st.one_of(chunks, commands))
def test_pop3_random_input(data):
    drop = Maildrop(users={"u": "p"})
    drop.add("u", b"Subject: x\n\n.a\nb\n")
    e = Pop3Engine(drop)
    check_sends(e.start())
    for chunk in data:
        for a in e.receive(chunk):
            if isinstance(a, Write):
                assert a.data.startswith((b"+OK", b"-ERR"))
    e.connection_lost()
    assert drop.locked == []
    assert len(drop.boxes["u"]) <= 1


@pytest.mark.slow
@given(st.binary(max_size=120))
def test_ntp_random_datagrams(data):
    reply = ntp_reply(data, NtpSettings(), 1.0e9, 1.0e9, 1.0e9)
    assert reply is None or (len(reply) == 48 and reply[0] & 7 == 4)


@given(st.lists(st.binary(max_size=50), max_size=20), st.integers(1, 40))
def test_line_buffer_bounded_and_lossless(data, limit):
    buf = LineBuffer(limit)
    lines = []
    for chunk in data:
        lines.extend(buf.feed(chunk))
        assert buf.pending <= limit
    whole = b"".join(data)
    # every complete short line comes out exactly once, in order, without its CR LF
    expected = []
    for raw in whole.split(b"\n")[:-1]:
        if len(raw) <= limit:
            expected.append(raw[:-1] if raw.endswith(b"\r") else raw)
    assert [ln.data for ln in lines if not ln.overlong] == expected


def test_empty_tree_engine_never_raises_on_odd_paths():
    e = FtpEngine(FileTree(), FtpSettings(users={"a": "b"}))
    e.receive(b"USER a\r\nPASS b\r\n")
    for arg in ("/", "//", "/./..", "\x00", "a" * 900, "~", "*", "?"):
        for verb in ("CWD", "RETR", "MKD", "RMD", "DELE", "SIZE", "LIST", "NLST", "RNFR"):
            check_sends(e.receive(f"{verb} {arg}\r\n".encode()))


NAMES = st.sampled_from(["a", "b", "a/b", "a/b/c", "../a", "/a", "b/../a", "c", "a/c", "..", "."])
TREE_OPS = st.lists(
    st.tuples(
        st.sampled_from(["MKD", "RMD", "STOR", "DELE", "RNFR", "RNTO", "CWD", "CDUP"]), NAMES
    ),
    max_size=40,
)


@pytest.mark.slow
@given(TREE_OPS)
def test_ftp_tree_invariants_under_random_operations(ops):
    tree = FileTree()
    e = FtpEngine(tree, FtpSettings(users={"u": "p"}))
    e.receive(b"USER u\r\nPASS p\r\n")
    for verb, name in ops:
        for a in e.receive(f"{verb} {name}\r\n".encode()):
            if isinstance(a, OpenPassive):
                e.passive_opened("192.0.2.1", 50000)
            elif isinstance(a, DataTransfer):
                e.transfer_finished(True, b"x")
        e.receive(b"PASV\r\n")
        e.passive_opened("192.0.2.1", 50000)
        # every file and directory hangs below an existing directory; nothing escapes the root
        for path in list(tree.files) + [d for d in tree.dirs if d != "/"]:
            assert path.startswith("/") and ".." not in path.split("/")
            parent = path.rsplit("/", 1)[0] or "/"
            assert parent in tree.dirs, (path, sorted(tree.dirs))
        assert not set(tree.files) & set(tree.dirs)
        # the working directory may have been removed (as on Unix) but never escapes the root
        assert e.cwd.startswith("/") and ".." not in e.cwd.split("/")


@pytest.mark.slow
@given(st.binary(max_size=80), st.booleans())
def test_dns_name_fault_filter_never_raises(data, with_header):
    from simnet.servers.dns import DnsService

    if with_header:  # a plausible header so the decoder goes deeper
        data = bytes.fromhex("abcd01000001000000000000") + data
    name = DnsService._qname(data)
    assert name is None or isinstance(name, str)
