"""SMTP (RFC 5321) and POP3 (RFC 1939) engines alone: sequences, errors, transparency."""

from __future__ import annotations

import base64

from simnet.servers.engine import Injected
from simnet.servers.pop3_engine import Maildrop, Pop3Engine, dot_stuff
from simnet.servers.smtp_engine import MailStore, SmtpEngine, SmtpSettings
from tests.servers.engine_util import closes, codes, wire


def smtp(**kw) -> tuple[SmtpEngine, MailStore]:
    store = MailStore(accept=kw.pop("accept", None))
    settings = SmtpSettings(users={"bob": "pw"}, **kw)
    return SmtpEngine(store, settings, clock=lambda: 5.0), store


def say(engine, text: str) -> bytes:
    return wire(engine.receive(text.encode() + b"\r\n"))


def test_smtp_full_session_and_parsing():
    e, store = smtp()
    assert wire(e.start()) == b"220 mail.simnet.test ESMTP simnet\r\n"
    assert say(e, "EHLO modem") == (
        b"250-mail.simnet.test Hello modem\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250 AUTH LOGIN "
        b"PLAIN\r\n"
    )
    assert say(e, "MAIL FROM:<a@x.net>") == b"250 OK\r\n"
    assert say(e, "RCPT TO:<b@y.net>") == b"250 OK\r\n"
    assert say(e, "RCPT TO:<c@y.net>") == b"250 OK\r\n"
    assert say(e, "DATA") == b"354 End data with <CR><LF>.<CR><LF>\r\n"
    body = (
        "From: A <a@x.net>\r\nTo: b@y.net\r\nCc: c@y.net\r\nSubject: hi\r\n\r\n"
        "..leading dot\r\n.\r\n"  # a line with one dot inside the body, stuffed
    )
    wire(e.receive(body[:-5].encode()))
    out = wire(e.receive(body[-5:].encode()))
    assert codes(out) == [250]
    (msg,) = store.mailboxes["b@y.net"]
    assert store.mailboxes["c@y.net"] == [msg]
    assert msg.subject == "hi" and msg.from_ == "A <a@x.net>" and msg.cc == "c@y.net"
    assert msg.body == ".leading dot\n"
    assert msg.raw.endswith(b"\r\n.leading dot\r\n")
    assert say(e, "QUIT") == b"221 Bye\r\n"


def test_smtp_terminator_split_across_segments():
    e, store = smtp()
    for line in ("HELO x", "MAIL FROM:<>", "RCPT TO:<b@y.net>", "DATA"):
        say(e, line)
    chunks = [b"Subject: s\r\n\r\nbody\r", b"\n.", b"\r", b"\n"]
    out = b"".join(wire(e.receive(c)) for c in chunks)
    assert codes(out) == [250]
    assert store.mailboxes["b@y.net"][0].body == "body\n"


def test_smtp_bad_sequences_and_syntax():
    e, _ = smtp()
    assert codes(say(e, "MAIL FROM:<a@x.net>")) == [503]
    assert codes(say(e, "HELO")) == [501]
    say(e, "HELO x")
    assert codes(say(e, "RCPT TO:<b@y.net>")) == [503]
    assert codes(say(e, "DATA")) == [503]
    assert codes(say(e, "MAIL FROM:a@x.net")) == [501]
    assert codes(say(e, "MAIL TO:<a@x.net>")) == [501]
    say(e, "MAIL FROM:<a@x.net>")
    assert codes(say(e, "MAIL FROM:<a@x.net>")) == [503]
    assert codes(say(e, "DATA")) == [554]  # no valid recipients
    assert codes(say(e, "RCPT TO:<nobody>")) == [501]
    assert codes(say(e, "RSET")) == [250]
    assert codes(say(e, "RCPT TO:<b@y.net>")) == [503]
    assert codes(say(e, "VRFY bob")) == [252]
    assert codes(say(e, "NOOP")) == [250]
    assert codes(say(e, "BOGUS")) == [500]
    assert codes(wire(e.receive(b"X" * 2000 + b"\r\n"))) == [500]
    assert codes(wire(e.receive(b"\xff\xfe\x00garbage\r\n"))) == [500]


def test_smtp_auth_plain_and_login_and_required():
    e, _ = smtp(auth_required=True)
    say(e, "EHLO x")
    assert codes(say(e, "MAIL FROM:<a@x.net>")) == [530]
    bad = base64.b64encode(b"\0bob\0nope").decode()
    assert codes(say(e, f"AUTH PLAIN {bad}")) == [535]
    assert codes(say(e, "AUTH PLAIN !!!")) == [501]
    assert say(e, "AUTH LOGIN") == b"334 VXNlcm5hbWU6\r\n"
    assert say(e, base64.b64encode(b"bob").decode()) == b"334 UGFzc3dvcmQ6\r\n"
    assert say(e, base64.b64encode(b"pw").decode()) == b"235 Authentication successful\r\n"
    assert codes(say(e, "AUTH LOGIN")) == [503]
    assert codes(say(e, "MAIL FROM:<a@x.net>")) == [250]
    e2, _ = smtp()
    say(e2, "EHLO x")
    assert say(e2, "AUTH PLAIN") == b"334 \r\n"
    assert codes(say(e2, base64.b64encode(b"\0bob\0pw").decode())) == [235]
    e3, _ = smtp()
    assert codes(say(e3, "AUTH PLAIN")) == [503]  # before EHLO
    say(e3, "EHLO x")
    say(e3, "AUTH LOGIN")
    assert codes(say(e3, "*")) == [501]
    assert codes(say(e3, "AUTH CRAM-MD5")) == [504]


def test_smtp_size_limit_unknown_mailbox_and_overrides():
    e, store = smtp(max_size=100, accept=["b@y.net"])
    say(e, "HELO x")
    assert codes(say(e, "MAIL FROM:<a@x.net> SIZE=1000")) == [552]
    say(e, "MAIL FROM:<a@x.net>")
    assert codes(say(e, "RCPT TO:<z@y.net>")) == [550]
    say(e, "RCPT TO:<B@y.net>")
    say(e, "DATA")
    assert codes(wire(e.receive(b"x" * 200 + b"\r\n.\r\n"))) == [552]
    assert store.mailboxes == {}
    queue = {"MAIL": Injected(451), "DATA": Injected(421)}
    e2 = SmtpEngine(MailStore(), SmtpSettings(), override=lambda v: queue.pop(v, None))
    say(e2, "HELO x")
    assert (
        say(e2, "MAIL FROM:<a@x.net>")
        == b"451 Requested action aborted: local error in processing\r\n"
    )
    say(e2, "MAIL FROM:<a@x.net>")
    say(e2, "RCPT TO:<b@y.net>")
    assert codes(say(e2, "DATA")) == [354]  # RFC 5321 4.3.2: the failure follows the text
    actions = e2.receive(b"Subject: x\r\n\r\nbody\r\n.\r\n")
    assert codes(wire(actions)) == [421] and closes(actions)
    queue["DATA"] = Injected(550)  # a policy refusal replaces the 354 itself
    e3 = SmtpEngine(MailStore(), SmtpSettings(), override=lambda v: queue.pop(v, None))
    for line in ("HELO x", "MAIL FROM:<a@x.net>", "RCPT TO:<b@y.net>"):
        say(e3, line)
    assert codes(say(e3, "DATA")) == [550]
    assert codes(say(e3, "RSET")) == [250]


def pop3(messages=None) -> tuple[Pop3Engine, Maildrop]:
    drop = Maildrop(users={"u": "p w"})
    for m in messages or []:
        drop.add("u", m)
    return Pop3Engine(drop), drop


def test_pop3_full_session_with_update_on_quit():
    m1 = b"Subject: one\n\nhello\n.dot line\n"
    m2 = b"Subject: two\n\nb1\nb2\nb3\n"
    e, drop = pop3([m1, m2])
    assert wire(e.start()) == b"+OK simnet POP3 server ready\r\n"
    assert say(e, "STAT").startswith(b"-ERR")
    assert say(e, "USER nobody").startswith(b"-ERR")
    assert say(e, "USER u") == b"+OK u is a valid mailbox\r\n"
    assert say(e, "PASS p w").startswith(b"+OK u's maildrop has 2 messages")
    size1 = len(m1.replace(b"\n", b"\r\n"))
    size2 = len(m2.replace(b"\n", b"\r\n"))
    assert say(e, "STAT") == f"+OK 2 {size1 + size2}\r\n".encode()
    assert say(e, "LIST") == (
        f"+OK 2 messages ({size1 + size2} octets)\r\n1 {size1}\r\n2 {size2}\r\n.\r\n".encode()
    )
    assert say(e, "LIST 2") == f"+OK 2 {size2}\r\n".encode()
    retr = say(e, "RETR 1")
    assert (
        retr
        == f"+OK {size1} octets\r\n".encode() + b"Subject: one\r\n\r\nhello\r\n..dot line\r\n.\r\n"
    )
    assert say(e, "TOP 2 1") == b"+OK top of message follows\r\nSubject: two\r\n\r\nb1\r\n.\r\n"
    uidl = say(e, "UIDL").split(b"\r\n")
    assert uidl[1].startswith(b"1 ") and uidl[2].startswith(b"2 ") and uidl[1][2:] != uidl[2][2:]
    assert say(e, "DELE 1") == b"+OK message 1 deleted\r\n"
    assert say(e, "DELE 1").startswith(b"-ERR")
    assert say(e, "RETR 1").startswith(b"-ERR")
    assert say(e, "STAT") == f"+OK 1 {size2}\r\n".encode()
    assert len(drop.boxes["u"]) == 2  # only marked until QUIT
    assert say(e, "RSET").startswith(b"+OK")
    say(e, "DELE 2")
    assert say(e, "NOOP") == b"+OK\r\n"
    actions = e.receive(b"QUIT\r\n")
    assert wire(actions).startswith(b"+OK") and closes(actions)
    assert [m.data for m in drop.boxes["u"]] == [m1.replace(b"\n", b"\r\n")]
    assert drop.locked == []


def test_pop3_dropped_connection_deletes_nothing_and_unlocks():
    e, drop = pop3([b"a\n"])
    say(e, "USER u")
    say(e, "PASS p w")
    other = Pop3Engine(drop)
    say(other, "USER u")
    assert say(other, "PASS p w").startswith(b"-ERR")  # maildrop locked (RFC 1939 section 4)
    say(e, "DELE 1")
    e.connection_lost()
    assert len(drop.boxes["u"]) == 1 and drop.locked == []


def test_pop3_errors():
    e, _ = pop3([b"a\n"])
    assert say(e, "PASS x").startswith(b"-ERR")
    say(e, "USER u")
    assert say(e, "PASS wrong") == b"-ERR invalid password\r\n"
    assert say(e, "FOO").startswith(b"-ERR")
    assert say(e, "X" * 1000).startswith(b"-ERR")
    say(e, "USER u")
    say(e, "PASS p w")
    for bad in (
        "RETR",
        "RETR x",
        "RETR 0",
        "RETR 9",
        "TOP 1",
        "TOP 1 x",
        "DELE",
        "LIST 1 2",
        "USER u",
    ):
        assert say(e, bad).startswith(b"-ERR"), bad
    assert say(e, "RETR " + "1" * 50) == b"-ERR argument too long\r\n"


def test_pop3_override():
    drop = Maildrop(users={"u": "p"})
    e = Pop3Engine(
        drop, override=lambda v: Injected("-ERR", "[SYS/TEMP] busy") if v == "PASS" else None
    )
    say(e, "USER u")
    assert say(e, "PASS p") == b"-ERR [SYS/TEMP] busy\r\n"


def test_dot_stuff():
    assert dot_stuff(b".a\r\nb\r\n") == b"..a\r\nb\r\n.\r\n"
    assert dot_stuff(b"x") == b"x\r\n.\r\n"
    assert dot_stuff(b"") == b".\r\n"


def test_pop3_capa_in_both_states():
    e, _ = pop3([b"a\n"])
    expected = b"+OK Capability list follows\r\nUSER\r\nTOP\r\nUIDL\r\n.\r\n"
    assert say(e, "CAPA") == expected
    say(e, "USER u")
    say(e, "PASS p w")
    assert say(e, "CAPA") == expected


def test_smtp_postmaster_without_domain_is_accepted():
    e, store = smtp(accept=["b@y.net"])
    for line in ("HELO x", "MAIL FROM:<a@x.net>"):
        say(e, line)
    assert codes(say(e, "RCPT TO:<Postmaster>")) == [250]  # RFC 5321 4.1.1.3
    say(e, "DATA")
    e.receive(b"Subject: p\r\n\r\nhi\r\n.\r\n")
    assert [m.subject for m in store.mailboxes["postmaster"]] == ["p"]
