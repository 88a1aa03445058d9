"""3GPP TS 27.010 multiplexing (basic option) for the module core: the frame codec, the
sans-IO engine (both roles) and the glue that puts AT engines on virtual channels."""

from simnet.modem.cmux.engine import Closed, CmuxEngine, Data, Opened, Refused, Status, Transmit
from simnet.modem.cmux.frames import Frame, FrameDecoder, encode_frame, fcs
from simnet.modem.cmux.ports import HostMux, ModuleMux

__all__ = [
    "Closed",
    "CmuxEngine",
    "Data",
    "Frame",
    "FrameDecoder",
    "HostMux",
    "ModuleMux",
    "Opened",
    "Refused",
    "Status",
    "Transmit",
    "encode_frame",
    "fcs",
]
