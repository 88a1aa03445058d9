"""``simnet new STORY --module ID``: a commented scenario to start from, taken from the library.

Every scaffold is a library scenario (run and passing in the test suite) for exactly that module,
with a header saying where it came from and what to edit; the ``sweep`` story adds the
``simnet sweep`` and ``simnet.sweep`` lines that vary it. A story the library does not have for
a module is refused with the modules it does have, never guessed by swapping the module id (the
dialects answer differently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simnet.errors import ConfigError


@dataclass(frozen=True)
class Story:
    summary: str
    by_module: dict[str, str]  # module id -> library scenario name
    note: str = ""


_CONNECT_METRIC = {
    "simcom-sim7600": 'connect=between("AT+CIPOPEN", "+CIPOPEN: 0,0")',
    "fibocom-l610": 'connect=between("AT+MIPOPEN", "+MIPOPEN: 1,1")',
}

STORIES: dict[str, Story] = {
    "echo": Story(
        "open the network, connect over TCP to an echo server, send, get it back, close",
        {
            "simcom-sim7600": "quickstart",
            "simcom-a7670": "simcom/a7670-tcp-direct-push",
            "fibocom-l610": "fibocom/tcp-echo",
        },
        "Replace the echo host with your server (hosts:) and the payload with yours.",
    ),
    "ftp": Story(
        "upload a file by FTP over two raw TCP sockets (control and passive data)",
        {"simcom-sim7600": "stories/ftp-upload-sim7600"},
        "The server's passive range is one port so the script knows where to connect.",
    ),
    "mail": Story(
        "send a report by SMTP over a raw TCP socket",
        {"simcom-sim7600": "stories/smtp-report-sim7600"},
        "Every AT+CIPSEND length is the byte count of the line after it.",
    ),
    "nat-idle": Story(
        "an idle socket behind a carrier NAT that forgets the mapping",
        {
            "simcom-sim7600": "stories/nat-idle-timeout-sim7600",
            "fibocom-l610": "stories/nat-idle-timeout-fibocom",
        },
        "Set network.nat.tcp_idle_timeout to your operator's and the wait to your device's idle "
        "time.",
    ),
    "ppp-dialup": Story(
        "dial ATD*99# and run PPP on the host side: TCP over the PDP context",
        {"simcom-sim7600": "dialup/gprs-tcp-echo"},
        "The dial step's username/password and the APN's auth are what your pppd sends.",
    ),
    "sweep": Story(
        "a scenario to sweep over loss and seeds (simnet sweep)",
        # scenarios that pass at every loss of the suggested grid: a sweep of a story that
        # asserts its own loss (connect-under-loss-fibocom's expect_absent) fails every run
        # below it, and its connect metric is NaN there
        {"simcom-sim7600": "quickstart", "fibocom-l610": "fibocom/tcp-echo"},
    ),
}


def stories() -> dict[str, Story]:
    return dict(STORIES)


def scaffold(
    story: str, module: str, *, name: str | None = None, out: str | None = None
) -> str:
    """The text of a new scenario for ``story`` on ``module``; ConfigError says what exists."""
    from simnet.library import example

    if story not in STORIES:
        raise ConfigError("story", f"no story {story!r} (expected one of {', '.join(STORIES)})")
    entry = STORIES[story]
    if module not in entry.by_module:
        raise ConfigError(
            "--module",
            f"the library has the {story} story for {', '.join(entry.by_module)}, "
            f"not for {module!r}",
        )
    source = entry.by_module[module]
    text = example(source).read_text(encoding="utf-8")
    header = [
        f"# Scaffolded by `simnet new {story} --module {module}` from the library scenario "
        f"{source}",
        f"# ({entry.summary}). It passes as it is: the library runs in simnet's test suite.",
        "# Edit hosts: (your servers), network: (your operator: APN, link, NAT) and steps: (your",
        "# firmware's AT sequence); check with `simnet validate FILE`, run with `simnet run FILE`.",
    ]
    if entry.note:
        header.append(f"# {entry.note}")
    if story == "sweep":
        metric = _CONNECT_METRIC[module]
        header += [
            "# Sweep it over loss and seeds, one row per run (docs/experiments.md):",
            "#   simnet sweep FILE --set network.link.loss=0,1%,5%,10% --seeds 1-30 --metric "
            f"'{metric}' --out runs.csv",
            "# or from Python:",
            f"#   simnet.sweep('FILE', grid={{'network.link.loss': ['0%', '5%']}}, seeds='1-30', "
            f"metrics={{'connect': {metric.split('=', 1)[1]!r}}})",
        ]
    body = text
    if name is not None:
        body, count = re.subn(r"^name:.*$", f"name: {_quoted(name)}", body, count=1, flags=re.M)
        if not count:
            body = f"name: {_quoted(name)}\n{body}"
    # The library's modeline points at the schema relative to the library; the new file gets
    # one relative to where it is written (first line, where editors look).
    from simnet.scenario.json_schema import MODELINE, SCHEMA_HINT, modeline_for

    lines = body.splitlines(keepends=True)
    rest = "".join(lines[1:]) if lines and lines[0].startswith(MODELINE) else body
    first, found = modeline_for(out)
    if not found:
        header.append(SCHEMA_HINT)
    return first + "\n" + "\n".join(header) + "\n" + rest


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
