"""Each check type (file sha256/size/text/exists, service bytes_received, mailbox count/subject
for SMTP and POP3) passes when the peer state matches and fails, saying why, when it does not.
Expected values are computed here from the scenario's own inputs (file contents from the
documented generator, hashes with hashlib), never read back from the code under test."""

from __future__ import annotations

import hashlib
import random

import simnet

STEPS = [{"send": "AT"}, {"expect": "OK"}]


def scenario(hosts: dict, checks: list) -> dict:
    return {
        "name": "checks",
        "module": "simcom-sim7600",
        "hosts": hosts,
        "steps": STEPS,
        "checks": checks,
    }


def results(sim: simnet.Simulation) -> list[tuple[bool, str]]:
    run = sim.run_scenario()
    assert all(s.passed for s in run.steps)
    return [(c.passed, c.detail) for c in run.checks]


def test_service_bytes_received():
    hosts = {
        "echo.example.net": {"ip": "203.0.113.10", "services": [{"type": "udp-echo", "port": 7}]}
    }
    checks = [
        {"host": "echo.example.net", "service": "udp-echo", "bytes_received": 11},
        {"host": "echo.example.net", "port": 7, "bytes_received": 11},
        {"host": "echo.example.net", "service": "udp-echo", "bytes_received": 12},
    ]
    sim = simnet.Simulation.from_dict(scenario(hosts, checks))
    client = sim.network.add_host("client", "192.0.2.50")
    sock = client.udp_bind(0)
    sock.sendto(b"hello", ("203.0.113.10", 7))
    sock.sendto(b"world!", ("203.0.113.10", 7))
    sim.advance(1.0)
    got = results(sim)
    assert got[0] == (True, "bytes_received 11")  # 5 + 6 bytes sent above
    assert got[1][0] is True
    assert got[2] == (False, "bytes_received is 11, expected 12")


def test_ftp_file_checks():
    data = random.Random(3).randbytes(20000)  # the documented {size, seed} content
    hosts = {
        "ftp.example.net": {
            "ip": "203.0.113.20",
            "services": [
                {
                    "type": "ftp",
                    "port": 21,
                    "users": {"demo": "secret"},
                    "files": {
                        "/pub/data.bin": {"size": 20000, "seed": 3},
                        "/pub/hello.txt": {"text": "hello\n"},
                    },
                }
            ],
        }
    }
    checks = [
        {
            "host": "ftp.example.net",
            "file": "/pub/data.bin",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        {"host": "ftp.example.net", "file": "/pub/data.bin", "size": 20000},
        {"host": "ftp.example.net", "file": "/pub/hello.txt", "text": "hello\n"},
        {"host": "ftp.example.net", "file": "/pub/hello.txt", "text": "goodbye\n"},
        {"host": "ftp.example.net", "file": "/upload/report.log", "size": 1},
        {"host": "ftp.example.net", "file": "/upload/report.log", "exists": False},
        {"host": "ftp.example.net", "file": "/pub/data.bin", "sha256": "0" * 64},
    ]
    sim = simnet.Simulation.from_dict(scenario(hosts, checks))
    files = sim.host("ftp.example.net").ftp_files()
    assert files == {"/pub/data.bin": data, "/pub/hello.txt": b"hello\n"}
    got = results(sim)
    assert [p for p, _ in got] == [True, True, True, False, False, True, False]
    assert "text is 'hello\\n', expected 'goodbye\\n'" in got[3][1]
    assert got[4][1] == "/upload/report.log: /upload/report.log does not exist on ftp.example.net"
    assert f"sha256 is '{hashlib.sha256(data).hexdigest()}'" in got[6][1]


def test_pop3_mailbox_checks():
    hosts = {
        "mail.example.net": {
            "ip": "203.0.113.30",
            "services": [
                {
                    "type": "pop3",
                    "port": 110,
                    "users": {"ops": "pw"},
                    "mailboxes": {
                        "ops": [
                            {"from": "a@example.net", "subject": "Alarm: pump 3", "body": "hot\n"},
                            {"from": "b@example.net", "subject": "Daily report", "body": "ok\n"},
                        ]
                    },
                }
            ],
        }
    }
    checks = [
        {"host": "mail.example.net", "mailbox": "ops", "count": 2},
        {"host": "mail.example.net", "mailbox": "ops", "service": "pop3", "subject": "Alarm"},
        {"host": "mail.example.net", "mailbox": "ops", "count": 1},
        {"host": "mail.example.net", "mailbox": "ops", "subject": "Fire"},
        {"host": "mail.example.net", "mailbox": "ops", "body": "hot"},
    ]
    sim = simnet.Simulation.from_dict(scenario(hosts, checks))
    view = sim.host("mail.example.net")
    assert [m["subject"] for m in view.mailbox("ops")] == ["Alarm: pump 3", "Daily report"]
    assert list(view.mailboxes()) == ["ops"] and view.messages("ops") == view.mailbox("ops")
    got = results(sim)
    assert [p for p, _ in got] == [True, True, False, False, True]
    assert "2 messages, expected 1" in got[2][1]


def test_smtp_mailbox_check_after_delivery():
    hosts = {"mail.example.net": {"ip": "203.0.113.30", "services": [{"type": "smtp", "port": 25}]}}
    checks = [
        {"host": "mail.example.net", "mailbox": "ops@example.net", "count": 1, "subject": "Alarm"},
        {"host": "mail.example.net", "mailbox": "ops@example.net", "service": "smtp", "count": 0},
    ]
    sim = simnet.Simulation.from_dict(scenario(hosts, checks))
    client = sim.network.add_host("client", "192.0.2.50")
    sock = client.tcp_connect("203.0.113.30", 25)
    script = (
        b"HELO client\r\nMAIL FROM:<dev@example.net>\r\nRCPT TO:<ops@example.net>\r\nDATA\r\n"
        b"Subject: Alarm 7\r\n\r\n.hello\r\n.\r\nQUIT\r\n"
    )
    sock.on_connected = lambda s: s.send(script)
    sim.advance(10.0)
    got = results(sim)
    assert got[0][0] is True, got[0]
    assert got[1] == (False, "ops@example.net: 1 messages, expected 0")
