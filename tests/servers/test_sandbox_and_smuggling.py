"""Escapes found by the fuzzing campaign (issue 21): the FTP tree never reads outside the
configured directory, however its path is spelled, and SMTP ends a message only at
CR LF . CR LF (RFC 5321 §2.3.8, §4.1.1.4), so a command smuggled after a bare LF . LF is never
executed."""

from __future__ import annotations

import os
import threading

import pytest

from simnet.errors import ConfigError
from simnet.servers import make_service
from simnet.servers.filetree import build_tree
from simnet.servers.smtp_engine import MailStore, SmtpEngine, SmtpSettings
from tests.servers.engine_util import closes, codes, wire


@pytest.fixture
def outside(tmp_path):
    """A directory standing for /etc: nothing in it may ever be copied."""
    secret = tmp_path / "etc"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0\n")
    (secret / "sub").mkdir()
    (secret / "sub" / "shadow").write_text("root:$6$...\n")
    link = tmp_path / "served"
    link.symlink_to(secret, target_is_directory=True)
    return tmp_path


@pytest.mark.parametrize("suffix", ["", "/", "//", "/.", "/./", "/../served", "/../served/"])
def test_symlinked_directory_is_refused_however_it_is_spelled(outside, suffix):
    """``directory: <symlink to /etc>/`` copied 324 files of /etc: ``islink`` is False for a
    path with a trailing slash (the kernel follows the link to answer)."""
    spelled = str(outside / "served") + suffix
    with pytest.raises(ConfigError, match="symlink"):
        build_tree({"directory": spelled}, "hosts.ftp.services[0]", 0.0)


def test_dotdot_through_a_symlink_cannot_reach_outside(outside):
    """``served/../etc``: the kernel reads ``<target of served>/../etc``; the check and the
    copy both use the lexically normalised path, so what is copied is what was checked."""
    (outside / "data").mkdir()
    (outside / "data" / "ok.txt").write_text("fine")
    tree = build_tree({"directory": str(outside / "served" / ".." / "data")}, "f", 0.0)
    assert set(tree.files) == {"/ok.txt"}


def test_a_real_directory_with_a_trailing_slash_still_works(tmp_path):
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "a.bin").write_bytes(b"\x00\x01")
    tree = build_tree({"directory": str(tmp_path / "pub") + "/"}, "f", 0.0)
    assert bytes(tree.files["/a.bin"].data) == b"\x00\x01"


def test_source_through_a_symlink_or_outside_is_refused(outside):
    root = outside / "root"
    root.mkdir()
    (root / "link").symlink_to(outside / "etc" / "passwd")
    (root / "dirlink").symlink_to(outside / "etc", target_is_directory=True)
    for source in ("link", "link/", "dirlink/passwd", "dirlink/sub/shadow"):
        with pytest.raises(ConfigError):
            build_tree({"directory": str(root), "files": {"/x": {"source": source}}}, "f", 0.0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_as_ftp_source_is_refused_without_blocking(tmp_path):
    """A FIFO named as ``source:`` blocked validate and run in open()."""
    root = tmp_path / "root"
    root.mkdir()
    os.mkfifo(root / "pipe")
    result: list[object] = []

    def attempt() -> None:
        try:
            make_service(
                "ftp", {"directory": str(root), "files": {"/p": {"source": "pipe"}}}, "svc"
            )
        except ConfigError as exc:
            result.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the open() so the test process can end
        fd = os.open(root / "pipe", os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("opening a FIFO source blocked")
    assert result and "not a regular file" in str(result[0])


# -- SMTP smuggling ---------------------------------------------------------------------------
def session(**settings) -> tuple[SmtpEngine, MailStore]:
    store = MailStore()
    engine = SmtpEngine(store, SmtpSettings(**settings))
    engine.start()
    for line in (b"EHLO modem", b"MAIL FROM:<a@x.net>", b"RCPT TO:<b@y.net>", b"DATA"):
        engine.receive(line + b"\r\n")
    return engine, store


SMUGGLE = (
    b"Subject: hi\r\n\r\nbody\r\n"
    b"\n.\n"  # the bare-LF "end of data" of a lenient server
    b"MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@y.net>\r\nDATA\r\n"
    b"Subject: forged\r\n\r\n.\r\n"
)


def test_bare_lf_dot_lf_does_not_end_data_and_closes_the_session():
    engine, store = session()
    actions = engine.receive(SMUGGLE)
    assert codes(wire(actions)) == [521]
    assert wire(actions) == b"521 5.5.2 mail.simnet.test Error: bare <LF> received\r\n"
    assert closes(actions)
    assert store.mailboxes == {}  # neither the message nor the smuggled one
    assert engine.receive(b"RSET\r\n") == []  # nothing more is read


def test_a_bare_lf_anywhere_in_message_text_is_refused():
    engine, store = session()
    assert codes(wire(engine.receive(b"Subject: x\r\n\r\nline one\nline two\r\n.\r\n"))) == [521]
    assert store.mailboxes == {}


def test_crlf_dot_crlf_still_ends_a_message():
    engine, store = session()
    assert codes(wire(engine.receive(b"Subject: x\r\n\r\nbody\r\n.\r\n"))) == [250]
    assert len(store.mailboxes["b@y.net"]) == 1


def test_legacy_mode_keeps_the_old_lenient_behaviour():
    """``bare_lf: legacy``: LF line ends accepted and LF . LF ends the message, so the smuggled
    command runs, exactly the pre-2024 behaviour a legacy scenario may want to show."""
    engine, store = session(bare_lf="legacy")
    replies = codes(wire(engine.receive(SMUGGLE)))
    assert replies == [250, 250, 250, 354, 250]
    assert len(store.mailboxes["victim@y.net"]) == 1


def test_bare_lf_setting_is_validated():
    with pytest.raises(ConfigError, match="bare_lf"):
        make_service("smtp", {"bare_lf": "sometimes"}, "svc")
    make_service("smtp", {"bare_lf": "legacy"}, "svc")
