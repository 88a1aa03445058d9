"""Pure helpers: hex payloads (§1.1.6.4, §1.1.9.4), address forms (§1.1.2.4), NTP packets."""

import struct

from simnet.modem.addresses import is_dotted_quad as is_ipv4
from simnet.modem.addresses import is_sendable_name as is_hostname
from simnet.modem.addresses import normalise_ipv4
from simnet.modem.ntp_client import (
    NTP_UNIX_OFFSET,
    ntp_offset,
    ntp_reply_times,
    ntp_reply_times_origin,
    ntp_request,
)
from simnet.modem.vendors.fibocom.hexdata import decode_hex, encode_hex


def test_hex_round_trip_and_rejects() -> None:
    assert decode_hex("48656c6C6F") == b"Hello"
    assert decode_hex("4") is None and decode_hex("4G") is None
    assert encode_hex(b"\x00\xff\x0a") == "00FF0A"


def test_ipv4_forms() -> None:
    assert is_ipv4("1.2.3.4") and is_ipv4("010.001.002.255")
    assert not is_ipv4("1.2.3.256") and not is_ipv4("1.2.3") and not is_ipv4("a.b.c.d")
    assert normalise_ipv4("010.001.002.255") == "10.1.2.255"
    assert is_hostname("echo.example.net") and not is_hostname("") and not is_hostname("a b")
    assert not is_hostname("x" * 256)


def test_ntp_request_and_reply_timestamps() -> None:
    t1 = 1767225600.25
    req = ntp_request(t1)
    assert len(req) == 48 and req[0] & 0x7 == 3 and (req[0] >> 3) & 0x7 == 4  # client, NTPv4
    secs, frac = struct.unpack("!II", req[40:48])
    assert secs == int(t1) + NTP_UNIX_OFFSET and frac == 1 << 30  # .25 s = 2^30 / 2^32
    assert ntp_reply_times_origin(req) == t1
    reply = bytearray(48)
    reply[0] = (4 << 3) | 4  # NTPv4 server
    reply[1] = 2
    reply[24:32] = req[40:48]  # originate = our transmit
    reply[32:40] = struct.pack("!II", int(t1) + 10 + NTP_UNIX_OFFSET, 0)
    reply[40:48] = struct.pack("!II", int(t1) + 10 + NTP_UNIX_OFFSET, 1 << 31)
    t_orig, t2, t3 = ntp_reply_times(bytes(reply))
    assert (t_orig, t2, t3) == (t1, int(t1) + 10.0, int(t1) + 10.5)
    # RFC 5905 §8 by hand, T4 = T1 + 1: ((610 - 600.25) + (610.5 - 601.25)) / 2 = 9.5
    assert ntp_offset(t1, t2, t3, t1 + 1.0) == ((t2 - t1) + (t3 - (t1 + 1.0))) / 2 == 9.5
    reply[1] = 0  # kiss-o'-death
    assert ntp_reply_times(bytes(reply)) is None
