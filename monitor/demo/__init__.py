"""`monitor demo`: the whole product on a bundled offline sample site, in one command.

monitor demo                  poll the sample site, print the digest, clean up
monitor demo --keep DIR       the same, and keep a working demo in DIR: the site's files, a
                              config whose [demo] table serves them whenever monitor runs
                              with it, and the archive
monitor demo --serve          keep the site and a webhook receiver running until Ctrl-C, and
                              print the commands to try next (with --keep DIR: in DIR)
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.demo.content import OUTLETS
from monitor.demo.server import SiteServer, free_port
from monitor.demo.services import TOKEN, HookReceiver, folder_site, write_site
from monitor.demo.site import build_site, feed_path

TOPICS_FILE = Path(__file__).with_name("topics.toml")
CONFIG_NAME = "demo-sources.toml"
ARCHIVE_NAME = "demo-archive.db"
HOOK_CHANNEL = "demo-hook"


def demo_config_text(
    base: str,
    storage: Path,
    *,
    site: Path | None = None,
    port: int | None = None,
    hook_port: int | None = None,
) -> str:
    """A complete sources.toml for the demo site at `base` (loopback, so allow_private).

    With `site` and `port`, a [demo] table makes monitor serve the site's files itself; with
    `hook_port`, a webhook channel posts digests to a local receiver that prints them.
    """
    lines = [
        "# monitor demo: a sample site of four outlets on this machine (see README, Quick start).",
        "[storage]",
        f'path = "{storage.as_posix()}"',
        "",
        "[fetch]",
        "allow_private = true      # the demo site is on 127.0.0.1",
        "per_host_delay = 0",
        'interval = "5m"',
        "",
    ]
    if site is not None and port is not None:
        lines += [
            "# monitor serves the sample site's files on 127.0.0.1 while it runs with this config",
            "# (and a webhook receiver that prints each digest it gets).",
            "[demo]",
            f'site = "{site.as_posix()}"',
            f"port = {port}",
            *([f"hook_port = {hook_port}"] if hook_port else []),
            "",
        ]
    for key, outlet in OUTLETS.items():
        lines += [
            "[[sources]]",
            f'name = "{outlet["name"]}"',
            f'url = "{base}{feed_path(key)}"',
            f'tags = ["{outlet["kind"]}"]',
            "",
        ]
    lines.append(TOPICS_FILE.read_text(encoding="utf-8"))
    if hook_port:
        lines += [
            "",
            "[[channels]]",
            f'name = "{HOOK_CHANNEL}"',
            'type = "webhook"',
            f'url = "http://127.0.0.1:{hook_port}/hook"',
            'topics = ["liver-metastases-immunotherapy"]',
            'schedule = "*/15 * * * *"',
            "",
        ]
    return "\n".join(lines)


@dataclass
class DemoRun:
    folder: Path
    config: Path
    archive: Path
    base: str
    hook_url: str | None
    text: str  # what the demo printed: the poll summary and the digest


def _prepare(folder: Path, hook: bool) -> tuple[Path, int, int | None]:
    site_dir = folder / "site"
    if site_dir.exists():
        shutil.rmtree(site_dir)
    write_site(site_dir, build_site(TOKEN))
    db = folder / ARCHIVE_NAME
    for extra in ("", "-wal", "-shm", ".heartbeat"):
        Path(str(db) + extra).unlink(missing_ok=True)
    port = free_port()
    hook_port = free_port() if hook else None
    cfg = folder / CONFIG_NAME
    cfg.write_text(
        demo_config_text(
            f"http://127.0.0.1:{port}",
            Path(ARCHIVE_NAME),
            site=Path("site"),
            port=port,
            hook_port=hook_port,
        ),
        encoding="utf-8",
    )
    return cfg, port, hook_port


def _poll_and_digest(cfg_path: Path, fmt: str, base: str) -> str:
    from alerts import digest, render
    from monitor import config as config_mod
    from monitor.pipeline import Pipeline
    from storage.archive import Archive

    config = config_mod.load(cfg_path)
    with Archive(config.storage_path, max_bytes=config.storage_max_bytes) as archive:
        # channels exist before the first poll, so their first digest holds the demo's stories
        before = datetime.now(UTC) - timedelta(minutes=1)
        for c in config.channels:
            archive.ensure_channel(c.name, c.type, before)
        with Pipeline(config, archive) as pipeline:
            results = asyncio.run(pipeline.poll_all())
        d = digest.build(archive, topics=None, now=datetime.now(UTC))
        counts = archive.counts()
    out = render.render(d, fmt)
    if fmt != "text":
        return out
    errors = [r for r in results if r.status == "error"]
    head = [
        f"monitor demo — a sample site of {len(OUTLETS)} outlets served on {base}",
        f"polled {len(results)} feeds ({len(errors)} failed): {counts['articles']} articles "
        f"archived as {counts['stories']} stories; {len(d.items)} matched the topic.",
    ]
    head += [f"  error: {r.source}: {r.error}" for r in errors]
    return "\n".join(head) + "\n\n" + out


def next_steps(cfg: Path, site_base: str, hook_url: str | None, serving: bool) -> str:
    c = f"monitor --config {cfg}"
    lines = [
        "",
        "What to try next"
        + (" (in another terminal; Ctrl-C here stops the demo):" if serving else ":"),
        f"  {c} sources                 # the four outlets and their health",
        f"  {c} digest                  # the digest again; --format html or json",
    ]
    if hook_url:
        lines.append(
            f"  {c} digest --channel {HOOK_CHANNEL}   # send it to the webhook receiver"
            + (" (printed here)" if serving else "")
        )
    lines += [
        f"  {c} topics backtest liver-metastases-immunotherapy",
        f"  {c} run --once              # poll again (nothing new: every entry is archived)",
        f"  {c} run                     # the daemon; Ctrl-C stops it",
        f"  {c} browse                  # the archive in Datasette (needs the browse extra)",
        f"  {c} health                  # ok while the daemon runs",
        "",
        f"Sample site: {site_base}/wire/feed.xml and three more feeds",
    ]
    if hook_url:
        lines.append(f"Webhook receiver: {hook_url}")
    return "\n".join(lines)


def run_demo(
    keep: str | None = None,
    fmt: str = "text",
    serve: bool = False,
    echo: Callable[[str], None] = print,
    wait: Callable[[], None] | None = None,
) -> DemoRun:
    """Run the demo; with `serve`, keep the site and the receiver up until `wait` returns
    (by default: until Ctrl-C)."""
    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
        folder = (Path(keep) if keep else Path(tmp)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        cfg, port, hook_port = _prepare(folder, hook=bool(serve or keep))
        with SiteServer(folder_site(folder / "site"), port=port) as server:
            receiver = HookReceiver(hook_port, out=echo) if hook_port else None
            if receiver:
                receiver.__enter__()
            try:
                text = _poll_and_digest(cfg, fmt, server.base)
                run = DemoRun(
                    folder,
                    cfg,
                    folder / ARCHIVE_NAME,
                    server.base,
                    receiver.url if receiver else None,
                    text,
                )
                echo(text)
                if fmt != "text":
                    return run
                if keep:
                    echo(
                        f"\nKept in {folder}: the config {cfg.name}, the archive {ARCHIVE_NAME} "
                        "and the sample site's files (site/). monitor serves the site itself "
                        "whenever it runs with this config."
                    )
                if serve:
                    echo(next_steps(cfg, server.base, run.hook_url, serving=True))
                    echo("\nThe demo is running. Press Ctrl-C to stop it.")
                    try:
                        (wait or _forever)()
                    except KeyboardInterrupt:
                        pass
                    echo("demo stopped" + (f"; kept in {folder}" if keep else ""))
                elif keep:
                    echo(next_steps(cfg, server.base, run.hook_url, serving=False))
                return run
            finally:
                if receiver:
                    receiver.__exit__(None, None, None)


def _forever() -> None:
    while True:
        time.sleep(3600)
