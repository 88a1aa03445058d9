"""Checks on an IP capture point, decoded by scapy (a decoder nobody here wrote).

``{pcap: core-outside, to: echo.example.net, distinct_sources: 2}`` passes when the packets
towards that host in the capture come from exactly that many (address, port) pairs - the way
to show a carrier NAT giving a flow a new public port, which only the outside capture reveals.
"""

from __future__ import annotations

from typing import Any

from simnet.scenario.schema import CAPTURE_POINTS

CAPTURE_CHECK_KEYS = (
    "pcap",
    "to",
    "distinct_sources",
)  # all required (also the source of simnet schema)


def validate_capture_check(
    v: Any, path: tuple[Any, ...], raw: dict[str, Any], hosts: list[str]
) -> dict[str, Any] | None:
    m = v.mapping(path, raw, CAPTURE_CHECK_KEYS, required=CAPTURE_CHECK_KEYS)
    if m is None or not all(k in m for k in ("pcap", "to", "distinct_sources")):
        return None
    params: dict[str, Any] = {
        "pcap": v.choice((*path, "pcap"), m["pcap"], (*CAPTURE_POINTS, *hosts)),
        "to": v.choice((*path, "to"), m["to"], tuple(hosts)),
        "distinct_sources": v.integer(
            (*path, "distinct_sources"),
            m["distinct_sources"],
            0,
            65535,
            what="a number of source endpoints",
        ),
    }
    return params if all(value is not None for value in params.values()) else None


def check_capture(sim: Any, params: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """Write the capture point, read it back with scapy and count the (address, port) pairs
    sending TCP or UDP to the host."""
    import os
    import tempfile

    from scapy.layers.inet import IP, TCP, UDP
    from scapy.utils import rdpcap

    world = sim.world
    target_ip = world.host_ip(params["to"])
    fd, path = tempfile.mkstemp(suffix=".pcap")
    os.close(fd)
    try:
        written = world.save_capture(params["pcap"], path)
        packets: Any = rdpcap(path) if written else []
    finally:
        os.unlink(path)
    sources: dict[str, None] = {}
    for pkt in packets:
        if IP in pkt and pkt[IP].dst == target_ip:
            layer = pkt[TCP] if TCP in pkt else pkt[UDP] if UDP in pkt else None
            if layer is not None:
                sources[f"{pkt[IP].src}:{layer.sport}"] = None
    found = list(sources)
    actual = {"distinct_sources": len(found), "sources": found, "packets": len(packets)}
    want = params["distinct_sources"]
    passed = len(found) == want
    detail = (
        f"{len(found)} source(s) towards {params['to']} in {params['pcap']}: "
        f"{', '.join(found) or 'none'}"
        + ("" if passed else f" (expected {want})")
    )
    return passed, detail, actual


__all__ = ["check_capture", "validate_capture_check"]
