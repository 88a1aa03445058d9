"""Sequence charts of a trace: lanes DTE | module | network | peers, time running downwards.

AT command lines (DTE -> module) and module output lines (module -> DTE) come from the UART
records (``uart``, kinds ``dte>`` / ``dte<``), joined into lines. Packets come from link
records (kind ``pkt``, ``ev`` tx/rx): each hop is an arrow from the send instant to the arrival
instant, between the lanes of the hop's ends. Faults (kind ``fault``, and link outages) are red
bands across every lane. The vertical axis is ordered by virtual time; each distinct instant gets
its own row (labelled with the time) so that bursts inside a millisecond stay readable.

matplotlib is imported here only, and only when a chart is drawn.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simnet.kernel.trace import TraceRecord

_PKT = re.compile(r"^(TCP|UDP|ICMP) (\d+\.\d+\.\d+\.\d+)(?::(\d+))? > (\d+\.\d+\.\d+\.\d+)(?::(\d+))?(.*)$")


LINE_GAP = 0.05  # s: a partial line older than this is drawn on its own
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7e-\xff]")  # not text (PPP flag 0x7e too)


@dataclass
class Arrow:
    t0: float
    t1: float
    src: str
    dst: str
    label: str
    style: str  # at | urc | pkt | lost


@dataclass
class Mark:
    t: float
    label: str


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
    lanes = ["DTE", "module", "network", *sorted(set(peers.values()), key=list(peers.values()).index)]

    def lane_of_ip(ip: str) -> str:
        return peers.get(ip, "network")

    arrows: list[Arrow] = []
    marks: list[Mark] = []
    buf = {"dte>": b"", "dte<": b""}
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
        if (r.kind == "dte<" and buf["dte>"] and not writes
                and _bytes_of(r.fields.get("data", b"")) not in buf["dte>"]):  # an echo is not an answer
            # Host bytes without a CR (data after a prompt): they ended when the module spoke.
            arrows.append(Arrow(last_dte_t, last_dte_t, "DTE", "module", _printable(buf["dte>"]), "at"))
            last_command, buf["dte>"] = buf["dte>"], b""
        if r.kind == "dte>":
            last_dte_t = r.t
        if r.kind in ("dte>", "dte<"):
            src, dst, style = ("DTE", "module", "at") if r.kind == "dte>" else ("module", "DTE", "urc")
            if buf[r.kind] and r.t - buf_t[r.kind] > LINE_GAP:
                # A partial line that sat unfinished: draw it when it came, not with the next one.
                arrows.append(Arrow(buf_t[r.kind], buf_t[r.kind], src, dst, _printable(buf[r.kind]), style))
                buf[r.kind] = b""
            buf[r.kind] += _bytes_of(r.fields.get("data", b""))
            buf_t[r.kind] = r.t
            sep = b"\r" if r.kind == "dte>" else b"\n"
            while sep in buf[r.kind] or len(buf[r.kind]) > 200:
                cut = buf[r.kind].find(sep)
                line, buf[r.kind] = (buf[r.kind][:cut], buf[r.kind][cut + 1 :]) if cut >= 0 else (buf[r.kind], b"")
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
            if _BINARY.search(buf[r.kind]):
                # Binary data (PPP frames, raw socket bytes) has no line end: draw it as it arrives.
                data = buf[r.kind]
                arrows.append(Arrow(r.t, r.t, src, dst, f"⟨{len(data)} bytes⟩ {_printable(data, 24)}", style))
                buf[r.kind] = b""
        elif r.kind == "pkt":
            summary = str(r.fields.get("pkt", ""))
            key = (r.source, summary)
            if r.fields.get("ev") == "tx":
                pending[key] = r.t
            elif r.fields.get("ev") == "rx":
                t0 = pending.pop(key, r.t)
                src, dst = _hop_lanes(r.source, summary, radio_links, lane_of_ip)
                arrows.append(Arrow(t0, r.t, src, dst, _packet_label(summary), "pkt"))
        elif r.kind == "fault" or (r.kind == "link" and r.fields.get("event") == "outage"):
            what = r.fields.get("action") or r.fields.get("fault") or r.fields.get("event") or "fault"
            marks.append(Mark(r.t, f"{what} ({r.source})"))
    # A scenario fault and the layer's own record of it are one event: keep the scenario's.
    scenario_fault_times = {m.t for m in marks if m.label.endswith("(fault)")}
    marks = [m for m in marks if m.label.endswith("(fault)") or m.t not in scenario_fault_times]
    # packets sent but never received: lost on the way
    for (source, summary), t0 in pending.items():
        src, dst = _hop_lanes(source, summary, radio_links, lane_of_ip)
        arrows.append(Arrow(t0, t0, src, dst, "✗ " + _packet_label(summary), "lost"))
    arrows.sort(key=lambda a: (a.t0, a.t1))
    return lanes, arrows, marks


def _hop_lanes(link: str, summary: str, radio_links: set[str], lane_of_ip: Any) -> tuple[str, str]:
    m = _PKT.match(summary)
    src_ip, dst_ip = (m.group(2), m.group(4)) if m else ("", "")
    if link in radio_links:
        # the radio hop: module <-> operator core
        down = "down" in link or lane_of_ip(src_ip) != "network"
        return ("network", "module") if down else ("module", "network")
    src, dst = lane_of_ip(src_ip), lane_of_ip(dst_ip)
    if src == dst:  # e.g. operator DNS to NAT address: both "network"
        return "network", dst
    return src, dst


def _packet_label(summary: str) -> str:
    m = _PKT.match(summary)
    if not m:
        return summary[:40]
    proto, rest = m.group(1), m.group(6)
    flags = re.search(r"\[([A-Z]*)\]", rest)
    length = re.search(r"len=(\d+)", rest)
    parts = [proto]
    if m.group(5):
        parts.append(f":{m.group(5)}")
    if flags:
        parts.append(f"[{flags.group(1)}]")
    if length and length.group(1) != "0":
        parts.append(f"{length.group(1)}B")
    return " ".join(parts)


def sequence_chart(records: Sequence[TraceRecord] | Iterable[TraceRecord], out: str | None = None, *,
                   start: float | None = None, end: float | None = None, max_events: int = 400,
                   title: str | None = None) -> Any:
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
    arrows = arrows[:max_events]
    if arrows:
        horizon = arrows[-1].t1
        marks = [m for m in marks if m.t <= max(horizon, arrows[-1].t0)]
    # One row per arrow end and per fault mark, in time order (lines sent in one UART chunk get
    # rows of their own); a packet's start sits on the first row at or after its send time.
    slots = sorted([(a.t1, 0, i) for i, a in enumerate(arrows)] + [(m.t, 1, i) for i, m in enumerate(marks)])
    times = [t for t, _, _ in slots]
    end_row = {i: r for r, (_, kind, i) in enumerate(slots) if kind == 0}
    mark_row = {i: r for r, (_, kind, i) in enumerate(slots) if kind == 1}
    x = {name: i for i, name in enumerate(lanes)}
    height = max(3.0, 0.22 * len(times) + 1.5)
    fig, ax = plt.subplots(figsize=(2.2 * len(lanes) + 2.5, height))
    for xi in x.values():
        ax.axvline(xi, color="#999999", linewidth=0.8, zorder=0)
    colors = {"at": "#1f5fbf", "urc": "#2a8a2a", "pkt": "#555555", "lost": "#c03030"}
    for i, a in enumerate(arrows):
        if a.src not in x or a.dst not in x:
            continue
        y1 = end_row[i]
        y0 = min(bisect.bisect_left(times, a.t0), y1) if a.t0 < a.t1 else y1
        x0, x1 = float(x[a.src]), float(x[a.dst])
        if a.style == "lost":
            x1 = x0 + (x1 - x0) * 0.5
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "->", "color": colors[a.style], "linewidth": 0.9})
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 - 0.15, a.label, fontsize=6.5, ha="center",
                va="bottom", color=colors[a.style], family="monospace")
    for i, m in enumerate(marks):
        y = mark_row[i]
        ax.axhspan(y - 0.4, y + 0.4, color="#ff4040", alpha=0.18, zorder=0)
        ax.text(len(lanes) - 0.5, y, "⚡ " + m.label, fontsize=7, color="#b00000", va="center", ha="right")
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
