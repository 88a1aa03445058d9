"""World builder: from a validated ``Scenario`` build the network, peers, operator, SIM, module,
DTE and faults on one ``Simulation``.

Order matters for determinism only through names: every component draws from its own named
random stream, so building order does not shift anyone's draws. The build records one
``(scenario, world)`` trace record naming the hosts and the radio links, which the sequence
chart uses to place lanes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from simnet.errors import ConfigError
from simnet.scenario.faults import FaultEngine
from simnet.scenario.invariants import Claims, Oracles
from simnet.scenario.model import FaultSpec, HostSpec, LinkSpec, LossSpec, Scenario, ServiceSpec

if TYPE_CHECKING:
    from simnet.scenario.api import Simulation

MODULE_HOST = "module"
MODULE_NAME = "modem"  # trace source of the module (its UART is "modem.uart")
PCAP_LIMIT_BOUNDED = 10_000  # packets kept per capture point when the trace is bounded


def net_name(name: str) -> str:
    """Host names in simnet.net may not contain dots (they separate link directions)."""
    return name.replace(".", "_")


def loss_for_net(loss: LossSpec) -> dict[str, Any]:
    """Scenario loss spec -> simnet.net loss mapping (netem's parameter names)."""
    p = loss.params
    if loss.model == "none":
        return {"model": "none"}
    if loss.model == "bernoulli":
        return {"model": "bernoulli", "p": p["p"]}
    if loss.model == "gilbert-elliott":
        # scenario h/k are the classic "packet gets through" probabilities of the bad/good state
        return {"model": "gilbert_elliott", "p": p["p"], "r": p["r"],
                "one_minus_h": 1.0 - p["h"], "one_minus_k": 1.0 - p["k"]}
    return {"model": "four_state", **{k: p[k] for k in ("p13", "p31", "p32", "p23", "p14")}}


def link_for_net(raw: dict[str, Any], spec: LinkSpec, base: dict[str, Any]) -> dict[str, Any]:
    """A ``LinkConfig.from_dict`` mapping: the bearer profile's defaults, then scenario keys.

    ``raw`` holds the scenario's own values (durations as written, which simnet.net parses
    itself); ``spec`` the validated ones (loss already normalised)."""
    out = dict(base)
    for key in ("delay", "jitter", "rate", "mtu", "duplicate", "corrupt", "reorder"):
        if key in raw:
            out[key] = raw[key]
    if "queue" in raw:
        out["queue_packets"] = raw["queue"]
    if spec.loss is not None:
        out["loss"] = loss_for_net(spec.loss)
    return out


class HostEntry:
    def __init__(self, spec: HostSpec, host: Any) -> None:
        self.spec = spec
        self.host = host  # the simnet.net Host (None for a phone without an IP host)
        self.services: list[tuple[ServiceSpec, Any]] = []
        self.phone: Any = None  # simnet.bearer.sms.smsc.HostPhone when the host has an msisdn

    def find(self, *, port: int | None = None, type_: str | None = None) -> list[Any]:
        return [svc for spec, svc in self.services
                if (port is None or spec.port == port) and (type_ is None or spec.type == type_)]


class Device:
    """One module of the world with its own SIM, bearer, radio link, UART and DTE. A
    single-module scenario has one (named ``modem`` on host ``module``); a fleet has many."""

    def __init__(self, name: str, host_name: str, spec: Any = None) -> None:
        self.name = name  # trace source of the module; its UART is "<name>.uart"
        self.host_name = host_name  # network host; radio links "<host>.uplink"/".downlink"
        self.spec = spec  # DeviceSpec of a fleet device, None for the single module
        self.host: Any = None
        self.bearer: Any = None
        self.module: Any = None
        self.dte: Any = None

    @property
    def uart_source(self) -> str:
        return f"{self.name}.uart"

    def radio_links(self, network: Any, direction: str) -> list[Any]:
        link = network.link(self.host_name)
        if direction == "uplink":
            return [link.uplink]
        if direction == "downlink":
            return [link.downlink]
        return [link.uplink, link.downlink]

    def __repr__(self) -> str:
        module = getattr(getattr(self.module, "profile", None), "id", "?")
        return f"<Device {self.name} {module}>"


class World:
    """Everything built for one scenario run."""

    def __init__(self, sim: Simulation, scenario: Scenario) -> None:
        self.sim = sim
        self.scenario = scenario
        self.network: Any = None
        self.module_host: Any = None
        self.bearer: Any = None
        self.module: Any = None
        self.dte: Any = None
        self.hosts: dict[str, HostEntry] = {}
        self.fault_errors: list[str] = []
        self.peer_sockets: list[Any] = []  # connections opened by peer-connect faults
        self.peer_received: dict[int, bytearray] = {}  # id(socket) -> what the peer read
        self.pcap_files: list[str] = []
        self.epoch = 0.0  # Unix seconds at virtual time 0 (scenario_epoch)
        self.trace_counts: dict[int, int] = {}  # check index -> matching records so far
        self.faults: FaultEngine | None = None
        self.claims = Claims(sim)  # what a host program believes it achieved (sim.claims)
        self.oracles: Oracles | None = None
        self.program: Callable[..., Any] | None = None  # the scenario's program:, loaded
        self.radio_uplink = f"{MODULE_HOST}.uplink"
        self.radio_downlink = f"{MODULE_HOST}.downlink"
        self.uart_source = f"{MODULE_NAME}.uart"
        self.base_links: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, Device] = {}  # every module, in build order
        self.smsc: Any = None  # the operator's SMSC (simnet.bearer.sms.smsc.Smsc), one per network

    @property
    def is_fleet(self) -> bool:
        return bool(self.scenario.devices)

    def device(self, name: str) -> Device:
        dev = self.devices.get(name)
        if dev is None:
            some = ", ".join(list(self.devices)[:5]) + (", ..." if len(self.devices) > 5 else "")
            raise ConfigError("device", f"unknown device {name!r} (expected one of {some})")
        return dev

    def fault_targets(self, fault: FaultSpec) -> list[Device]:
        """The devices a fault acts on: ``device:`` (a name or a group of ``modules:``), then
        ``share:`` of those (drawn from the fault's own random stream), else all: the cell."""
        devices = list(self.devices.values())
        ref = fault.params.get("device")
        if ref is not None:
            devices = [
                d for d in devices if d.name == ref or (d.spec is not None and d.spec.group == ref)
            ]
        share = fault.params.get("share")
        if share is not None and devices:
            n = max(1, round(share * len(devices))) if share > 0 else 0
            devices = sorted(
                self.sim.rng(f"fault.{fault.index}.share").sample(devices, n),
                key=lambda d: list(self.devices).index(d.name),
            )
        return devices

    # -- lookups -------------------------------------------------------------------------------
    def host_ip(self, name: str | None) -> str | None:
        entry = self.hosts.get(name or "")
        return entry.spec.ip if entry else None

    def host_view(self, name: str) -> Any:
        from simnet.scenario.inspect import HostView

        entry = self.hosts.get(name)
        if entry is None:
            raise ConfigError(
                "host", f"unknown host {name!r} (expected one of {', '.join(self.hosts) or 'none'})"
            )
        return HostView(self, entry)

    def save_pcap(self, path: str) -> int:
        """Write the IP packets seen at the module's interface to ``path`` (raw IPv4); the PPP
        frames of GSM data calls, if any, go to ``path`` itself when no IP packet was seen, else
        to ``<stem>.ppp<suffix>`` beside it (one pcap file holds one link type). Returns the
        number of packets and frames written; ``pcap_files`` lists the files."""
        count = int(
            self.network.write_pcap(path, self.network.module_capture_points(), epoch=self.epoch)
            or 0
        )
        self.pcap_files = [path]
        capture = getattr(self.bearer, "ppp_capture", None)
        frames = len(getattr(capture, "frames", ()) or ())
        if frames:
            target = path
            if count:
                stem, dot, suffix = path.rpartition(".")
                target = f"{stem}.ppp.{suffix}" if dot and "/" not in suffix else f"{path}.ppp.pcap"
                self.pcap_files.append(target)
            count += int(self.bearer.write_pcap(target, epoch=self.epoch) or 0)
        return count

    def capture_points(self) -> list[str]:
        """The points ``save_capture`` can write: ``module``, the core sides and hosts asked for."""
        return list(dict.fromkeys(["module", *self.scenario.capture]))

    def save_capture(self, point: str, path: str) -> int:
        """Write one capture point (``module``, ``core-inside``, ``core-outside`` or a host
        name of the scenario) to ``path``; returns the packet count."""
        if point == "module":
            return self.save_pcap(path)
        if point in self.hosts:
            name = self.hosts[point].host.name
        elif point in ("core-inside", "core-outside"):
            name = point
        else:
            raise ConfigError(
                "capture",
                f"unknown capture point {point!r} (expected one of "
                f"{', '.join(self.capture_points())})",
            )
        if name not in self.network.capture_point_names():
            raise ConfigError(
                "capture", f"{point!r} was not captured (name it in the scenario's capture:)"
            )
        return int(self.network.write_pcap(path, name, epoch=self.epoch) or 0)

    def radio_links(self, direction: str) -> list[Any]:
        return next(iter(self.devices.values())).radio_links(self.network, direction)


def preload(sc: Scenario) -> None:
    """Import the code a scenario will need (network, bearer, servers, the module's dialect), so
    that a run's wall time measures simulation rather than Python's first imports."""
    import simnet.bearer.modem_bearer  # noqa: F401
    import simnet.net  # noqa: F401
    from simnet.modem.registry import get_profile, load_dialect_class
    from simnet.servers import service_class

    for host in sc.hosts:
        for svc in host.services:
            service_class(svc.type)
    for module_id in {sc.module, *(d.module for d in sc.devices)}:
        try:
            load_dialect_class(get_profile(module_id))
        except ConfigError:
            pass  # building the world reports it


def build_world(sim: Simulation, sc: Scenario) -> World:
    from simnet.net import NatConfig, Network

    world = World(sim, sc)
    if sc.devices:
        first = sc.devices[0].name
        world.radio_uplink, world.radio_downlink = f"{first}.uplink", f"{first}.downlink"
        world.uart_source = f"{first}.uart"
        sim.record(
            "scenario",
            "world",
            name=sc.name,
            module=sc.module,
            hosts={h.name: h.ip for h in sc.hosts},
            module_host=first,
            radio_links=[world.radio_uplink, world.radio_downlink],
            devices=len(sc.devices),
        )
    else:
        # The epoch is named only when the scenario chose it, so the default leaves traces as
        # they were.
        extra = {"epoch": sc.epoch} if sc.epoch is not None else {}
        sim.record(
            "scenario",
            "world",
            name=sc.name,
            module=sc.module,
            hosts={h.name: h.ip for h in sc.hosts},
            module_host=MODULE_HOST,
            radio_links=[world.radio_uplink, world.radio_downlink],
            **extra,
        )
    world.epoch = scenario_epoch(sc)
    sim.trace.epoch = world.epoch

    net = sc.network
    nat_kwargs: dict[str, Any] = {}
    if net.tcp_idle_timeout is not None:
        nat_kwargs["tcp_idle_timeout"] = net.tcp_idle_timeout
    if net.udp_idle_timeout is not None:
        nat_kwargs["udp_idle_timeout"] = net.udp_idle_timeout
    for key in ("port_low", "port_high", "per_subscriber"):
        if getattr(net, f"nat_{key}", None) is not None:
            nat_kwargs[key] = getattr(net, f"nat_{key}")
    nat_kwargs.update(net.nat_variant)
    net_kwargs: dict[str, Any] = {"nat": NatConfig(**nat_kwargs)}
    if sc.devices:
        net_kwargs["capture"] = False  # a fleet's packets: far too many to keep for a pcap
    if net.dns:
        net_kwargs["dns_ip"] = list(net.dns)  # every listed address is an operator DNS server
    world.network = network = Network(sim, **net_kwargs)
    trace_config = getattr(sim.trace, "config", None)
    if trace_config is not None and trace_config.bounded:
        # A long run in bounded memory keeps the newest packets for the pcap, not all of them.
        network.pcap.limit = trace_config.ring or PCAP_LIMIT_BOUNDED

    # Radio link: the bearer's radio profile gives the defaults, the scenario overrides them.
    raw_net = sc.raw.get("network", {}) if isinstance(sc.raw.get("network"), dict) else {}
    base_up, base_down = _radio_defaults(net)
    raw_link = raw_net.get("link", {}) or {}
    up_raw = {**raw_link, **(raw_net.get("uplink", {}) or {})}
    down_raw = {**raw_link, **(raw_net.get("downlink", {}) or {})}
    up = link_for_net(up_raw, net.uplink, base_up)
    down = link_for_net(down_raw, net.downlink, base_down)
    world.base_links = {"uplink": up, "downlink": down}
    if not sc.devices:
        world.module_host = network.add_module_host(MODULE_HOST, up, down)

    # Peer hosts and their services; each is in the operator DNS (forward and reverse) unless
    # the scenario says dns: false.
    world.smsc = _build_smsc(sim, world, sc)
    for hspec in sc.hosts:
        if hspec.ip is None:  # a phone: a subscriber of the network, no IP host
            entry = world.hosts[hspec.name] = HostEntry(hspec, None)
            entry.phone = _phone(sim, world, hspec)
            continue
        host = network.add_host(net_name(hspec.name), hspec.ip)
        if hspec.tcp != "classic" or hspec.tcp_overrides:
            host.use_tcp_profile(hspec.tcp, hspec.tcp_overrides)
        entry = HostEntry(hspec, host)
        world.hosts[hspec.name] = entry
        if hspec.msisdn is not None:
            entry.phone = _phone(sim, world, hspec)
        _register_dns(network, hspec)
        for sspec in hspec.services:
            entry.services.append((sspec, _make_service(sim, host, sspec, world.epoch)))
    _capture_points(world, sc)

    from simnet.modem.dte import DTE

    if sc.devices:
        _build_fleet(sim, world, sc, up, down)
    else:
        dev = Device(MODULE_NAME, MODULE_HOST)
        dev.host = world.module_host
        world.bearer = dev.bearer = _build_bearer(sim, world, sc, dev)
        world.module = dev.module = _build_module(sim, world, sc, dev)
        world.dte = dev.dte = DTE(sim, world.module)
        world.devices[dev.name] = dev
    world.faults = FaultEngine(world, sc.faults)
    _count_trace_checks(sim, world, sc)
    if sc.program is not None:
        from simnet.scenario.program import load_program

        world.program = load_program(sc.program, sc.file)
    if sc.chaos is not None and not sc.devices:
        world.oracles = Oracles(world, sc.chaos)
    return world


def _count_trace_checks(sim: Any, world: World, sc: Scenario) -> None:
    """Count the records each ``{trace:, count:}`` check names as they happen (a bounded trace
    may not keep them)."""
    from simnet.scenario.faults import matches_record

    checks = [c for c in sc.checks if c.kind == "trace"]
    if not checks:
        return
    for c in checks:
        world.trace_counts[c.index] = 0

    def count(rec: Any) -> None:
        for c in checks:
            if matches_record(rec, c.params["match"]):
                world.trace_counts[c.index] += 1

    # Checks that each name a kind need to see only those records (a record's kind is text).
    named = [c.params["match"].get("kind") for c in checks]
    sim.trace.add_sink(count, None if None in named else {str(k) for k in named})


FLEET_HISTORY_BUDGET: Final = 64 << 20  # already-read DTE bytes a fleet keeps, all devices


def fleet_history(devices: int) -> int:
    """Each device DTE's ``keep_consumed`` in a fleet of ``devices``: a share of
    ``FLEET_HISTORY_BUDGET``, at least 64 KiB, at most the single DTE's 1 MiB (a fleet of up
    to 64 devices keeps what one module keeps)."""
    from simnet.modem.dte import KEEP_CONSUMED

    return max(64 << 10, min(KEEP_CONSUMED, FLEET_HISTORY_BUDGET // max(1, devices)))


def _build_fleet(
    sim: Any, world: World, sc: Scenario, up: dict[str, Any], down: dict[str, Any]
) -> None:
    """Every device of ``modules:``: its own radio link (the scenario's link settings), SIM,
    bearer and module, all on the one operator (its address pool shared), NAT and peers."""
    from simnet.bearer.gprs import AddressPool
    from simnet.modem.dte import DTE

    network = world.network
    pool = AddressPool()
    history = fleet_history(len(sc.devices))
    for spec in sc.devices:
        dev = Device(spec.name, spec.name, spec)
        dev.host = network.add_module_host(spec.name, up, down)
        dev.bearer = _build_bearer(sim, world, spec, dev, pool=pool)
        dev.module = _build_module(sim, world, spec, dev)
        dev.dte = DTE(sim, dev.module, keep_consumed=history)
        world.devices[spec.name] = dev
    first = next(iter(world.devices.values()))
    world.module_host, world.bearer, world.module = first.host, first.bearer, first.module
    world.dte = None  # a fleet has one DTE per device: sim.device(name).dte


def _build_smsc(sim: Any, world: World, sc: Scenario) -> Any:
    """The operator's SMSC: ``network.sms`` and ``network.ussd``, the scenario's epoch for its
    time stamps; shared by every module and phone of the scenario."""
    from simnet.bearer.sms.config import SmsConfig
    from simnet.bearer.sms.smsc import Smsc

    config = SmsConfig.from_dict({**sc.network.sms, "ussd": sc.network.ussd})
    return Smsc(sim, config, name="smsc", epoch=world.epoch)


def _phone(sim: Any, world: World, hspec: HostSpec) -> Any:
    from simnet.bearer.sms.smsc import HostPhone

    try:
        return HostPhone(sim, world.smsc, hspec.msisdn or "", hspec.name)
    except ConfigError as exc:
        raise ConfigError(f"hosts.{hspec.name}.msisdn", exc.message) from None


def device_msisdn(number: int) -> str:
    """A fleet's devices are numbered in build order: +33600000001, +33600000002, ..."""
    return f"+336{number:08d}"


def _radio_defaults(net: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Link parameters of the bearer's radio profile (GPRS class 10, a 9600 bit/s CSD call, or
    the scenario's ``network.profile``)."""
    from simnet.bearer.profiles import get_profile

    name = net.profile or ("csd_9600" if net.bearer == "gsm" else "gprs_class10")
    return get_profile(name).link_dicts()


def _register_dns(network: Any, hspec: HostSpec) -> None:
    zone = getattr(network, "dns_records", None) or getattr(network, "zone", None)
    if zone is None:
        return
    mangled = net_name(hspec.name)
    if mangled != hspec.name and hasattr(zone, "remove") and zone.has_name(mangled):
        zone.remove(mangled)  # the net layer registered the dot-less internal name
    if hspec.dns:
        zone.add_record(hspec.name, hspec.ip)


def scenario_epoch(sc: Scenario) -> float:
    """Unix seconds at virtual time 0: the scenario's ``epoch``, else the servers' default."""
    from simnet.servers.config import DEFAULT_EPOCH, parse_epoch

    return sc.epoch if sc.epoch is not None else parse_epoch(DEFAULT_EPOCH, "epoch")


def _capture_points(world: World, sc: Scenario) -> None:
    """Switch on the capture points the scenario names (the module's is always on), and those
    its checks read."""
    network = world.network
    checked = [c.params["pcap"] for c in sc.checks if c.kind == "capture"]
    for point in dict.fromkeys([*sc.capture, *checked]):
        if point in ("core-inside", "core-outside"):
            network.capture_core(point.split("-", 1)[1])
        elif point in world.hosts:
            network.capture_host(world.hosts[point].host.name)


def _make_service(sim: Any, host: Any, spec: ServiceSpec, epoch: float | None = None) -> Any:
    from simnet.servers import make_service

    config = dict(spec.config)
    config.setdefault("port", spec.port)
    if epoch is not None:
        config.setdefault("epoch", epoch)  # one clock for servers, pcaps and the trace
    service = make_service(spec.type, config, spec.field)
    service.attach(sim, host)
    return service


def _build_bearer(sim: Any, world: World, sim_spec: Any, dev: Device, pool: Any = None) -> Any:
    """The device's bearer: the scenario's network, the SIM of ``sim_spec`` (the scenario, or
    a fleet device's spec, which has the same sim_* fields)."""
    from simnet.bearer.modem_bearer import ModemBearer
    from simnet.bearer.operator import OperatorConfig

    sc = world.scenario
    net = sc.network
    operator: dict[str, Any] = {
        "apn": net.apn.name,
        "user": net.apn.user,
        "password": net.apn.password,
        "auth": net.apn.auth,
    }
    raw_net = sc.raw.get("network", {}) or {}
    raw_pdp = raw_net.get("pdp", {}) or {}
    if "activation_delay" in raw_pdp:
        operator["activation_delay"] = raw_pdp["activation_delay"]
    if "deactivation_delay" in raw_pdp:
        operator["deactivation_delay"] = raw_pdp["deactivation_delay"]
    if net.pdp.reject_cause is not None:
        operator["reject_cause"] = net.pdp.reject_cause
    if net.pdp.silent:
        operator["silent"] = True
    if net.dns:
        operator["dns"] = list(net.dns)
    radio: dict[str, Any] = {
        "registered_as": net.registration_state.replace("-", "_"),
        "registration_delay": net.registration_after,
    }
    if net.rssi is not None:
        radio["rssi"] = net.rssi
    if net.ber is not None:
        radio["ber"] = net.ber
    operator["radio"] = radio
    operator["sim"] = _sim_config(sim_spec)
    raw_csd = raw_net.get("csd", {}) or {}
    if raw_csd:
        operator["csd"] = dict(raw_csd)
    operator["bearer"] = net.bearer
    if net.power_saving:
        operator["power_saving"] = dict(net.power_saving)
    if net.profile:
        operator["profile"] = net.profile
    config = OperatorConfig.from_dict(operator, "network")
    try:
        if dev.spec is None:
            return ModemBearer(sim, world.network, dev.host, config, smsc=world.smsc)
        return ModemBearer(
            sim,
            world.network,
            dev.host,
            config,
            name=f"{dev.name}.bearer",
            address_pool=pool,
            smsc=world.smsc,
            msisdn=device_msisdn(len(world.devices) + 1),
        )
    except ConfigError as exc:  # the module's number is a phone's too
        raise ConfigError("sim.msisdn", exc.message) from None


def _sim_config(sc: Any) -> dict[str, Any]:
    if sc.sim_state == "absent":
        return {"present": False}
    out: dict[str, Any] = {"puk": sc.sim_puk}
    if getattr(sc, "sim_msisdn", None):
        out["msisdn"] = sc.sim_msisdn
    if getattr(sc, "sim_sms_records", None) is not None:
        out["sms_records"] = sc.sim_sms_records
    if sc.sim_state == "pin":
        out["pin"] = sc.sim_pin
    return out


def _build_module(sim: Any, world: World, spec: Any, dev: Device) -> Any:
    """``spec``: the scenario (one module) or a fleet device's spec (module, baud, boot)."""
    from simnet.modem.registry import create_module

    options: dict[str, Any] = {"name": dev.name}
    if spec.baud:
        options["baud"] = spec.baud
    if spec.boot == "cold":
        options["cold_start"] = True
    return create_module(sim, spec.module, dev.bearer, dev.host, **options)
