"""SMTP and POP3 through the simulated network with a simulated client."""

from __future__ import annotations

import base64

import pytest

from tests.servers.client import SERVER_IP, TcpClient, code, world

BODY_LINES = ["Hello,", ".", ". starts with a dot", "..two dots", "", ".", "end"]


def dot_stuff(lines: list[str]) -> bytes:
    """The client side of RFC 5321 section 4.5.2, written independently of the server code."""
    return b"".join((("." + ln) if ln.startswith(".") else ln).encode() + b"\r\n" for ln in lines)


def smtp_client(sim, client, port=25) -> TcpClient:
    c = TcpClient(sim, client, SERVER_IP, port)
    assert c.wait_connected()
    return c


def test_smtp_full_session_with_auth_and_dot_lines():
    sim, svc, client = world(
        "smtp", {"users": {"bob": "pw"}, "auth_required": True, "domain": "mx.test"}
    )
    c = smtp_client(sim, client)
    assert c.reply() == b"220 mx.test ESMTP simnet\r\n"
    ehlo = c.command("EHLO module")
    assert b"250 AUTH LOGIN PLAIN\r\n" in ehlo and ehlo.startswith(b"250-mx.test Hello module\r\n")
    assert code(c.command("MAIL FROM:<bob@mx.test>")) == 530
    assert code(c.command("AUTH PLAIN " + base64.b64encode(b"\0bob\0pw").decode())) == 235
    assert c.command("MAIL FROM:<bob@mx.test>") == b"250 OK\r\n"
    assert c.command("RCPT TO:<alice@example.net>") == b"250 OK\r\n"
    assert c.command("RCPT TO:<carol@example.net>") == b"250 OK\r\n"
    assert code(c.command("DATA")) == 354
    headers = [
        "From: Bob <bob@mx.test>",
        "To: alice@example.net",
        "Cc: carol@example.net",
        "Subject: dots",
        "",
    ]
    c.send(dot_stuff(headers + BODY_LINES) + b".\r\n")
    assert code(c.reply()) == 250
    assert c.command("QUIT") == b"221 Bye\r\n"
    c.wait_closed()
    (msg,) = svc.mailbox("alice@example.net")
    assert msg["subject"] == "dots" and msg["from"] == "Bob <bob@mx.test>"
    assert msg["to"] == "alice@example.net" and msg["cc"] == "carol@example.net"
    assert msg["body"] == "\n".join(BODY_LINES) + "\n"  # every dot line intact
    assert svc.mailbox("carol@example.net") == [msg]
    raw = svc.raw_messages("alice@example.net")[0]
    assert raw.split(b"\r\n\r\n", 1)[1] == "\r\n".join(BODY_LINES).encode() + b"\r\n"
    assert [e.line for e in svc.log if e.direction == "in"][:3] == [
        "EHLO module",
        "MAIL FROM:<bob@mx.test>",
        "AUTH PLAIN " + base64.b64encode(b"\0bob\0pw").decode(),
    ]


def test_smtp_auth_login_and_errors():
    sim, svc, client = world("smtp", {"users": {"bob": "pw"}, "mailboxes": ["alice@example.net"]})
    c = smtp_client(sim, client)
    c.reply()
    assert code(c.command("MAIL FROM:<x@y.z>")) == 503  # before HELO
    assert code(c.command("HELO")) == 501
    assert code(c.command("HELO m")) == 250
    assert c.command("AUTH LOGIN") == b"334 VXNlcm5hbWU6\r\n"
    assert c.command(base64.b64encode(b"bob").decode()) == b"334 UGFzc3dvcmQ6\r\n"
    assert code(c.command(base64.b64encode(b"bad").decode())) == 535
    assert code(c.command("RCPT TO:<alice@example.net>")) == 503
    assert code(c.command("MAIL FROM x")) == 501
    c.command("MAIL FROM:<x@y.z>")
    assert code(c.command("RCPT TO:<nobody@example.net>")) == 550
    assert code(c.command("DATA")) == 554
    c.send(b"\x01\x02\xff\r\n")
    assert code(c.reply()) == 500
    c.send(b"N" * 3000 + b"\r\n")
    assert c.reply() == b"500 Line too long\r\n"
    assert code(c.command("RSET")) == 250
    assert code(c.command("VRFY alice")) == 252
    assert code(c.command("NOOP")) == 250
    assert svc.mailboxes() == {}


@pytest.mark.parametrize(
    ("command", "code_"), [("MAIL", 451), ("RCPT", 452), ("DATA", 554), ("AUTH", 535)]
)
def test_smtp_reply_override(command, code_):
    sim, svc, client = world("smtp", {"users": {"bob": "pw"}})
    svc.apply_fault("server-reply", command=command, code=code_)
    c = smtp_client(sim, client)
    c.reply()
    c.command("EHLO m")
    steps = {
        "AUTH": "AUTH PLAIN " + base64.b64encode(b"\0bob\0pw").decode(),
        "MAIL": "MAIL FROM:<a@b.c>",
        "RCPT": "RCPT TO:<d@e.f>",
        "DATA": "DATA",
    }
    for verb in ("AUTH", "MAIL", "RCPT", "DATA"):
        reply = c.command(steps[verb])
        if verb == command == "DATA":
            # RFC 5321 section 4.3.2: 554 comes after the message text, which is then dropped
            assert code(reply) == 354
            c.send(b"Subject: s\r\n\r\nbody\r\n.\r\n")
            assert code(c.reply()) == code_
            break
        if verb == command:
            assert code(reply) == code_
            break
    assert svc.mailboxes() == {}


def test_smtp_421_closes_and_faults_refuse_stall_greeting_reset():
    sim, svc, client = world("smtp", {})
    svc.apply_fault("server-reply", command="HELO", code=421)
    c = smtp_client(sim, client)
    c.reply()
    assert code(c.command("HELO m")) == 421
    assert c.wait_closed() is not None
    svc.apply_fault("server-slow-greeting", delay=12)
    c = smtp_client(sim, client)
    t0 = sim.now
    assert code(c.reply(timeout=30)) == 220 and sim.now - t0 >= 12 - 1e-3
    svc.clear_faults()
    svc.apply_fault("server-stall", duration=20)
    c = smtp_client(sim, client)
    sim.advance(10)
    assert bytes(c.buf) == b""
    assert code(c.reply(timeout=30)) == 220
    svc.apply_fault("server-refuse")
    c = TcpClient(sim, client, SERVER_IP, 25)
    assert not c.wait_connected() and c.closed == "refused"
    svc.clear_faults()
    svc.apply_fault("server-reset", after_bytes=40, mode="close")
    c = smtp_client(sim, client)
    c.reply()
    c.line("EHLO m")
    assert c.wait_closed() is not None
    assert c.peer_fin


def pop3_config():
    return {
        "users": {"u": "pass word"},
        "mailboxes": {
            "u": [
                {"from": "a@x.net", "to": "u@y.net", "subject": "one", "body": "hi\n.\n.dot\n"},
                "Subject: two\n\nsecond\n",
                {"subject": "three", "body": "x", "uid": "fixed-uid"},
            ]
        },
    }


def pop_multiline(c: TcpClient) -> tuple[bytes, bytes]:
    status = c.pop_line()
    if not status.startswith(b"+OK"):
        return status, b""
    data = c.wait_for(rb"\r\n\.\r\n")
    # undo byte-stuffing as a client does (RFC 1939 section 3)
    lines = (b"\r\n" + data[: -len(b".\r\n")]).split(b"\r\n")[1:-1]
    return status, b"".join((ln[1:] if ln.startswith(b".") else ln) + b"\r\n" for ln in lines)


def test_pop3_full_session_dot_stuffing_and_update():
    sim, svc, client = world("pop3", pop3_config())
    c = TcpClient(sim, client, SERVER_IP, 110)
    assert c.wait_connected()
    assert c.pop_line() == b"+OK simnet POP3 server ready\r\n"
    c.line("USER u")
    assert c.pop_line() == b"+OK u is a valid mailbox\r\n"
    c.line("PASS pass word")
    assert c.pop_line().startswith(b"+OK u's maildrop has 3 messages")
    one = b"From: a@x.net\r\nTo: u@y.net\r\nSubject: one\r\n\r\nhi\r\n.\r\n.dot\r\n"
    c.line("STAT")
    size2 = len(b"Subject: two\r\n\r\nsecond\r\n")
    size3 = len(b"Subject: three\r\n\r\nx\r\n")
    assert c.pop_line() == f"+OK 3 {len(one) + size2 + size3}\r\n".encode()
    c.line("RETR 1")
    status, body = pop_multiline(c)
    assert status == f"+OK {len(one)} octets\r\n".encode() and body == one
    c.line("UIDL 3")
    assert c.pop_line() == b"+OK 3 fixed-uid\r\n"
    c.line("TOP 1 1")
    assert pop_multiline(c)[1] == b"From: a@x.net\r\nTo: u@y.net\r\nSubject: one\r\n\r\nhi\r\n"
    c.line("LIST")
    assert pop_multiline(c)[1] == f"1 {len(one)}\r\n2 {size2}\r\n3 {size3}\r\n".encode()
    c.line("DELE 2")
    assert c.pop_line() == b"+OK message 2 deleted\r\n"
    assert len(svc.mailbox("u")) == 3  # still there before QUIT
    c.line("NOOP")
    assert c.pop_line() == b"+OK\r\n"
    c.line("QUIT")
    assert c.pop_line().startswith(b"+OK")
    c.wait_closed()
    assert [m["subject"] for m in svc.mailbox("u")] == ["one", "three"]
    assert svc.mailbox("u")[0]["body"] == "hi\n.\n.dot\n"


def test_pop3_drop_without_quit_keeps_messages():
    sim, svc, client = world("pop3", pop3_config())
    c = TcpClient(sim, client, SERVER_IP, 110)
    c.wait_connected()
    c.pop_line()
    c.line("USER u")
    c.line("PASS pass word")
    c.line("DELE 1")
    c.wait_for(rb"deleted\r\n")
    c.sock.abort()
    sim.advance(2)
    assert len(svc.mailbox("u")) == 3
    c2 = TcpClient(sim, client, SERVER_IP, 110)
    c2.wait_connected()
    c2.pop_line()
    c2.line("USER u")
    c2.pop_line()
    c2.line("PASS pass word")
    assert c2.pop_line().startswith(b"+OK")  # the lock was released


def test_pop3_errors_and_faults():
    sim, svc, client = world("pop3", pop3_config())
    c = TcpClient(sim, client, SERVER_IP, 110)
    c.wait_connected()
    c.pop_line()
    for bad in ("STAT", "RETR 1", "PASS x", "GARBAGE", "USER nobody"):
        c.line(bad)
        assert c.pop_line().startswith(b"-ERR"), bad
    c.send(b"Z" * 1000 + b"\r\n")
    assert c.pop_line() == b"-ERR line too long\r\n"
    svc.apply_fault("server-reply", command="PASS", code="-ERR")
    c.line("USER u")
    c.pop_line()
    c.line("PASS pass word")
    assert c.pop_line() == b"-ERR injected failure\r\n"
    c.line("USER u")
    c.pop_line()
    c.line("PASS pass word")
    assert c.pop_line().startswith(b"+OK")
    svc.apply_fault("server-reply", command="RETR", code=550, text="[IN-USE] try later")
    c.line("RETR 1")
    assert c.pop_line() == b"-ERR [IN-USE] try later\r\n"
    c.line("RETR 99")
    assert c.pop_line() == b"-ERR no such message\r\n"
    svc.reset_after(0, mode="reset")
    assert c.wait_closed() == "reset"


def test_summaries_count_messages():
    sim, smtp, client = world("smtp", {})
    c = smtp_client(sim, client)
    c.reply()
    for line in ("HELO m", "MAIL FROM:<a@b.c>", "RCPT TO:<x@y.z>", "DATA"):
        c.command(line)
    c.send(b"Subject: s\r\n\r\nhi\r\n.\r\n")
    c.reply()
    summary = smtp.summary()
    assert summary["messages"] == {"x@y.z": 1} and summary["connections"] == 1
    assert summary["bytes_received"] == len(
        b"HELO m\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\nSubject: s\r\n\r\nhi\r\n.\r\n"
    )
    _, pop, _ = world("pop3", pop3_config())
    assert pop.summary()["messages"] == {"u": 3}
