"""Shared fixtures: the demo site on a real local HTTP server, configs and archives on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.demo import demo_config_text
from monitor.demo.server import SiteServer
from monitor.demo.site import build_site

# the daemon tests poll a local site every few seconds; a configuration otherwise refuses
# intervals under one minute (tests/test_config.py checks that with its own environment)
os.environ.setdefault("MONITOR_MIN_INTERVAL", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Replace ``owner.name`` with a wrapper that counts its calls; the count is ``[0]`` of the
    returned list (read it as the test goes)."""
    calls = [0]
    inner = getattr(owner, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def shared(*parts: str) -> Path:
    """A path under ../shared, the project's shared test data (real pages, feeds, seeds).

    When it is missing, the calling test is skipped on a developer's machine and FAILS in CI
    (CI=true), where .ci/run promises the data: a test that needs it must never pass by
    skipping there. Call it inside the test or fixture, not at import time.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        msg = f"shared test data missing: {path}"
        if in_ci():
            pytest.fail(f"{msg} (CI=true: tests that need ../shared fail instead of skipping)")
        pytest.skip(msg)
    return path


@pytest.fixture
def site():
    """The bundled sample site (4 outlets, feeds + article pages) on 127.0.0.1."""
    with SiteServer(build_site) as server:
        yield server


@pytest.fixture
def config_file(tmp_path, site):
    """A config for the sample site, archive in tmp_path; returns the config path."""
    path = tmp_path / "sources.toml"
    path.write_text(demo_config_text(site.base, tmp_path / "archive.db"), encoding="utf-8")
    return path
