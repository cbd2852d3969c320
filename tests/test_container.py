"""Container smoke test: what the Dockerfile does, without a Docker engine.

Builds the wheel, installs it into a fresh virtual environment, runs the image's CMD
(`monitor run`, the daemon) with the image's environment against the local sample site for a
few seconds, checks its HEALTHCHECK command, stops it with SIGTERM and checks the archive.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from monitor.demo import demo_config_text

ROOT = Path(__file__).resolve().parents[1]


def _dockerfile_command(keyword: str) -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    m = re.search(rf"^{keyword}\b.*?(\[.*\])\s*$", text, re.M)
    assert m, f"Dockerfile has no {keyword} in exec form"
    return json.loads(m.group(1))


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text()
    m = re.search(r"^ENV (.*?)(?:\n(?!\s))", text, re.M | re.S)
    pairs = re.findall(r"(\w+)=(\S+)", m.group(1).replace("\\\n", " "))
    return dict(pairs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("container")
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=300,
    )
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin/python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, timeout=300)
    subprocess.run([*pip, *map(str, wheels.glob("*.whl"))], check=True, timeout=600)
    return env_dir / "bin"


@pytest.mark.slow
def test_image_command_runs_the_daemon(installed, site, tmp_path):
    cmd = _dockerfile_command("CMD")
    health = _dockerfile_command("HEALTHCHECK.*CMD")
    env_vars = _dockerfile_env()
    assert cmd == ["monitor", "run"] and env_vars["MONITOR_ARCHIVE"].startswith("/data/")

    config = tmp_path / "etc/sources.toml"
    config.parent.mkdir()
    config.write_text(demo_config_text(site.base, Path("/not/used.db")).replace('"5m"', '"10s"'))
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **os.environ,
        **env_vars,
        "MONITOR_CONFIG": str(config),
        "MONITOR_ARCHIVE": str(data / "archive.db"),
        "PATH": f"{installed}:{os.environ['PATH']}",
    }
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(
        [str(installed / cmd[0]), *cmd[1:]],
        env=env,
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            time.sleep(1)
            assert proc.poll() is None, proc.stdout.read()
            if (data / "archive.db").exists():
                try:
                    with sqlite3.connect(data / "archive.db") as db:
                        count = db.execute("SELECT count(*) FROM articles").fetchone()[0]
                except sqlite3.OperationalError:
                    count = 0
            if count >= 7:
                break
        assert count == 7
        check = subprocess.run(
            [str(installed / health[0]), *health[1:]],
            env=env,
            cwd=data,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "daemon stopped" in out
    assert "status=ok" in out  # one structured log line per poll
    # the installed package carries its templates and demo site
    demo = subprocess.run(
        [str(installed / "monitor"), "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0 and "Liver metastases siphon off T cells" in demo.stdout
