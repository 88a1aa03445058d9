"""Peers that write digits other than 0-9 where a number goes ('¹' is U+00B9: str.isdigit
takes it, int refuses it) get the protocol's syntax error, not a server crash."""

from __future__ import annotations

from tests.servers.engine_util import codes, wire
from tests.servers.test_ftp_engine import make_engine
from tests.servers.test_mail_engines import pop3, say, smtp


def test_pop3_message_numbers_in_superscript_are_refused():
    e, _ = pop3([b"Subject: one\n\nhello\n"])
    wire(e.start())
    say(e, "USER u")
    say(e, "PASS p w")
    assert say(e, "RETR \u00b9").startswith(b"-ERR")  # RFC 1939 §6: -ERR for a bad argument
    assert say(e, "TOP 1 \u00b9").startswith(b"-ERR")
    assert say(e, "NOOP") == b"+OK\r\n"


def test_ftp_port_and_eprt_with_superscript_digits_are_illegal():
    e = make_engine()
    wire(e.start())
    say(e, "USER alice")
    say(e, "PASS secret")
    assert codes(say(e, "PORT 10,0,0,\u00b2,4,1")) == [501]  # RFC 959 §4.2: 501 syntax error
    assert codes(say(e, "EPRT |1|10.0.0.\u00b2|1025|")) == [501]
    assert codes(say(e, "EPRT |1|10.0.0.2|1\u00b9|")) == [501]
    assert codes(say(e, "NOOP")) == [200]


def test_smtp_size_in_superscript_is_a_syntax_error():
    e, _ = smtp()
    wire(e.start())
    say(e, "EHLO host")
    assert codes(say(e, "MAIL FROM:<a@b.c> SIZE=\u00b9\u00b2")) == [501]  # RFC 1870 §6
    assert codes(say(e, "NOOP")) == [250]
