"""How this copy of monitor was installed, and the install command that works for it.

A hint such as `pip install 'monitor[browse]'` is wrong twice for most people: "monitor" on
the package index is another project, and a checkout or a wheel is installed from a path.
`hint(extra)` names the command for this installation: the packages of the extra into the
running interpreter (always right), and the extra itself the way monitor was installed
(the checkout's path for an editable install, the wheel's file, or the image rebuild).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

DIST = "monitor"


@dataclass(frozen=True)
class Installation:
    kind: str  # "container", "editable", "wheel", "index", "source" (not installed: a checkout)
    location: str = ""  # the checkout folder or the wheel file, when known


def detect() -> Installation:
    if os.environ.get("MONITOR_CONTAINER"):  # set by the project's Dockerfile
        return Installation("container")
    try:
        dist = metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return Installation("source", str(Path(__file__).resolve().parents[1]))
    raw = dist.read_text("direct_url.json")
    if not raw:
        home = Path(str(dist.locate_file("")))
        if (home / "pyproject.toml").exists():  # metadata found inside a checkout (egg-info)
            return Installation("source", str(home.resolve()))
        return Installation("index")
    try:
        info = json.loads(raw)
    except ValueError:
        return Installation("index")
    url = info.get("url", "")
    path = unquote(urlsplit(url).path) if url.startswith("file:") else url
    if info.get("dir_info", {}).get("editable"):
        return Installation("editable", path)
    if "archive_info" in info or path.endswith((".whl", ".tar.gz", ".zip")):
        return Installation("wheel", path)
    return Installation("source", path)


def requirements(extra: str) -> list[str]:
    """The packages of an extra, as the installed metadata declares them."""
    try:
        reqs = metadata.requires(DIST) or []
    except metadata.PackageNotFoundError:
        return []
    out = []
    for r in reqs:
        spec, _, marker = r.partition(";")
        if re.search(rf"extra\s*==\s*[\"']{re.escape(extra)}[\"']", marker):
            out.append(spec.strip())
    return [r for r in out if not r.startswith(f"{DIST}[")]


def hint(extra: str, fallback: str = "", inst: Installation | None = None) -> str:
    """The command(s) that install `extra` for this installation, one per line."""
    inst = inst or detect()
    python = shlex.quote(sys.executable)
    pkgs = " ".join(
        shlex.quote(r)
        for r in (requirements(extra) or [fallback] if fallback else requirements(extra))
    )
    lines = []
    if inst.kind == "container":
        return (
            f"this image was built without the '{extra}' extra; rebuild it from the project's "
            "Dockerfile (it installs monitor with its extras)"
        )
    if inst.kind in ("editable", "source") and inst.location:
        lines.append(f"{python} -m pip install -e {shlex.quote(inst.location + f'[{extra}]')}")
    elif inst.kind == "wheel" and inst.location:
        lines.append(
            f"{python} -m pip install {shlex.quote(f'monitor[{extra}] @ file://{inst.location}')}"
        )
    if pkgs:
        lines.append(f"{python} -m pip install {pkgs}")
    return "\n  or: ".join(lines) if lines else f"install the '{extra}' extra of monitor"
