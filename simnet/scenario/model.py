"""The validated scenario: plain dataclasses with units already converted to seconds and bit/s.

The validator (``schema.py``) produces these from YAML data; the world builder and runner only
ever read these, so they never need to re-check a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simnet.kernel.dist import Distribution


@dataclass
class LossSpec:
    """A loss model: ``bernoulli`` (p) or ``gilbert-elliott`` (p, r, h, k) or ``markov4``."""

    model: str
    params: dict[str, float]


@dataclass
class LinkSpec:
    """One direction of the radio link; ``None`` means the bearer/radio profile default."""

    delay: Distribution | None = None
    jitter: float | None = None
    rate: float | None = None
    loss: LossSpec | None = None
    queue: int | None = None
    mtu: int | None = None
    duplicate: float | None = None
    corrupt: float | None = None
    reorder: bool | None = None


@dataclass
class ApnSpec:
    name: str = "internet"
    user: str = ""
    password: str = ""
    auth: str = "none"


@dataclass
class PdpSpec:
    activation_delay: Distribution | None = None
    deactivation_delay: Distribution | None = None
    reject_cause: int | None = None
    silent: bool = False


@dataclass
class CsdSpec:
    setup_time: Distribution | None = None
    outcome: str = "connect"
    rate: int = 9600


@dataclass
class NetworkSpec:
    registration_state: str = "home"
    registration_after: float = 0.0
    bearer: str = "gprs"
    apn: ApnSpec = field(default_factory=ApnSpec)
    pdp: PdpSpec = field(default_factory=PdpSpec)
    csd: CsdSpec = field(default_factory=CsdSpec)
    uplink: LinkSpec = field(default_factory=LinkSpec)
    downlink: LinkSpec = field(default_factory=LinkSpec)
    dns: list[str] = field(default_factory=list)
    tcp_idle_timeout: float | None = None
    udp_idle_timeout: float | None = None
    nat_port_low: int | None = None  # the carrier NAT's public port pool
    nat_port_high: int | None = None
    nat_per_subscriber: int | None = None  # ports one subscriber may hold at once (None: any)
    nat_variant: dict[str, Any] = field(default_factory=dict)  # NatConfig behaviours (issue 19)
    power_saving: dict[str, Any] = field(default_factory=dict)  # PowerSavingConfig (issue 19)
    rssi: int | None = None
    ber: int | None = None
    profile: str | None = None  # radio profile of simnet.bearer.profiles
    sms: dict[str, Any] = field(default_factory=dict)  # SmsConfig (simnet.bearer.sms.config)
    ussd: dict[str, Any] = field(default_factory=dict)  # the operator's USSD menu


@dataclass
class ServiceSpec:
    type: str
    port: int
    config: dict[str, Any]
    field: str  # key path, e.g. hosts.ftp.example.net.services[0]


@dataclass
class HostSpec:
    name: str
    ip: str | None  # None: a phone with an MSISDN only (no IP host)
    services: list[ServiceSpec]
    dns: bool = True
    tcp: str = "classic"  # the host's TCP stack (simnet.net.tcp_profiles)
    tcp_overrides: dict[str, Any] = field(default_factory=dict)
    msisdn: str | None = None  # a subscriber of the network: sends and receives SMS


@dataclass
class TriggerSpec:
    """``on:`` — what makes a fault fire instead of a time.

    kind ``syn``: the ``count``-th SYN towards ``host`` (and ``port``);
    kind ``bytes``: when ``count`` payload bytes have crossed a TCP connection with ``host``;
    kind ``sent`` / ``received``: when the DTE sends / the module sends text containing ``text``;
    kind ``trace``: the ``count``-th trace record matching ``match`` (source, kind, fields).
    """

    kind: str
    count: int = 1
    host: str | None = None
    port: int | None = None
    direction: str = "any"
    text: str = ""
    match: dict[str, Any] = field(default_factory=dict)  # kind "trace": source/kind/fields


@dataclass
class FaultSpec:
    index: int
    action: str
    at: float | None
    on: TriggerSpec | None
    params: dict[str, Any]
    line: int


@dataclass
class StepSpec:
    index: int
    kind: str  # send | send_raw | send_hex | expect | expect_re | wait | expect_absent
    text: str  # as written, for display
    data: bytes = b""  # send / send_raw / send_hex
    pattern: str = ""  # expect* (a regex; literal text is escaped)
    seconds: float = 0.0  # wait
    within: float = 10.0
    line: int = 0
    params: dict[str, Any] = field(default_factory=dict)  # IP steps (simnet.scenario.ip_steps)
    port: str = "uart1"  # the serial line of send*/expect* steps (schema.module_ports)


@dataclass
class CheckSpec:
    index: int
    kind: str  # file | service | mailbox | tcp | pcap
    host: str
    params: dict[str, Any]
    line: int
    always: bool = False  # an invariant: must hold under any fault storm (chaos runs)


@dataclass
class ProgramSpec:
    """``program:`` - a Python host program run instead of ``steps:``: ``target`` is
    ``package.module:function`` or ``file.py:function`` (beside the scenario file); it is
    called as ``function(sim, **args)``."""

    target: str
    args: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass
class ChaosSpec:
    """``chaos:`` - how ``simnet chaos`` draws fault storms for this scenario, and the
    invariants that judge a run of it (``simnet run`` judges a chaos scenario by them too).

    ``window``: faults start and end inside [start, end] (the storm); ``faults``: how many per
    schedule; ``kinds``/``exclude``/``weights``: which fault actions are drawn and how often;
    ``intensity``: ranges per parameter (``duration``, ``loss``, ``delay``, ``count``,
    ``after_bytes``, ``rate``) as (low, high) in SI units; ``grace``: after the storm, the time a
    module gets to recover before it is probed with ``AT``; ``settle``: how much longer a
    connection that still holds unacknowledged data may take to deliver it or report an error.
    """

    window: tuple[float, float] = (0.0, 60.0)
    faults_min: int = 1
    faults_max: int = 4
    kinds: list[str] | None = None  # None: every action that applies to the world
    exclude: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    intensity: dict[str, tuple[float, float]] = field(default_factory=dict)
    grace: float = 30.0
    settle: float = 1200.0
    probe_timeout: float = 5.0
    invariants: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def storm_end(self) -> float:
        return self.window[1]


@dataclass
class DeviceSpec:
    """One device of a fleet (``modules:``): its module, SIM, UART rate and DTE script."""

    name: str
    group: str
    index: int
    module: str = ""
    baud: int | None = None
    sim_state: str = "ready"
    sim_pin: str = "1234"
    sim_puk: str = "12345678"
    sim_msisdn: str | None = None
    sim_sms_records: int | None = None
    boot: str = "booted"
    steps: list[StepSpec] = field(default_factory=list)
    start: Distribution | None = None  # delay before its script starts (drawn per device)
    line: int = 0


@dataclass
class Scenario:
    name: str
    file: str
    description: str = ""
    seed: int = 1
    module: str = ""
    baud: int | None = None  # None: the module profile's default rate
    trace: Any = None  # simnet.kernel.trace.TraceConfig, or None: keep everything
    devices: list[DeviceSpec] = field(default_factory=list)  # a fleet (modules:); empty: one module
    epoch: float | None = None  # Unix seconds at virtual time 0 (None: the servers' default)
    capture: list[str] = field(default_factory=lambda: ["module"])  # pcap capture points
    boot: str = "booted"  # "cold": the module is switched on at time 0 and boots first
    sim_state: str = "ready"
    sim_pin: str = "1234"
    sim_puk: str = "12345678"
    sim_msisdn: str | None = None
    sim_sms_records: int | None = None  # SMS records of the SIM ("SM" memory size)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    hosts: list[HostSpec] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    steps: list[StepSpec] = field(default_factory=list)
    checks: list[CheckSpec] = field(default_factory=list)
    program: ProgramSpec | None = None
    chaos: ChaosSpec | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def host(self, name: str) -> HostSpec | None:
        for h in self.hosts:
            if h.name == name:
                return h
        return None
