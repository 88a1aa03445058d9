"""FTP through the simulated network with a simulated client on the real TcpSocket API."""

from __future__ import annotations

import hashlib
import os
import random
import re

import pytest

from tests.servers.client import SERVER_IP, TcpClient, code, world

CONFIG = {
    "users": {"alice": "secret"},
    "anonymous": True,
    "files": {
        "/pub/readme.txt": "first line\nsecond line\n",
        "/pub/random.bin": {"size": 5000, "seed": 11},
    },
    "dirs": ["/upload"],
}


def connect(sim, client, port: int = 21) -> TcpClient:
    c = TcpClient(sim, client, SERVER_IP, port)
    assert c.wait_connected()
    return c


def login(c: TcpClient, user: str = "alice", password: str = "secret") -> None:
    assert code(c.reply()) == 220
    assert code(c.command(f"USER {user}")) == 331
    assert code(c.command(f"PASS {password}")) == 230


def pasv(sim, c: TcpClient, client) -> TcpClient:
    reply = c.command("PASV")
    m = re.search(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", reply)
    assert code(reply) == 227 and m, reply
    ip = ".".join(x.decode() for x in m.groups()[:4])
    port = int(m.group(5)) * 256 + int(m.group(6))
    assert ip == SERVER_IP
    data = TcpClient(sim, client, ip, port)
    assert data.wait_connected()
    return data


def retr(sim, c, client, path: str) -> tuple[bytes, bytes]:
    data = pasv(sim, c, client)
    assert code(c.command(f"RETR {path}")) == 150
    payload = data.drain_until_fin()
    return payload, c.reply()


def stor(sim, c, client, path: str, payload: bytes, verb: str = "STOR") -> bytes:
    data = pasv(sim, c, client)
    assert code(c.command(f"{verb} {path}")) == 150
    data.send(payload)
    data.close()
    return c.reply(timeout=60)


def test_full_passive_session():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    assert c.command("SYST") == b"215 UNIX Type: L8\r\n"
    assert c.command("PWD") == b'257 "/" is the current directory\r\n'
    assert code(c.command("CWD /pub")) == 250
    assert code(c.command("TYPE I")) == 200
    expected = random.Random(11).randbytes(5000)  # the documented {size, seed} recipe
    payload, done = retr(sim, c, client, "random.bin")
    assert payload == expected and code(done) == 226
    assert c.command("SIZE random.bin") == b"213 5000\r\n"
    assert c.command("MDTM random.bin") == b"213 20260101000000\r\n"
    data = pasv(sim, c, client)
    assert code(c.command("NLST")) == 150
    assert data.drain_until_fin() == b"random.bin\r\nreadme.txt\r\n"
    assert code(c.reply()) == 226
    assert code(c.command("MKD /pub/new")) == 257
    assert code(c.command("CDUP")) == 250
    assert code(c.command("RNFR /pub/readme.txt")) == 350
    assert code(c.command("RNTO /pub/new/readme.txt")) == 250
    data = pasv(sim, c, client)
    assert code(c.command("LIST /pub/new")) == 150
    listing = data.drain_until_fin().decode()
    assert listing.startswith("-rw-r--r--") and listing.endswith(" readme.txt\r\n")
    assert listing.split()[4] == str(len("first line\nsecond line\n"))
    assert code(c.reply()) == 226
    assert code(c.command("DELE /pub/new/readme.txt")) == 250
    assert code(c.command("RMD /pub/new")) == 250
    assert code(c.command("NOOP")) == 200
    assert c.command("QUIT") == b"221 Goodbye.\r\n"
    assert c.wait_closed() is not None
    assert sorted(svc.files()) == ["/pub/random.bin"]
    assert [e.direction for e in svc.log[:2]] == ["out", "in"]
    assert svc.log[0].line == "220 (simnet FTP)" and svc.log[1].line == "USER alice"
    assert svc.log[2] == (svc.log[2].t, "out", "331 Please specify the password.")
    traced = [r for r in sim.trace.records if r.source == "server.srv.ftp.21"]
    assert any(r.kind == "command" and r.fields["line"] == "SYST" for r in traced)


def test_binary_upload_download_all_256_byte_values():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    assert code(c.command("TYPE I")) == 200
    order = list(range(256))
    random.Random(2026).shuffle(order)
    original = bytes(order) * 3  # every byte value, including CR, LF, NUL and 0xFF
    assert code(stor(sim, c, client, "/upload/all.bin", original)) == 226
    info = svc.files()["/upload/all.bin"]
    assert info["bytes"] == original and info["size"] == 768
    assert info["sha256"] == hashlib.sha256(original).hexdigest()
    back, done = retr(sim, c, client, "/upload/all.bin")
    assert back == original and code(done) == 226
    assert code(stor(sim, c, client, "/upload/all.bin", b"tail", verb="APPE")) == 226
    assert svc.files()["/upload/all.bin"]["bytes"] == original + b"tail"


def test_ascii_mode_converts_line_ends_both_ways():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    assert code(c.command("TYPE A")) == 200
    payload, _ = retr(sim, c, client, "/pub/readme.txt")
    assert payload == b"first line\r\nsecond line\r\n"
    assert code(stor(sim, c, client, "/upload/t.txt", b"a\r\nb\r\n")) == 226
    assert svc.files()["/upload/t.txt"]["bytes"] == b"a\nb\n"


def test_active_mode_port_and_eprt():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    accepted: list = []
    got = bytearray()

    def on_accept(sock):
        accepted.append(sock)
        sock.on_data = lambda s: got.extend(s.recv())
        sock.on_peer_fin = lambda s: got.extend(s.recv()) if getattr(s, "readable", 0) else None

    listener = client.tcp_listen(40001, on_accept)
    h = "198,51,100,20"  # the client's address in PORT notation
    assert code(c.command(f"PORT {h},{40001 >> 8},{40001 & 255}")) == 200
    assert code(c.command("RETR /pub/random.bin")) == 150
    assert code(c.reply(timeout=30)) == 226
    sim.advance(1)
    assert bytes(got) == random.Random(11).randbytes(5000) and len(accepted) == 1
    got.clear()
    assert code(c.command("EPRT |1|198.51.100.20|40001|")) == 200
    assert code(c.command("RETR /pub/readme.txt")) == 150
    assert code(c.reply(timeout=30)) == 226
    sim.advance(1)
    assert bytes(got) == b"first line\nsecond line\n"
    listener.close()
    # nobody listens any more: the server's connect is refused -> 425
    assert code(c.command("PORT 198,51,100,20,156,65")) == 200
    assert code(c.command("RETR /pub/readme.txt")) == 150
    assert code(c.reply(timeout=120)) == 425
    # a third party's address (FTP bounce, RFC 2577) is refused
    assert c.command("PORT 198,51,100,7,0,21") == b"500 Illegal PORT command.\r\n"
    assert code(c.command("PORT 198,51,100,20,156,65")) == 200
    assert code(c.command("RETR /pub/readme.txt")) == 150
    assert code(c.reply(timeout=120)) == 425


def test_epsv():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    reply = c.command("EPSV")
    m = re.search(rb"\(\|\|\|(\d+)\|\)", reply)
    assert code(reply) == 229 and m
    data = TcpClient(sim, client, SERVER_IP, int(m.group(1)))
    assert data.wait_connected()
    assert code(c.command("RETR /pub/readme.txt")) == 150
    assert data.drain_until_fin() == b"first line\r\nsecond line\r\n"
    assert code(c.reply()) == 226


def test_malformed_input_gets_error_replies():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    assert code(c.reply()) == 220
    assert code(c.command("LIST")) == 530  # before login
    assert code(c.command("PASS x")) == 503
    c.send(b"\x00\xff\xfe garbage\r\n")
    assert code(c.reply()) == 500
    c.send(b"A" * 5000 + b"\r\n")
    assert c.reply() == b"500 Command line too long.\r\n"
    login_again = c.command("USER alice")
    assert code(login_again) == 331
    assert code(c.command("PASS secret")) == 230
    assert code(c.command("RETR")) == 501
    assert code(c.command("PORT 1,2,3")) == 501
    assert code(c.command("RNTO x")) == 503
    assert code(c.command("RETR /pub/readme.txt")) == 425  # no PASV/PORT first
    assert code(c.command("FROB")) == 500
    assert code(c.command("NOOP")) == 200  # still alive


def test_data_after_quit_is_not_answered():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    assert code(c.reply()) == 220
    c.send(b"QUIT\r\nNOOP\r\n")
    assert c.reply() == b"221 Goodbye.\r\n"
    c.wait_closed()
    sim.advance(2)
    assert bytes(c.buf) == b""
    assert [e.line for e in svc.log if e.direction == "in"] == ["QUIT"]


# -- faults ---------------------------------------------------------------------------------------
def test_fault_refuse_then_recover():
    sim, svc, client = world("ftp", CONFIG)
    svc.apply_fault("server-refuse", duration=10.0)
    c = TcpClient(sim, client, SERVER_IP, 21)
    assert not c.wait_connected()
    assert c.closed == "refused"
    sim.advance(10)
    c2 = connect(sim, client)
    assert code(c2.reply()) == 220


def test_fault_stall_accepts_but_never_answers():
    sim, svc, client = world("ftp", CONFIG)
    svc.apply_fault("server-stall")
    c = connect(sim, client)  # the stack completes the handshake
    c.line("USER alice")
    sim.advance(60)
    assert bytes(c.buf) == b"" and c.closed is None
    svc.clear_faults("stall")
    assert code(c.reply()) == 220
    assert code(c.reply()) == 331  # the queued command is processed after recovery


def test_fault_slow_greeting():
    sim, svc, client = world("ftp", CONFIG)
    svc.apply_fault("server-slow-greeting", delay=7.5)
    c = connect(sim, client)
    t0 = sim.now
    assert code(c.reply(timeout=20)) == 220
    assert sim.now - t0 >= 7.5 - 0.001


def test_fault_reply_override_next_and_every():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    svc.apply_fault("server-reply", command="CWD", code=550)
    assert c.command("CWD /pub") == b"550 Requested action not taken. File unavailable.\r\n"
    assert code(c.command("CWD /pub")) == 250  # only the next occurrence
    svc.override_reply("PWD", 451, text="local error", every=True)
    assert c.command("PWD") == b"451 local error\r\n"
    assert c.command("PWD") == b"451 local error\r\n"
    svc.clear_faults("reply")
    assert code(c.command("PWD")) == 257
    svc.apply_fault("server-reply", command="NOOP", code=421)
    assert code(c.command("NOOP")) == 421
    assert c.wait_closed() is not None


def test_fault_reset_data_connection_mid_transfer():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    svc.apply_fault("server-reset", after_bytes=1000, mode="reset", connection="data")
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    assert code(c.reply(timeout=30)) == 426
    data.wait_closed()
    assert data.closed == "reset"
    assert bytes(data.buf) == random.Random(11).randbytes(5000)[: len(data.buf)]
    assert len(data.buf) <= 1000
    assert code(c.command("NOOP")) == 200  # the control connection survives


def test_fault_close_data_connection_after_n_bytes():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    svc.reset_after(1234, mode="close", connection="data")
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    got = data.drain_until_fin()
    assert got == random.Random(11).randbytes(5000)[:1234]  # exactly N bytes, then FIN
    assert code(c.reply()) == 426


def test_fault_reset_control_connection_after_n_bytes():
    sim, svc, client = world("ftp", CONFIG)
    svc.reset_after(200, mode="reset", connection="control")
    c = connect(sim, client)
    login(c)  # about 100 bytes cross during the login dialogue
    for _ in range(20):
        c.line("NOOP")
    assert c.wait_closed() == "reset"
    # the server passed exactly 200 bytes in both directions, then reset
    crossed = svc.bytes_received + svc.bytes_sent
    assert crossed == 200
    assert len(c.buf) < 20 * len(b"200 NOOP ok.\r\n")


def test_fault_rate_limit_paces_download():
    sim, svc, client = world("ftp", {**CONFIG, "rate": "8kbps"})
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    t0 = sim.now
    payload = data.drain_until_fin(timeout=120)
    elapsed = sim.now - t0
    assert payload == random.Random(11).randbytes(5000)
    # 5000 bytes at 8000 bit/s take 5 s of pacing (the link itself is far faster)
    assert 4.8 <= elapsed <= 6.5, elapsed


# -- path traversal against a directory-backed tree ------------------------------------------------
def test_path_traversal_fails_with_550_and_touches_nothing(tmp_path):
    root = tmp_path / "ftproot"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_bytes(b"inside\n")
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_bytes(b"do not touch")
    os.symlink(sentinel, root / "link.txt")  # a symlink out of the tree is never followed
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()}
    sim, svc, client = world("ftp", {"users": {"alice": "secret"}, "directory": str(root)})
    assert sorted(svc.files()) == ["/docs/a.txt"]
    c = connect(sim, client)
    login(c)
    attempts = [
        "RETR ../sentinel.txt",
        "RETR /../sentinel.txt",
        "RETR docs/../../sentinel.txt",
        f"RETR {sentinel}",
        "RETR link.txt",
        "SIZE ../sentinel.txt",
        "MDTM /../../sentinel.txt",
        "DELE ../sentinel.txt",
        "RNFR ../sentinel.txt",
        "CWD ..",
        "CWD ../..",
        "MKD ../evil",
        "RMD ../ftproot",
        "STOR ../evil.txt",
        "APPE ../sentinel.txt",
        "STOR /../../evil.txt",
        "LIST ../",
    ]
    for line in attempts:
        assert code(c.command(line)) == 550, line
    c.send(b"RETR docs/a.txt\x00/../../sentinel.txt\r\n")
    assert code(c.reply()) == 550
    c.send(b"RETR docs\\..\\..\\sentinel.txt\r\n")
    assert code(c.reply()) == 550
    # a legitimate upload changes only the in-memory tree, never the host directory
    assert code(stor(sim, c, client, "/docs/new.txt", b"x")) == 226
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before
    assert sentinel.read_bytes() == b"do not touch"
    assert "/docs/new.txt" in svc.files()


@pytest.mark.parametrize("port_check", [True, False])
def test_module_behind_nat_passive_works_active_fails(port_check):
    """Through the carrier NAT: PASV succeeds; PORT names the module's private address, which
    the server refuses (500, RFC 2577) or, without the check, cannot reach: its connect runs out
    of SYN retries and the client gets 425."""
    from simnet.kernel import Simulation
    from simnet.net import Network
    from simnet.servers import make_service

    sim = Simulation(3)
    net = Network(sim)
    server = net.add_host("srv", SERVER_IP)
    module = net.add_module_host("mod")
    module.interface_up("10.20.0.5", [])
    svc = make_service("ftp", {**CONFIG, "port_check": port_check}, "ftp").attach(sim, server)
    c = connect(sim, module)
    login(c)
    payload, done = retr(sim, c, module, "/pub/readme.txt")
    assert payload == b"first line\r\nsecond line\r\n" and code(done) == 226
    accepted = []
    module.tcp_listen(40001, accepted.append)
    if port_check:
        assert c.command("PORT 10,20,0,5,156,65") == b"500 Illegal PORT command.\r\n"
        assert c.command("EPRT |1|10.20.0.5|40001|") == b"500 Illegal PORT command.\r\n"
    else:
        assert code(c.command("PORT 10,20,0,5,156,65")) == 200
        assert code(c.command("RETR /pub/readme.txt")) == 150
        assert code(c.reply(timeout=600)) == 425
    assert accepted == []
    assert svc.log[1].line == "USER alice" and svc.log[3].line == "PASS secret"


def test_retr_before_data_connect_and_accept_timeout():
    sim, svc, client = world("ftp", {**CONFIG, "data_timeout": "20s"})
    c = connect(sim, client)
    login(c)
    reply = c.command("PASV")
    m = re.search(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", reply)
    port = int(m.group(5)) * 256 + int(m.group(6))
    assert code(c.command("RETR /pub/readme.txt")) == 150  # the client connects only now
    data = TcpClient(sim, client, SERVER_IP, port)
    assert data.drain_until_fin() == b"first line\r\nsecond line\r\n"
    assert code(c.reply()) == 226
    # a client that never connects: the server gives up after data_timeout
    assert code(c.command("PASV")) == 227
    assert code(c.command("RETR /pub/readme.txt")) == 150
    t0 = sim.now
    assert code(c.reply(timeout=60)) == 425
    assert abs(sim.now - t0 - 20.0) < 0.1


def test_quit_during_transfer_waits_for_226():
    sim, svc, client = world("ftp", {**CONFIG, "rate": "40kbps"})
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    data = pasv(sim, c, client)
    c.line("RETR /pub/random.bin")
    c.line("QUIT")
    assert code(c.reply()) == 150
    assert code(c.reply(timeout=30)) == 226
    assert c.reply() == b"221 Goodbye.\r\n"
    assert data.drain_until_fin() == random.Random(11).randbytes(5000)


def test_upload_over_limit_gets_552_and_nothing_stored():
    sim, svc, client = world("ftp", {**CONFIG, "max_upload": 1000})
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    data = pasv(sim, c, client)
    assert code(c.command("STOR /upload/big.bin")) == 150
    data.send(b"\x00" * 5000)
    assert code(c.reply(timeout=30)) == 552
    assert data.wait_closed() == "reset"
    assert "/upload/big.bin" not in svc.files()


def test_rate_limited_upload_is_paced_and_intact():
    sim, svc, client = world("ftp", {**CONFIG, "rate": "16kbps"})
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    payload = random.Random(99).randbytes(6000)
    data = pasv(sim, c, client)
    assert code(c.command("STOR /upload/paced.bin")) == 150
    t0 = sim.now
    data.send(payload)
    data.close()
    assert code(c.reply(timeout=60)) == 226
    # the server reads 2000 bytes/s in 200-byte quanta: at least 5.9 s for 6000 bytes
    assert sim.now - t0 >= (6000 - 200) / 2000
    assert svc.files()["/upload/paced.bin"]["bytes"] == payload


def test_idle_timeout_spares_a_running_transfer():
    sim, svc, client = world("ftp", {**CONFIG, "rate": "8kbps", "idle_timeout": "2s"})
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    assert data.drain_until_fin(30) == random.Random(11).randbytes(5000)  # about 5 s
    assert code(c.reply()) == 226
    t_done = sim.now
    assert c.reply(timeout=10) == b"421 Timeout.\r\n"
    assert 1.9 <= sim.now - t_done <= 2.2


def test_two_concurrent_sessions_keep_their_own_state():
    sim, svc, client = world("ftp", CONFIG)
    a, b = connect(sim, client), connect(sim, client)
    login(a)
    login(b, "anonymous", "guest@example.net")
    assert code(a.command("CWD /upload")) == 250
    assert b.command("PWD") == b'257 "/" is the current directory\r\n'
    a.command("TYPE I")
    b.command("TYPE I")
    data_a, data_b = pasv(sim, a, client), pasv(sim, b, client)
    assert data_a.sock.remote != data_b.sock.remote  # distinct passive ports
    a.line("STOR mine.bin")
    b.line("RETR /pub/random.bin")
    assert code(a.reply()) == 150 and code(b.reply()) == 150
    data_a.send(b"A" * 20000)
    data_a.close()
    got_b = data_b.drain_until_fin()
    assert code(a.reply(timeout=30)) == 226 and code(b.reply(timeout=30)) == 226
    assert got_b == random.Random(11).randbytes(5000)
    assert svc.files()["/upload/mine.bin"]["bytes"] == b"A" * 20000
    assert code(b.command("DELE /upload/mine.bin")) == 550  # anonymous is read-only


def test_injected_completion_codes_follow_150():
    """RFC 959 section 5.4: 425/426/451/552 are completion replies, after 150."""
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    # 451 on RETR: the data flows, then 451 instead of 226
    svc.override_reply("RETR", 451)
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    assert data.drain_until_fin() == random.Random(11).randbytes(5000)
    assert c.reply() == b"451 Requested action aborted: local error in processing.\r\n"
    # 426 on RETR: the data connection is reset
    svc.override_reply("RETR", 426)
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    assert data.wait_closed() == "reset"
    assert code(c.reply()) == 426
    # 425 on RETR: no data connection is ever used
    svc.override_reply("RETR", 425)
    data = pasv(sim, c, client)
    assert code(c.command("RETR /pub/random.bin")) == 150
    assert code(c.reply()) == 425
    assert data.wait_closed() == "reset" and bytes(data.buf) == b""
    # 552 on STOR: the upload is received, then refused, and nothing is stored
    svc.override_reply("STOR", 552, text="Quota exceeded.")
    assert stor(sim, c, client, "/upload/q.bin", b"q" * 3000) == b"552 Quota exceeded.\r\n"
    assert "/upload/q.bin" not in svc.files()
    # 550 on RETR is a preliminary-level refusal: no 150 at all
    svc.override_reply("RETR", 550)
    assert code(c.command("RETR /pub/random.bin")) == 550
    assert code(c.command("NOOP")) == 200


def test_upload_bytes_sent_before_stor_are_not_lost():
    sim, svc, client = world("ftp", CONFIG)
    c = connect(sim, client)
    login(c)
    c.command("TYPE I")
    data = pasv(sim, c, client)
    payload = bytes(range(256)) * 10
    data.send(payload)  # the client starts sending before the server saw STOR
    sim.advance(2)
    assert code(c.command("STOR /upload/early.bin")) == 150
    data.close()
    assert code(c.reply(timeout=30)) == 226
    assert svc.files()["/upload/early.bin"]["bytes"] == payload
