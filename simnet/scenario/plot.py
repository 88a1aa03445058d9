"""Sequence charts of a trace: lanes DTE | module | network | peers, time running downwards.

AT command lines (DTE -> module) and module output lines (module -> DTE) come from the UART
records (``uart``, kinds ``dte>`` / ``dte<``), joined into lines. Packets come from link
records (kind ``pkt``, ``ev`` tx/rx): each hop is an arrow from the send instant to the arrival
instant, between the lanes of the hop's ends; a packet the link dropped (a ``drop`` record) is a
red half arrow, one still on its way when the trace ends a grey one labelled "in flight". Binary
UART data (PPP frames, raw socket bytes) is drawn per burst: chunks in one direction with less
than ``BURST_GAP`` between them are one arrow, on one row. Faults (kind ``fault``, and link
outages) are red bands across every lane; NAT events (kind ``nat``: mapping created, expired,
RST sent, packet dropped) are marks on the network lane and radio-state events (RRC state,
periodic TAU, PSM/eDRX grants, radio link failure, re-establishment, coverage back, packets the
radio could not take) marks on the module lane. The vertical axis is ordered by virtual time;
each distinct instant gets its own row (labelled with the time) so that bursts inside a
millisecond stay readable.

matplotlib is imported here only, and only when a chart is drawn.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simnet.kernel.trace import TraceRecord
from simnet.net.packet import summary_fields

LINE_GAP = 0.05  # s: a partial line older than this is drawn on its own
BURST_GAP = 0.2  # s: binary UART chunks closer than this in one direction are one burst
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7e-\xff]")  # not text (PPP flag 0x7e too)


@dataclass
class Arrow:
    t0: float
    t1: float
    src: str
    dst: str
    label: str
    style: str  # at | urc | pkt | lost | inflight


@dataclass
class Mark:
    t: float
    label: str
    kind: str = "fault"


# radio-state records (simnet.bearer.rrc / radio) drawn as marks on the module lane
_RADIO_KINDS = {
    "rrc",
    "tau",
    "psm",
    "edrx",
    "radio_link_failure",
    "reestablishment",
    "coverage_return",
}


def _radio_label(r: TraceRecord) -> str | None:
    f = r.fields
    if r.kind == "rrc":
        return f"RRC {f.get('state')} ({f.get('cause')})"
    if r.kind == "tau":
        return "periodic TAU" if f.get("periodic") else "TAU"
    if r.kind == "psm":
        return (
            f"PSM T3412={f.get('t3412')} s T3324={f.get('t3324')} s"
            if f.get("granted")
            else "PSM off"
        )
    if r.kind == "edrx":
        return f"eDRX cycle {f.get('cycle')} s" if f.get("cycle") else "eDRX off"
    if r.kind == "radio_link_failure":
        return "radio link failure"
    if r.kind == "reestablishment":
        return f"RRC re-establishment ({f.get('delay')} s)"
    if r.kind == "coverage_return":
        return "coverage back"
    return None


def _nat_label(r: TraceRecord) -> str:
    f = r.fields
    event = f.get("event")
    if event in ("create", "expire"):
        what = f"NAT {event} {f.get('mapping', '')}"
        return what + (f" ({f['reason']})" if event == "expire" and f.get("reason") else "")
    if event == "rst":
        return "NAT RST " + _packet_label(str(f.get("pkt", "")))
    return f"NAT drop ({f.get('reason')}) " + _packet_label(str(f.get("pkt", "")))


def _bytes_of(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            return value.encode("latin-1", "replace")
    return b""


def _printable(data: bytes, limit: int = 40) -> str:
    text = data.decode("latin-1")
    text = "".join(ch if 32 <= ord(ch) < 127 else "." for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def extract(records: Iterable[TraceRecord]) -> tuple[list[str], list[Arrow], list[Mark]]:
    """Turn trace records into lanes, arrows and fault marks (pure; tested without matplotlib)."""
    records = list(records)
    peers: dict[str, str] = {}  # ip -> host name
    module_names: set[str] = set()
    radio_links: set[str] = set()
    for r in records:
        if r.source == "scenario" and r.kind == "world":
            for name, ip in dict(r.fields.get("hosts", {})).items():
                peers[str(ip)] = str(name)
            module_names.add(str(r.fields.get("module_host", "")))
            radio_links.update(str(x) for x in r.fields.get("radio_links", []))
    lanes = [
        "DTE",
        "module",
        "network",
        *sorted(set(peers.values()), key=list(peers.values()).index),
    ]

    def lane_of_ip(ip: str) -> str:
        return peers.get(ip, "network")

    arrows: list[Arrow] = []
    marks: list[Mark] = []
    buf = {"dte>": b"", "dte<": b""}
    bursts: dict[str, _Burst] = {}
    pending: dict[tuple[str, str], float] = {}
    last_command = b""
    buf_t = {"dte>": 0.0, "dte<": 0.0}
    writes: list[int] = []  # sizes of the runner's sends not yet seen on the UART
    last_dte_t = 0.0
    for r in records:
        if r.source == "runner" and r.kind == "step" and "size" in r.fields:
            writes.append(int(r.fields["size"]))
            continue
        if r.kind == "dte>" and writes:
            # A scenario run: cut the host's bytes per write (data after a prompt has no CR).
            buf["dte>"] += _bytes_of(r.fields.get("data", b""))
            while writes and len(buf["dte>"]) >= writes[0]:
                n = writes.pop(0)
                chunk, buf["dte>"] = buf["dte>"][:n], buf["dte>"][n:]
                chunk = chunk.rstrip(b"\r")
                if chunk:
                    last_command = chunk
                    arrows.append(Arrow(r.t, r.t, "DTE", "module", _printable(chunk), "at"))
            continue
        if (
            r.kind == "dte<"
            and buf["dte>"]
            and not writes
            and _bytes_of(r.fields.get("data", b"")) not in buf["dte>"]
        ):  # an echo is not an answer
            # Host bytes without a CR (data after a prompt): they ended when the module spoke.
            arrows.append(
                Arrow(last_dte_t, last_dte_t, "DTE", "module", _printable(buf["dte>"]), "at")
            )
            last_command, buf["dte>"] = buf["dte>"], b""
        if r.kind == "dte>":
            last_dte_t = r.t
        if r.kind in ("dte>", "dte<"):
            src, dst, style = (
                ("DTE", "module", "at") if r.kind == "dte>" else ("module", "DTE", "urc")
            )
            data = _bytes_of(r.fields.get("data", b""))
            sep = b"\r" if r.kind == "dte>" else b"\n"
            burst = bursts.get(r.kind)
            if burst is not None and (r.t - burst.t1 > BURST_GAP or not _BINARY.search(data)):
                arrows.append(burst.arrow(src, dst, style))  # the burst is over
                del bursts[r.kind]
                burst = None
            if buf[r.kind] and r.t - buf_t[r.kind] > LINE_GAP:
                # A partial line that sat unfinished: draw it when it came, not with the next one.
                arrows.append(
                    Arrow(buf_t[r.kind], buf_t[r.kind], src, dst, _printable(buf[r.kind]), style)
                )
                buf[r.kind] = b""
            binary = _BINARY.search(data)
            if binary is not None:
                # Binary data (PPP frames, raw socket bytes) has no line ends to go by: whole lines
                # of text before it are drawn as lines, the rest joins this direction's burst.
                cut = data.rfind(sep, 0, binary.start()) + 1
                text, data = data[:cut], data[cut:]
                if not text and burst is None and buf[r.kind]:
                    data, buf[r.kind] = buf[r.kind] + data, b""  # an unfinished line ran into it
                if burst is None:
                    burst = bursts[r.kind] = _Burst(r.t)
                burst.add(r.t, data)
                if not text:
                    continue
                data = text
            buf[r.kind] += data
            buf_t[r.kind] = r.t
            while sep in buf[r.kind] or len(buf[r.kind]) > 200:
                cut = buf[r.kind].find(sep)
                line, buf[r.kind] = (
                    (buf[r.kind][:cut], buf[r.kind][cut + 1 :]) if cut >= 0 else (buf[r.kind], b"")
                )
                line = line.strip(b"\r\n")
                if not line:
                    continue
                if r.kind == "dte>":
                    last_command = line
                    arrows.append(Arrow(r.t, r.t, "DTE", "module", _printable(line), "at"))
                elif line != last_command:  # the module's echo of the command adds nothing
                    arrows.append(Arrow(r.t, r.t, "module", "DTE", _printable(line), "urc"))
                else:
                    last_command = b""
        elif r.kind == "pkt":
            summary = str(r.fields.get("pkt", ""))
            key = (r.source, summary)
            if r.fields.get("ev") == "tx":
                pending[key] = r.t
            elif r.fields.get("ev") == "rx":
                t0 = pending.pop(key, r.t)
                src, dst = _hop_lanes(r.source, summary, radio_links, lane_of_ip)
                arrows.append(Arrow(t0, r.t, src, dst, _packet_label(summary), "pkt"))
        elif r.kind == "drop" and "pkt" in r.fields:
            summary = str(r.fields["pkt"])
            key = (r.source, summary)
            if key in pending:  # the link lost what it had sent: a lost packet
                t0 = pending.pop(key)
                src, dst = _hop_lanes(r.source, summary, radio_links, lane_of_ip)
                arrows.append(
                    Arrow(
                        t0,
                        t0,
                        src,
                        dst,
                        f"✗ {_packet_label(summary)} ({r.fields.get('reason')})",
                        "lost",
                    )
                )
            elif r.source.endswith(
                ".rrc"
            ):  # the radio could not take it (asleep in PSM, buffer full)
                marks.append(
                    Mark(r.t, f"✗ {_packet_label(summary)} ({r.fields.get('reason')})", "radio")
                )
        elif r.kind == "nat":
            marks.append(Mark(r.t, _nat_label(r), "nat"))
        elif r.kind in _RADIO_KINDS:
            label = _radio_label(r)
            if label is not None:
                marks.append(Mark(r.t, label, "radio"))
        elif r.kind == "fault" or (r.kind == "link" and r.fields.get("event") == "outage"):
            what = (
                r.fields.get("action") or r.fields.get("fault") or r.fields.get("event") or "fault"
            )
            marks.append(Mark(r.t, f"{what} ({r.source})"))
    for kind, burst in bursts.items():  # bursts still open when the trace ends
        src, dst, style = ("DTE", "module", "at") if kind == "dte>" else ("module", "DTE", "urc")
        arrows.append(burst.arrow(src, dst, style))
    # A scenario fault and the layer's own record of it are one event: keep the scenario's.
    scenario_fault_times = {m.t for m in marks if m.kind == "fault" and m.label.endswith("(fault)")}
    marks = [
        m
        for m in marks
        if m.kind != "fault" or m.label.endswith("(fault)") or m.t not in scenario_fault_times
    ]
    # packets sent and neither received nor dropped: still on their way when the trace ended
    for (source, summary), t0 in pending.items():
        src, dst = _hop_lanes(source, summary, radio_links, lane_of_ip)
        arrows.append(Arrow(t0, t0, src, dst, f"{_packet_label(summary)} (in flight)", "inflight"))
    arrows.sort(key=lambda a: (a.t0, a.t1))
    marks.sort(key=lambda m: m.t)
    return lanes, arrows, marks


class _Burst:
    """Binary UART chunks in one direction, drawn as one arrow from the first to the last."""

    def __init__(self, t: float) -> None:
        self.t0 = self.t1 = t
        self.head = b""  # the first bytes, for the label
        self.size = 0
        self.chunks = 0

    def add(self, t: float, data: bytes) -> None:
        self.t1 = t
        self.chunks += 1
        self.size += len(data)
        if len(self.head) < 64:
            self.head += data[: 64 - len(self.head)]

    def arrow(self, src: str, dst: str, style: str) -> Arrow:
        count = (
            f"⟨{self.size} bytes⟩"
            if self.chunks == 1
            else f"⟨{self.size} bytes in {self.chunks} chunks over {self.t1 - self.t0:.3f} s⟩"
        )
        return Arrow(self.t0, self.t1, src, dst, f"{count} {_printable(self.head, 24)}", style)


def _hop_lanes(link: str, summary: str, radio_links: set[str], lane_of_ip: Any) -> tuple[str, str]:
    fields = summary_fields(summary)
    src_ip, dst_ip = str(fields.get("src", "")), str(fields.get("dst", ""))
    if link in radio_links:
        # the radio hop: module <-> operator core
        down = "down" in link or lane_of_ip(src_ip) != "network"
        return ("network", "module") if down else ("module", "network")
    src, dst = lane_of_ip(src_ip), lane_of_ip(dst_ip)
    if src == dst:  # e.g. operator DNS to NAT address: both "network"
        return "network", dst
    return src, dst


def _packet_label(summary: str) -> str:
    fields = summary_fields(summary)
    if not fields:
        return summary[:40]
    parts = [str(fields["proto"])]
    if "dport" in fields:
        parts.append(f":{fields['dport']}")
    if "flags" in fields:
        parts.append(f"[{fields['flags']}]")
    if fields.get("len"):
        parts.append(f"{fields['len']}B")
    return " ".join(parts)


def sequence_chart(
    records: Sequence[TraceRecord] | Iterable[TraceRecord],
    out: str | None = None,
    *,
    start: float | None = None,
    end: float | None = None,
    max_events: int = 400,
    title: str | None = None,
) -> Any:
    """Draw the chart; save to ``out`` (png/svg/pdf) when given; return the matplotlib figure."""
    import matplotlib

    if out is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    lanes, arrows, marks = extract(records)
    if start is not None:
        arrows = [a for a in arrows if a.t1 >= start]
        marks = [m for m in marks if m.t >= start]
    if end is not None:
        arrows = [a for a in arrows if a.t0 <= end]
        marks = [m for m in marks if m.t <= end]
    if len(arrows) > max_events:  # cut at max_events arrows: the marks after them go too
        arrows = arrows[:max_events]
        horizon = max(arrows[-1].t1, arrows[-1].t0)
        marks = [m for m in marks if m.t <= horizon]
    # One row per arrow end and per fault mark, in time order (lines sent in one UART chunk get
    # rows of their own); a packet's start sits on the first row at or after its send time.
    # A UART burst (t0 < t1) is one row, at its first chunk; a packet goes from send to arrival.
    slots = sorted(
        [(a.t0 if a.style in ("at", "urc") else a.t1, 0, i) for i, a in enumerate(arrows)]
        + [(m.t, 1, i) for i, m in enumerate(marks)]
    )
    times = [t for t, _, _ in slots]
    end_row = {i: r for r, (_, kind, i) in enumerate(slots) if kind == 0}
    mark_row = {i: r for r, (_, kind, i) in enumerate(slots) if kind == 1}
    x = {name: i for i, name in enumerate(lanes)}
    height = max(3.0, 0.22 * len(times) + 1.5)
    fig, ax = plt.subplots(figsize=(2.2 * len(lanes) + 2.5, height))
    for xi in x.values():
        ax.axvline(xi, color="#999999", linewidth=0.8, zorder=0)
    colors = {
        "at": "#1f5fbf",
        "urc": "#2a8a2a",
        "pkt": "#555555",
        "lost": "#c03030",
        "inflight": "#999999",
    }
    for i, a in enumerate(arrows):
        if a.src not in x or a.dst not in x:
            continue
        y1 = end_row[i]
        flat = a.t0 >= a.t1 or a.style in ("at", "urc")
        y0 = y1 if flat else min(bisect.bisect_left(times, a.t0), y1)
        x0, x1 = float(x[a.src]), float(x[a.dst])
        if a.style in ("lost", "inflight"):
            x1 = x0 + (x1 - x0) * 0.5
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "->",
                "color": colors[a.style],
                "linewidth": 0.9,
                "linestyle": "--" if a.style == "inflight" else "-",
            },
        )
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2 - 0.15,
            a.label,
            fontsize=6.5,
            ha="center",
            va="bottom",
            color=colors[a.style],
            family="monospace",
        )
    event_lane = {"nat": ("network", "#7b2fa8", "D"), "radio": ("module", "#c06a00", "s")}
    for i, m in enumerate(marks):
        y = mark_row[i]
        if m.kind in event_lane:  # a NAT or radio-state event: a mark on its lane, not a fault band
            lane, color, marker = event_lane[m.kind]
            xm = float(x.get(lane, 0))
            ax.plot([xm], [y], marker=marker, markersize=4, color=color, zorder=3)
            ax.text(
                xm + 0.08,
                y,
                m.label,
                fontsize=6.5,
                color=color,
                va="center",
                ha="left",
                style="italic",
            )
            continue
        ax.axhspan(y - 0.4, y + 0.4, color="#ff4040", alpha=0.18, zorder=0)
        ax.text(
            len(lanes) - 0.5,
            y,
            "⚡ " + m.label,
            fontsize=7,
            color="#b00000",
            va="center",
            ha="right",
        )
    ax.set_xticks(range(len(lanes)))
    ax.set_xticklabels(lanes, fontsize=9, fontweight="bold")
    ax.xaxis.tick_top()
    ax.set_xlim(-0.7, len(lanes) - 0.3)
    ax.set_ylim(len(times) - 0.5 if times else 1, -0.8)
    step = max(1, len(times) // 60)
    ax.set_yticks(list(range(len(times)))[::step])
    ax.set_yticklabels([f"{t:.3f} s" for t in times][::step], fontsize=7)
    ax.set_ylabel("virtual time (rows in time order)")
    for side in ("right", "bottom"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, pad=24)
    fig.tight_layout()
    if out is not None:
        fig.savefig(out)
        plt.close(fig)
    return fig
