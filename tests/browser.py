"""Headless Chromium for tests that look at what a person sees (Debian's chromium package)."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip outside CI when Chromium is missing; in CI (.ci/run installs it) fail instead."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium package")
    pytest.skip("Chromium not installed (apt-get install chromium)")


@contextmanager
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="monitor-chromium-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS
        )
        try:
            yield ctx
        finally:
            ctx.close()


def screenshot_dir(tmp_path) -> os.PathLike:
    """Where screenshots go: docs/screenshots/ with UPDATE_SCREENSHOTS=1, else the test's tmp dir.

    (Writing into docs/ on every run would leave modified images in every checkout.)
    """
    from pathlib import Path

    if os.environ.get("UPDATE_SCREENSHOTS"):
        folder = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path
