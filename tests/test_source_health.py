"""Per-source health through the pipeline: backoff after errors, disabling after N days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from monitor import config as config_mod
from monitor.cli import cli
from monitor.fetch import Fetcher
from monitor.pipeline import Pipeline, fetch_settings
from storage.archive import Archive


def test_failing_source_backs_off_then_is_disabled_and_reported(tmp_path, site):
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        f'[storage]\npath = "archive.db"\n[fetch]\nallow_private = true\nper_host_delay = 0\n'
        f'disable_after_days = 3\n[[sources]]\nname = "Gone"\nurl = "{site.base}/gone/feed.xml"\n'
        f'interval = "30m"\n'
    )
    config = config_mod.load(cfg)
    t0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    now = [t0]
    waits = []
    with Archive(config.storage_path) as archive:
        pipeline = Pipeline(config, archive, clock=lambda: now[0])
        source = config.sources[0]

        async def poll():
            async with Fetcher(fetch_settings(config)) as f:
                return await pipeline.poll(source, f)

        for _ in range(6):
            result = asyncio.run(poll())
            state = archive.source_state("Gone")
            if result.status == "disabled" or state is not None and state.disabled_reason:
                break
            assert result.status == "error" and "404" in result.error
            assert state is not None and state.next_poll_at is not None
            nxt = state.next_poll_at
            waits.append((nxt - now[0]).total_seconds())
            now[0] = nxt + timedelta(days=0.5)
        assert waits[1] > waits[0] * 1.4  # exponential backoff (with jitter)
        state = archive.source_state("Gone")
        assert state is not None and state.disabled_reason and "404" in state.disabled_reason
        requests_before = len(site.requests)
        assert asyncio.run(poll()).status == "disabled"
        assert len(site.requests) == requests_before  # a disabled source is not fetched
    out = CliRunner().invoke(cli, ["--config", str(cfg), "sources"]).output
    assert "DISABLED Gone" in out and "monitor sources --enable" in out
    res = CliRunner().invoke(cli, ["--config", str(cfg), "sources", "--enable", "Gone"])
    assert res.exit_code == 0 and "DISABLED" not in res.stdout
