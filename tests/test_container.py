"""Container smoke test: what the Dockerfile and compose.yaml do, without a Docker engine.

Builds the wheel, installs it with the browse extra into a fresh virtual environment (as the
image does), runs the image's CMD (`monitor run`, the daemon) with the image's environment and
a channel from MONITOR_* variables against the local sample site, checks its HEALTHCHECK
command, stops it with SIGTERM, sends a digest through the environment's webhook channel, and
runs compose's browse service command on the same archive. The static checks read the
Dockerfile, .dockerignore and compose.yaml themselves.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest
import yaml

from monitor.demo import demo_config_text
from tests.endpoints import WebhookEndpoint

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _dockerfile_command(keyword: str) -> list[str]:
    m = re.search(rf"^{keyword}\b.*?(\[.*\])\s*$", DOCKERFILE, re.M)
    assert m, f"Dockerfile has no {keyword} in exec form"
    return json.loads(m.group(1))


def _dockerfile_env() -> dict[str, str]:
    m = re.search(r"^ENV (.*?)(?:\n(?!\s))", DOCKERFILE, re.M | re.S)
    pairs = re.findall(r"(\w+)=(\S+)", m.group(1).replace("\\\n", " "))
    return dict(pairs)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


# ------------------------------------------------------------------ static checks
def test_base_image_is_pinned_by_digest_on_the_python_of_ci():
    m = re.search(
        r"^ARG PYTHON_IMAGE=python:(\d+)\.(\d+)-slim@sha256:([0-9a-f]{64})$", DOCKERFILE, re.M
    )
    assert m, "the base image must be python:X.Y-slim pinned by a sha256 digest"
    assert (int(m.group(1)), int(m.group(2))) == sys.version_info[:2] == (3, 11)
    froms = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert froms and all(f == "${PYTHON_IMAGE}" for f in froms)
    # Datasette is in the image: the wheel is installed with the browse extra
    assert '"monitor[browse]"' in DOCKERFILE and '".[browse]"' in DOCKERFILE
    assert _dockerfile_env()["MONITOR_CONTAINER"] == "1"


def test_dockerignore_keeps_the_context_small_but_complete():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "tests", "docs", ".env"} <= ignored
    copied = re.findall(r"^COPY (?!--from)(.+?) \S+$", DOCKERFILE, re.M)
    sources = {s for line in copied for s in line.split()}
    assert sources == {
        "pyproject.toml",
        "README.md",
        "monitor",
        "storage",
        "alerts",
        "sources.toml",
    }
    assert not sources & ignored


def test_compose_runs_daemon_and_browse_on_one_volume_with_channels_from_env():
    compose = _compose()
    daemon, browse = compose["services"]["daemon"], compose["services"]["browse"]
    assert daemon["command"] == ["monitor", "run"]
    assert browse["command"][:2] == ["monitor", "browse"] and "0.0.0.0" in browse["command"]
    assert daemon["volumes"] == browse["volumes"] == ["monitor-data:/data"]
    assert "monitor-data" in compose["volumes"]
    assert browse["ports"] == ["127.0.0.1:8001:8001"]  # not published beyond the host
    # every variable compose passes is one the product reads (monitor/envchannels.py)
    source = (ROOT / "monitor" / "envchannels.py").read_text()
    names = set(daemon["environment"])
    assert names >= {"MONITOR_SLACK_WEBHOOK_URL", "MONITOR_WEBHOOK_URL", "MONITOR_SMTP_HOST"}
    for name in names:
        assert f'"{name.removeprefix("MONITOR_")}"' in source, name
    example = (ROOT / ".env.example").read_text()
    assert all(f"{n}=" in example for n in names)


# ------------------------------------------------------------------ the image, emulated
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
    (wheel,) = wheels.glob("*.whl")
    subprocess.run([*pip, f"monitor[browse] @ {wheel.as_uri()}"], check=True, timeout=900)
    return env_dir / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_image_runs_daemon_health_channels_and_browse(installed, site, tmp_path):
    cmd = _dockerfile_command("CMD")
    health = _dockerfile_command("HEALTHCHECK.*CMD")
    env_vars = _dockerfile_env()
    assert cmd == ["monitor", "run"] and env_vars["MONITOR_ARCHIVE"].startswith("/data/")

    config = tmp_path / "etc/sources.toml"
    config.parent.mkdir()
    config.write_text(demo_config_text(site.base, Path("/not/used.db")).replace('"5m"', '"10s"'))
    data = tmp_path / "data"
    data.mkdir()
    with WebhookEndpoint() as hook:
        env = {
            **os.environ,
            **env_vars,
            "MONITOR_CONFIG": str(config),
            "MONITOR_ARCHIVE": str(data / "archive.db"),
            "MONITOR_WEBHOOK_URL": hook.url,
            "MONITOR_WEBHOOK_TOKEN": "s3cret-token",
            "PATH": f"{installed}:{os.environ['PATH']}",
        }
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
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
        assert "daemon stopped" in out and "1 channels" in out  # the env's webhook channel
        assert "status=ok" in out  # one structured log line per poll
        assert "s3cret-token" not in out
        stopped = subprocess.run(
            [str(installed / health[0]), *health[1:]], env=env, cwd=data, capture_output=True
        )
        assert stopped.returncode == 1  # the HEALTHCHECK fails once the daemon has stopped
        # `docker compose exec daemon monitor digest --channel webhook`
        sent = subprocess.run(
            [str(installed / "monitor"), "digest", "--channel", "webhook"],
            env=env,
            cwd=data,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stderr
        assert len(hook.received) == 1 and len(hook.received[0]["stories"]) == 3
        assert hook.headers[0]["Authorization"] == "Bearer s3cret-token"
        assert all(s["evidence"]["label"] for s in hook.received[0]["stories"])

    # compose's browse service, on the same archive
    browse_cmd = _compose()["services"]["browse"]["command"]
    port = _free_port()
    browse_cmd = [*browse_cmd[:-1], str(port)]
    browse_cmd[browse_cmd.index("0.0.0.0")] = "127.0.0.1"  # tests talk only to loopback
    server = subprocess.Popen(
        [str(installed / browse_cmd[0]), *browse_cmd[1:]],
        env=env,
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "browse did not answer within 60 s"
            time.sleep(0.3)
        # the stories a reader browses (the story_index view): 5, whatever order the polls
        # finished in; the raw table may also hold stubs of stories merged into one of them
        # (kept so that links in digests already sent still resolve)
        stories = httpx.get(f"{base}/archive/story_index.json?_shape=array", timeout=10).json()
        assert len(stories) == 5
        raw = httpx.get(f"{base}/archive/stories.json?_shape=array", timeout=10).json()
        live = {s["id"] for s in stories}
        assert {s["id"] for s in raw if s["merged_into"] is None} == live
        assert all(s["merged_into"] in live for s in raw if s["merged_into"] is not None)
        page = httpx.get(f"{base}/archive/stories/{stories[0]['id']}", timeout=10)
        assert page.status_code == 200 and stories[0]["title"] in page.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    # an install hint in the image names the image rebuild; from the wheel, the wheel
    kind = subprocess.run(
        [str(installed / "python"), "-c", "from monitor import install; print(install.detect())"],
        env={**env, "MONITOR_CONTAINER": ""},
        cwd=data,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "kind='wheel'" in kind and ".whl" in kind
    # the installed package carries its templates and demo site
    demo = subprocess.run(
        [str(installed / "monitor"), "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0 and "Liver metastases siphon off T cells" in demo.stdout
