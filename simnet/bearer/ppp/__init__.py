"""PPP over a serial line: sans-IO LCP/PAP/CHAP/IPCP endpoint, RFC 1661 automaton, RFC 1662
HDLC-like framing, glue on the virtual clock, and pcap export (DLT_PPP)."""

from simnet.bearer.ppp.config import FAULT_MODES, PppConfig, PppFault
from simnet.bearer.ppp.endpoint import PeerAuth, PppEndpoint
from simnet.bearer.ppp.events import (
    Datagram,
    Ended,
    Phase,
    PhaseChange,
    PppEvent,
    Result,
    SendPacket,
    SetTimer,
)
from simnet.bearer.ppp.fsm import ControlFsm, FsmTimers, State
from simnet.bearer.ppp.glue import BytePipe, PipeEnd, PppDriver, PppSession
from simnet.bearer.ppp.hdlc import HdlcDeframer, build_frame, encode_frame, fcs16, split_frame
from simnet.bearer.ppp.pcap import DLT_PPP, PppCapture

__all__ = [
    "DLT_PPP",
    "FAULT_MODES",
    "BytePipe",
    "ControlFsm",
    "Datagram",
    "Ended",
    "FsmTimers",
    "HdlcDeframer",
    "PeerAuth",
    "Phase",
    "PhaseChange",
    "PipeEnd",
    "PppCapture",
    "PppConfig",
    "PppDriver",
    "PppEndpoint",
    "PppEvent",
    "PppFault",
    "PppSession",
    "Result",
    "SendPacket",
    "SetTimer",
    "State",
    "build_frame",
    "encode_frame",
    "fcs16",
    "split_frame",
]
