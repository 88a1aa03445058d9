"""PPP negotiations written to pcap (DLT_PPP) read back with scapy in the right order."""

from __future__ import annotations

from pathlib import Path

from scapy.layers.ppp import PPP, PPP_PAP_Response
from scapy.utils import PcapReader, rdpcap

from simnet.bearer import OutcomeKind
from simnet.bearer.ppp import DLT_PPP, BytePipe, PppCapture, PppConfig, PppFault, PppSession
from simnet.kernel import Simulation


def negotiate(auth: str, fault: PppFault | None, path: Path):
    sim = Simulation(3)
    cap = PppCapture()
    client = PppConfig(username="user", password="secret", auth="any")
    server = PppConfig(role="server", auth=auth, local_ip="10.0.0.1", peer_ip="10.64.0.9",
                       dns=("10.0.0.53",), credentials=(("user", "secret"),), fault=fault)
    s = PppSession(
        sim, client, server, pipe=BytePipe(sim, rate_bps=9600, delay=0.1), capture=cap
    ).start()
    sim.advance(60)
    assert cap.write(str(path)) == len(cap.frames)
    return s, rdpcap(str(path))


PROTO_NAMES = {0xC021: "LCP", 0xC023: "PAP", 0xC223: "CHAP", 0x8021: "IPCP"}


def kinds(packets) -> list[str]:
    """Protocol and code of each frame, as scapy decodes them (PPP layer + its payload)."""
    out = []
    for p in packets:
        ppp = p[PPP]
        out.append(f"{PROTO_NAMES.get(ppp.proto, '?')}{ppp.payload.code}")
    return out


def test_successful_pap_negotiation_pcap(tmp_path: Path) -> None:
    s, pkts = negotiate("pap", None, tmp_path / "ok.pcap")
    assert s.result.value.kind == OutcomeKind.OK
    with PcapReader(str(tmp_path / "ok.pcap")) as reader:
        assert reader.linktype == DLT_PPP
    seq = kinds(pkts)
    assert "?" not in seq
    # LCP first (requests and acks), then PAP request/ack, then IPCP; never interleaved back
    first_pap, first_ipcp = seq.index("PAP1"), seq.index("IPCP1")
    assert all(k.startswith("LCP") for k in seq[:first_pap])
    assert seq[first_pap : first_pap + 2] == ["PAP1", "PAP2"]
    assert all(k.startswith("IPCP") for k in seq[first_ipcp:])
    assert seq[:first_pap].count("LCP1") == 2 and seq[:first_pap].count("LCP2") == 2
    assert seq.count("IPCP3") == 1  # the server's Nak with the assigned address
    times = [float(p.time) for p in pkts]
    assert times == sorted(times)


def test_successful_chap_negotiation_pcap(tmp_path: Path) -> None:
    s, pkts = negotiate("chap", None, tmp_path / "chap.pcap")
    seq = kinds(pkts)
    i = seq.index("CHAP1")
    assert seq[i : i + 3] == ["CHAP1", "CHAP2", "CHAP3"]  # challenge, response, success
    assert seq.index("IPCP1") > i + 2


def test_failed_negotiation_pcap(tmp_path: Path) -> None:
    s, pkts = negotiate("pap", PppFault("auth", "reject"), tmp_path / "fail.pcap")
    assert s.result.value.kind == OutcomeKind.AUTH_FAILED
    seq = kinds(pkts)
    # PAP request, PAP Nak, then the link is terminated (LCP Terminate-Request/Ack); no IPCP
    i = seq.index("PAP1")
    assert seq[i : i + 2] == ["PAP1", "PAP3"]
    assert "LCP5" in seq[i + 2 :] and "LCP6" in seq[i + 2 :]
    assert not any(k.startswith("IPCP") for k in seq)
    nak = pkts[i + 1][PPP_PAP_Response]
    assert nak.code == 3
