"""`monitor demo`: the whole product on a bundled offline sample site, in one command."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from monitor.demo.content import OUTLETS
from monitor.demo.server import SiteServer
from monitor.demo.site import build_site, feed_path

TOPICS_FILE = Path(__file__).with_name("topics.toml")


def demo_config_text(base: str, storage: Path) -> str:
    """A complete sources.toml for the demo site at `base` (loopback, so allow_private)."""
    lines = [
        "[storage]",
        f'path = "{storage.as_posix()}"',
        "",
        "[fetch]",
        "allow_private = true      # the demo site is on 127.0.0.1",
        "per_host_delay = 0",
        'interval = "5m"',
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
    return "\n".join(lines)


def run_demo(keep: str | None = None, fmt: str = "text") -> str:
    from alerts import digest, render
    from monitor import config as config_mod
    from monitor.pipeline import Pipeline
    from storage.archive import Archive

    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "demo-archive.db"
        if db.exists():
            db.unlink()
        with SiteServer(build_site) as server:
            cfg_path = folder / "demo-sources.toml"
            cfg_path.write_text(demo_config_text(server.base, db), encoding="utf-8")
            config = config_mod.load(cfg_path)
            with Archive(config.storage_path, max_bytes=config.storage_max_bytes) as archive:
                results = asyncio.run(Pipeline(config, archive).poll_all())
                d = digest.build(archive, topics=None, now=datetime.now(UTC))
                counts = archive.counts()
        out = render.render(d, fmt)
        if fmt != "text":
            return out
        errors = [r for r in results if r.status == "error"]
        head = [
            f"monitor demo — a sample site of {len(OUTLETS)} outlets served on {server.base}",
            f"polled {len(results)} feeds ({len(errors)} failed): {counts['articles']} articles "
            f"archived as {counts['stories']} stories; {len(d.items)} matched the topic.",
        ]
        head += [f"  error: {r.source}: {r.error}" for r in errors]
        if keep:
            head.append(f"archive kept at {db} (config {cfg_path})")
        return "\n".join(head) + "\n\n" + out
