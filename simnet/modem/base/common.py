"""What every group of base commands shares: the bearer's services, the V.250 numeric flag,
the last failure (+CEER), the TS 27.007 §9.2.2 error of a failed bearer procedure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.bearer.api import CsdApi, GprsApi, RadioApi, SimCardApi
from simnet.bearer.outcomes import Outcome
from simnet.modem.at import ArgumentError, Command, Form
from simnet.modem.dialect import CommandSet
from simnet.modem.errors_3gpp import (
    CME_GPRS_NOT_ALLOWED,
    CME_NETWORK_TIMEOUT,
    CME_NO_NETWORK,
    CME_PDP_AUTH_FAILURE,
    CME_SIM_NOT_INSERTED,
    CME_SIM_PIN_REQUIRED,
    CME_UNSPECIFIED_GPRS,
)

if TYPE_CHECKING:
    from simnet.modem.module import Module


def outcome_to_cme(outcome: Outcome) -> int:
    """TS 27.007 §9.2.2: GPRS-related CME codes for a failed bearer Outcome."""
    kind = outcome.kind
    cause = outcome.cause
    if kind in ("sim_absent",):
        return CME_SIM_NOT_INSERTED
    if kind == "sim_not_ready":
        return CME_SIM_PIN_REQUIRED
    if kind == "not_registered":
        return CME_NO_NETWORK
    if kind in ("pdp_timeout",):
        return CME_NETWORK_TIMEOUT
    if kind in ("auth_failed",) or cause == 29:
        return CME_PDP_AUTH_FAILURE
    if kind in ("attach_reject",) and cause == 7:
        return CME_GPRS_NOT_ALLOWED
    # §9.2.2 maps SM causes 32/33/34 to 132/133/134.
    if kind in ("pdp_reject", "attach_reject") and cause in (32, 33, 34):
        return 100 + cause
    return CME_UNSPECIFIED_GPRS


class BaseCommandSet(CommandSet):
    """Helpers of the base command groups (simnet.modem.base.BaseCommands composes them)."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.last_error = "No cause information available"  # what AT+CEER reports

    # The bearer's services this module has (None: no bearer, or a bearer without it).
    def _radio(self) -> RadioApi | None:
        bearer = self.module.bearer
        return bearer.radio if bearer is not None else None

    def _gprs(self) -> GprsApi | None:
        bearer = self.module.bearer
        return bearer.gprs if bearer is not None else None

    def _csd(self) -> CsdApi | None:
        bearer = self.module.bearer
        return bearer.csd if bearer is not None else None

    def _card(self) -> SimCardApi | None:
        bearer = self.module.bearer
        return bearer.sim_card if bearer is not None else None

    @staticmethod
    # -- V.250 basic commands ------------------------------------------------------------------
    def _flag(cmd: Command, hi: int = 1) -> int:
        if cmd.form is not Form.EXEC:
            raise ArgumentError(0, "basic command takes a number")
        return cmd.int(0, 0, lo=0, hi=hi)
