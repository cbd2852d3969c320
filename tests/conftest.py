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
