"""Install hints name a command that works for how monitor was installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from monitor import install
from monitor.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def test_extra_packages_come_from_the_installed_metadata():
    assert any(r.startswith("datasette") for r in install.requirements("browse"))
    assert install.requirements("no-such-extra") == []


def test_checkout_hint_installs_the_checkout_into_this_interpreter():
    # run outside the checkout, as a user would: the editable install's own record decides
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from monitor import install; print(install.detect().kind);"
            "print(install.hint('browse'))",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    ).stdout
    kind, _, text = out.partition("\n")
    assert kind in ("editable", "source")
    assert f"{sys.executable} -m pip install -e '{ROOT}[browse]'" in text
    assert "'monitor[browse]'" not in text  # "monitor" on the index is another project


def test_wheel_and_container_hints():
    wheel = install.Installation("wheel", "/opt/dist/monitor-0.1.0-py3-none-any.whl")
    text = install.hint("browse", inst=wheel)
    assert "'monitor[browse] @ file:///opt/dist/monitor-0.1.0-py3-none-any.whl'" in text
    assert "datasette" in text
    text = install.hint("browse", inst=install.Installation("container"))
    assert "rebuild" in text and "Dockerfile" in text
    index = install.hint("browse", inst=install.Installation("index"))
    assert index.startswith(f"{sys.executable} -m pip install 'datasette")


def test_browse_without_datasette_names_the_command(config_file, monkeypatch):
    from monitor import browse

    monkeypatch.setattr(browse, "datasette_available", lambda: False)
    res = CliRunner().invoke(cli, ["--config", str(config_file), "browse"])
    assert res.exit_code == 1
    assert "-m pip install" in res.output and "datasette" in res.output
    assert "pip install 'monitor[browse]'" not in res.output
