"""The `monitor` command: thin click wrappers over the library. Parse arguments, call, print."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor import config as config_mod
from monitor import logsafe
from monitor.config import Config, ConfigError
from monitor.errors import MonitorError

log = logging.getLogger("monitor")


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    if quiet:
        level = logging.ERROR
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)
    logsafe.install()  # every record of every library, masked (monitor/logsafe.py)


def parse_when(value: str | None) -> datetime | None:
    """'2026-11-01', an ISO timestamp, or a duration ago such as '7d', '12h'."""
    if not value:
        return None
    try:
        return datetime.now(UTC) - timedelta(seconds=config_mod.parse_duration(value))
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use a date (2026-11-01), an ISO time or a duration ago (7d, 12h)"
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Ctx:
    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None
        self._matcher = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = config_mod.load(self.config_path)
            except ConfigError as e:
                raise click.ClickException(logsafe.mask(str(e))) from None
            logsafe.register(self._config.secrets())
            for s in self._config.sources:
                logsafe.register(logsafe.url_secrets(s.url))
            if self._config.demo is not None:  # a kept demo: serve its sample site
                from monitor.demo.services import DemoError, ensure_running

                try:
                    ensure_running(self._config.demo)
                except DemoError as e:
                    raise click.ClickException(str(e)) from None
        return self._config

    def archive(self, read_only: bool = False, sync_topics: bool = True):
        from storage.archive import Archive

        path = self.config.storage_path
        if read_only and not path.exists():
            raise click.ClickException(f"no archive at {path} yet; run `monitor run --once` first")
        try:
            archive = Archive(path, read_only=read_only, max_bytes=self.config.storage_max_bytes)
        except MonitorError as e:
            raise click.ClickException(str(e)) from None
        if not read_only:
            try:
                archive.sync_sources(self.config.sources)
                for c in self.config.channels:
                    archive.ensure_channel(c.name, c.type)
                if sync_topics:
                    self.sync_topics(archive)
            except BaseException:
                archive.close()
                raise
        return archive

    def matcher(self):
        from monitor.pipeline import compile_topics

        if self._matcher is None:
            try:
                self._matcher = compile_topics(self.config)
            except ValueError as e:
                raise click.ClickException(f"{self.config.path}: [[topics]]: {e}") from None
        return self._matcher

    def sync_topics(self, archive, verbose: bool = False) -> list:
        """Re-match the archive for new or changed topics (and for articles stored since the
        last sync), so that feed, browse and digests agree with `topics backtest`."""
        results = archive.sync_topics(self.matcher(), progress=_rematch_progress)
        for r in results:
            if verbose or r.added or r.removed or r.changed or not r.reason.startswith("articles"):
                click.echo(r.line(), err=True)
        return results


pass_ctx = click.make_pass_decorator(Ctx)


def _warn_stale_topics(obj: Ctx) -> None:
    """Before a read-only command: name the topics whose stored matches are out of date."""
    from storage.archive import Archive

    path = obj.config.storage_path
    if not path.exists():
        return
    try:
        with Archive(path, read_only=True) as archive:
            stale = archive.stale_topics(obj.matcher().definitions())
    except Exception:  # an archive too old or unreadable: the command itself says so
        return
    changed = [t for t, why in stale.items() if not why.startswith("articles")]
    if changed:
        click.echo(
            f"topics changed since the archive was matched: {', '.join(changed)}; "
            "`monitor topics apply` (or the daemon's next start) re-matches it",
            err=True,
        )


def _rematch_progress(topics: str, done: int, total: int) -> None:
    if sys.stderr.isatty() and total >= 1000:
        click.echo(f"\rre-matching {topics}: {done}/{total} articles", err=True, nl=done == total)


class _Group(click.Group):
    """Prints the product's own errors (an archive that cannot be read or written, a bad
    configuration...) as one line, for every command; a bug still shows its traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except MonitorError as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="MONITOR_CONFIG",
    type=click.Path(dir_okay=False),
    help="Configuration file (default ./sources.toml, or $MONITOR_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """Medical news monitor: poll feeds, extract articles, group stories, match topics, send digests."""
    _setup_logging(verbose, quiet)
    ctx.obj = Ctx(config_path)


# ---------------------------------------------------------------------- run
@cli.command()
@click.option(
    "--once", is_flag=True, help="Poll every enabled source once, process new articles, exit."
)
@click.option("--source", "only", multiple=True, help="Only this source (repeatable; with --once).")
@click.option("--stop-after", type=float, hidden=True, help="Daemon: stop after N seconds (tests).")
@pass_ctx
def run(obj: Ctx, once: bool, only: tuple[str, ...], stop_after: float | None) -> None:
    """Poll sources (with --once) or run the daemon: sources on intervals, channels on cron."""
    config = obj.config
    if once:
        results = poll_once(obj, only)
        errors = [r for r in results if r.status in ("error", "disabled")]
        new = sum(r.new_articles for r in results)
        recovered = sum(r.pages_recovered for r in results)
        click.echo(
            f"polled {len(results)} sources: {new} new articles, {len(errors)} failed"
            + (f", {recovered} pages fetched on a retry" if recovered else ""),
            err=True,
        )
        for r in errors:
            click.echo(logsafe.mask(f"  {r.source} ({r.url}): {r.error}"), err=True)
        if results and len(errors) == len(results):
            # cron and container health checks must notice a run where nothing worked
            click.echo(f"all {len(errors)} sources failed", err=True)
            sys.exit(1)
        return
    from monitor.scheduler import Daemon

    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)  # the daemon logs one line per poll
    obj.archive().close()  # validate and migrate before the daemon starts
    asyncio.run(Daemon(config, stop_after=stop_after).run())


def poll_once(obj: Ctx, only: tuple[str, ...] = ()) -> list:
    from monitor.pipeline import Pipeline

    config = obj.config
    sources = [s for s in config.sources if s.enabled and (not only or s.name in only)]
    unknown = set(only) - {s.name for s in config.sources}
    if unknown:
        raise click.ClickException(f"no source named {', '.join(sorted(unknown))} in {config.path}")
    show = sys.stderr.isatty()
    bar = (
        click.progressbar(length=len(sources), label="polling", file=sys.stderr, show_pos=True)
        if show
        else None
    )
    counts = {"articles": 0, "errors": 0}

    def progress(event: str, info: dict) -> None:
        if event == "article":
            counts["articles"] += 1
        elif event == "source":
            if info["result"].status == "error":
                counts["errors"] += 1
            if bar is not None:
                bar.label = f"sources · {counts['articles']} articles · {counts['errors']} errors"
                bar.update(1)

    with obj.archive() as archive:
        try:
            pipeline = Pipeline(config, archive, progress=progress)
        except ValueError as e:  # a query that does not compile, for instance
            raise click.ClickException(str(e)) from None
        with pipeline:  # its CPU worker processes stop with the run
            if bar is not None:
                with bar:
                    return asyncio.run(pipeline.poll_all(sources))
            return asyncio.run(pipeline.poll_all(sources))


# ------------------------------------------------------------------- digest
@cli.command()
@click.option("--channel", help="Build and send this channel's digest (unless --dry-run).")
@click.option("--since", help="Stories first seen since (date, ISO time or '7d').")
@click.option(
    "--dry-run", is_flag=True, help="Print the digest instead of sending; records nothing."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text")
@pass_ctx
def digest(obj: Ctx, channel: str | None, since: str | None, dry_run: bool, fmt: str) -> None:
    """Build a digest; with --channel (and no --dry-run) send it and record the delivery."""
    from alerts import deliver, render
    from alerts import digest as digest_mod

    config = obj.config
    now = datetime.now(UTC)
    when = parse_when(since)
    if channel is None:
        with obj.archive() as archive:
            d = digest_mod.build(archive, topics=None, now=now, since=when)
        click.echo(render.render(d, fmt, config.alerts.templates_dir))
        return
    try:
        ch = config.channel(channel)
    except KeyError:
        names = ", ".join(c.name for c in config.channels) or "none configured"
        raise click.ClickException(
            f"no channel named {channel!r} in {config.path} ({names})"
        ) from None
    with obj.archive() as archive:
        result = deliver.run_channel(
            config, archive, ch, now=now, since=when, dry_run=dry_run, retry_all_pending=True
        )
    if dry_run:
        click.echo(render.render(result.preview, fmt, config.alerts.templates_dir))
        return
    if result.skipped_empty and not result.sent:
        click.echo(f"{channel}: nothing new to send", err=True)
    for did in result.sent:
        click.echo(f"{channel}: sent digest {did}", err=True)
    for did, reason in result.failed:
        click.echo(f"{channel}: digest {did}: {reason}", err=True)
    if result.failed:
        sys.exit(1)


@cli.command()
@click.option("--channel", help="Only this channel.")
@click.option("--limit", default=30, show_default=True)
@pass_ctx
def deliveries(obj: Ctx, channel: str | None, limit: int) -> None:
    """The delivery log: each digest, then each recipient and message part with its state,
    attempts and last error (pending, sent, or failed for good)."""
    from alerts import report

    with obj.archive() as archive:
        rows = archive.deliveries(channel, limit)
    for line in report.lines(rows):
        click.echo(line)


@cli.command()
@click.argument("topic")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default stdout)."
)
@click.option("--limit", default=100, show_default=True, help="Newest stories to include.")
@pass_ctx
def feed(obj: Ctx, topic: str, output: str | None, limit: int) -> None:
    """Write an Atom feed of the stories TOPIC matched, for reading alerts in a feed reader."""
    from alerts import digest as digest_mod
    from alerts import render

    names = [t.name for t in obj.config.topics]
    if topic not in names:
        raise click.ClickException(f"no topic {topic!r}; topics: {', '.join(names)}")
    now = datetime.now(UTC)
    with obj.archive() as archive:
        d = digest_mod.build(archive, topics=[topic], now=now)
    items = sorted(d.items, key=lambda i: i.first_seen or now, reverse=True)[:limit]
    doc = render.atom_feed(topic, items, now, obj.config.alerts.templates_dir)
    if output:
        Path(output).write_text(doc, encoding="utf-8")
        click.echo(f"wrote {len(items)} stories to {output}", err=True)
    else:
        click.echo(doc)


# ------------------------------------------------------------------ extract
@cli.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the whole Article as JSON.")
@pass_ctx
def extract(obj: Ctx, target: str, as_json: bool) -> None:
    """Extract the article of one page (URL or local file) and print its title and text."""
    from monitor import extract as extract_mod

    if target.startswith(("http://", "https://")):
        from monitor.fetch import Fetcher, FetchError

        settings = obj.config.fetch if _has_config(obj) else _default_fetch_settings()

        async def get():
            async with Fetcher(settings) as f:
                return await f.get_page(target)

        try:
            page = asyncio.run(get())
        except FetchError as e:
            raise click.ClickException(str(e)) from None
        html, url, ctype = page.body, page.url, page.headers.get("content-type")
    else:
        try:
            html, url, ctype = Path(target).read_bytes(), None, None
        except OSError as e:
            raise click.ClickException(f"cannot read {target}: {e}") from None
    article = extract_mod.extract(html, url, content_type=ctype)
    if as_json:
        click.echo(json.dumps(extract_mod.article_as_dict(article), indent=2, ensure_ascii=False))
        return
    click.echo(article.title)
    click.echo("=" * min(len(article.title), 80))
    click.echo()
    click.echo(article.text or f"(no text: {article.reason})")


def _has_config(obj: Ctx) -> bool:
    return bool(obj.config_path) or Path(config_mod.DEFAULT_CONFIG).exists()


def _default_fetch_settings():
    from monitor.settings import FetchSettings

    return FetchSettings()


# ------------------------------------------------------------------ sources
@cli.command()
@click.option(
    "--enable", "enable", metavar="NAME", help="Re-enable a source disabled after failing."
)
@pass_ctx
def sources(obj: Ctx, enable: str | None) -> None:
    """Sources with their health: last poll and success, failures, next poll, articles."""
    from storage.rows import SourceUpdate

    with obj.archive() as archive:
        if enable:
            if archive.source_state(enable) is None:
                raise click.ClickException(f"no source named {enable!r} in {obj.config.path}")
            archive.update_source(
                enable,
                SourceUpdate(
                    disabled_reason=None,
                    consecutive_failures=0,
                    first_failure_at=None,
                    next_poll_at=None,
                    last_status="enabled",
                ),
            )
            click.echo(f"{enable}: enabled; it is polled at the next run", err=True)
        rows = archive.sources_overview()
    _table(
        # a shallow dict per row: asdict deep-copies every value (7 s of 10 for 10,000 sources)
        [{f.name: getattr(r, f.name) for f in dataclasses.fields(r)} for r in rows],
        [
            "name",
            "last_status",
            "last_poll_at",
            "last_success_at",
            "consecutive_failures",
            "next_poll_at",
            "articles",
            "last_error",
        ],
        headers={"consecutive_failures": "failures", "last_status": "status"},
    )
    for r in rows:
        if r.disabled_reason:
            click.echo(logsafe.mask(f"\nDISABLED {r.name} ({r.url}): {r.disabled_reason}"))


@cli.command()
@click.option("--max-age", default="3m", show_default=True, help="Oldest acceptable heartbeat.")
@pass_ctx
def health(obj: Ctx, max_age: str) -> None:
    """Exit 0 if the daemon is running: its heartbeat is fresh and its process alive.

    The container's HEALTHCHECK. Fails once the daemon has stopped (a clean stop removes the
    heartbeat; a killed one leaves a file that names a dead process or grows stale).
    """
    from monitor import heartbeat
    from monitor.scheduler import heartbeat_path

    try:
        beat = heartbeat.check(heartbeat_path(obj.config), config_mod.parse_duration(max_age))
    except heartbeat.Unhealthy as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"ok: heartbeat {beat.age:.0f}s old" + (f" (pid {beat.pid})" if beat.pid else ""))


@cli.command()
@click.argument("url")
@click.option("--name", help="Source name (default: the feed's title).")
@click.option("--interval", help="Polling interval, e.g. 30m (default: [fetch] interval).")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@pass_ctx
def add(obj: Ctx, url: str, name: str | None, interval: str | None, tags: tuple[str, ...]) -> None:
    """Find the feed of a site page (or take a feed URL) and append it to the config."""
    from monitor.fetch import Fetcher
    from monitor.subscribe import NoFeedFound, find_feed

    config = obj.config

    async def go():
        async with Fetcher(config.fetch) as f:
            return await find_feed(f, url)

    try:
        found = asyncio.run(go())
    except NoFeedFound as e:
        raise click.ClickException(str(e)) from None
    if any(s.url == found.url for s in config.sources):
        raise click.ClickException(f"{found.url} is already a source in {config.path}")
    entry = {
        "name": name or found.title or found.url,
        "url": found.url,
        "tags": list(tags),
        "interval": interval,
    }
    names = {s.name for s in config.sources}
    if entry["name"] in names:
        entry["name"] = f"{entry['name']} ({found.url})"
    today = datetime.now(UTC).date().isoformat()
    try:
        config_mod.append_sources(
            config.path, [entry], f"added by `monitor add {url}` on {today} ({found.how})"
        )
    except ConfigError as e:
        raise click.ClickException(f"not added: {e}") from None
    click.echo(f"added {entry['name']!r}: {found.url} ({found.entries} entries; {found.how})")


@cli.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tag", "tags", multiple=True, help="Tag every imported source (repeatable).")
@click.option(
    "--includes/--no-includes",
    default=True,
    show_default=True,
    help="Fetch the lists that the file includes (type=include/link/source outlines).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def import_opml(
    obj: Ctx, file: str, tags: tuple[str, ...], includes: bool, dry_run: bool, as_json: bool
) -> None:
    """Append the feeds of an OPML (or RDF/FOAF) subscription list to the config.

    Folders and categories become tags. Outlines that are not feeds are listed with the
    reason; included lists are fetched (through the same address guard as feeds) or listed.
    """
    from monitor import discover

    config = obj.config
    try:
        result = discover.read_opml(Path(file).read_bytes())
    except discover.NotOpml as e:
        raise click.ClickException(f"{file}: not imported: {e}") from None
    if includes and result.lists:
        from monitor.fetch import Fetcher
        from monitor.pipeline import fetch_settings

        async def follow() -> None:
            async with Fetcher(fetch_settings(config)) as fetcher:

                async def get(url: str) -> bytes:
                    return (await fetcher.get_feed(url)).body

                await discover.follow_lists(result, get)

        asyncio.run(follow())
    for item in result.lists:
        item.status = item.status or "not followed (--no-includes)"
    known_urls = {s.url for s in config.sources}
    names = {s.name for s in config.sources}
    new, already = [], []
    for f in result.feeds:
        if f.url in known_urls:
            already.append(f)
            continue
        name = f.name if f.name not in names else f"{f.name} ({f.url})"
        names.add(name)
        known_urls.add(f.url)
        new.append(
            {"name": name, "url": f.url, "tags": list(dict.fromkeys([*tags, *f.config_tags()]))}
        )
    if new and not dry_run:
        try:
            config_mod.append_sources(
                config.path,
                new,
                f"imported from {Path(file).name} on {datetime.now(UTC).date().isoformat()}",
            )
        except ConfigError as e:
            raise click.ClickException(f"nothing imported: {e}") from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "version": result.version,
                    "imported": [] if dry_run else new,
                    "would_import": new if dry_run else [],
                    "already_configured": [f.url for f in already],
                    "feeds": [vars(f) for f in result.feeds],
                    "lists": [vars(x) for x in result.lists],
                    "skipped": [vars(x) for x in result.skipped],
                    "warnings": result.warnings,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {len(new)} sources into {config.path}; {len(already)} already there")
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if result.lists:
        click.echo(f"included lists ({len(result.lists)}):")
        for item in result.lists:
            click.echo(f"  - {logsafe.mask(item.url)}: {item.status}")
    if result.skipped:
        click.echo(f"skipped outlines ({len(result.skipped)}):")
        for sk in result.skipped:
            where = f" ({logsafe.mask(sk.url)})" if sk.url and sk.url != sk.outline else ""
            click.echo(f"  - {sk.outline!r}{where}: {sk.reason}")


@cli.command("export-opml")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default stdout)."
)
@pass_ctx
def export_opml(obj: Ctx, output: str | None) -> None:
    """Write the configured sources as OPML, for other feed readers.

    Addresses are written masked (``http://***@host/feed``, ``?token=***``): credentials live
    only in the configuration, so add them again in the other reader."""
    from monitor import discover

    records = [
        {"name": s.name, "url": logsafe.mask(s.url), "category": s.tags[0] if s.tags else ""}
        for s in obj.config.sources
    ]
    text = discover.write_opml(records, created=datetime.now(UTC))
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(records)} sources to {output}", err=True)
    else:
        click.echo(text)


@cli.command("check-config")
@pass_ctx
def check_config(obj: Ctx) -> None:
    """Validate the configuration file and compile every topic query."""
    from monitor.pipeline import compile_topics

    config = obj.config
    try:
        compile_topics(config)
    except ValueError as e:
        raise click.ClickException(f"{config.path}: [[topics]]: {e}") from None
    click.echo(
        f"{config.path}: ok — {len(config.sources)} sources "
        f"({sum(s.enabled for s in config.sources)} enabled), {len(config.topics)} topics, "
        f"{len(config.channels)} channels; archive {config.storage_path}"
    )


# ------------------------------------------------------------------ stories
@cli.group(invoke_without_command=True)
@click.option("--limit", default=20, show_default=True)
@click.pass_context
def stories(ctx: click.Context, limit: int) -> None:
    """Recent stories with their copies (see also `stories explain`)."""
    if ctx.invoked_subcommand:
        return
    obj: Ctx = ctx.obj
    with obj.archive() as archive:
        for s in archive.recent_stories(limit):
            click.echo(
                f"story {s.id} · {s.copies} {'copy' if s.copies == 1 else 'copies'} · "
                f"first seen {s.first_seen.isoformat(timespec='seconds')}"
            )
            for a in s.articles:
                mark = "*" if a.id == s.canonical_article_id else " "
                click.echo(f"  {mark} [{a.id}] {a.source}: {a.title}")
                click.echo(f"      {a.canonical_url}")
                if a.story_reason and a.id != s.canonical_article_id:
                    click.echo(f"      joined: {a.story_reason}")


@stories.command("explain")
@click.argument("article_a")
@click.argument("article_b")
@pass_ctx
def stories_explain(obj: Ctx, article_a: str, article_b: str) -> None:
    """Why two articles (id or URL) are, or are not, one story: the score and its evidence
    (term similarity with the shared terms, people and institutions, numbers, title, time)."""
    from monitor import grouping

    with obj.archive() as archive:
        rows = []
        for ref in (article_a, article_b):
            row = archive.find_article(ref)
            if row is None:
                raise click.ClickException(f"no article {ref!r} in the archive (use an id or URL)")
            rows.append(row)
        text = grouping.explain(archive, str(rows[0].id), str(rows[1].id))
    for r in rows:
        click.echo(f"[{r.id}] {r.source}: {r.title}  (story {r.story_id})")
    click.echo()
    click.echo(text)


@stories.command("regroup")
@click.option("--since", help="Only articles fetched since: a date, an ISO time or 7d, 12h.")
@pass_ctx
def stories_regroup(obj: Ctx, since: str | None) -> None:
    """Group the archive's articles again with the current rules.

    Story ids stay where groups do not change; deliveries carry over, so no story is sent twice.
    Run it once without --since after upgrading (the story index is rebuilt from the texts).
    """
    from monitor import grouping

    config = obj.config
    with obj.archive() as archive:
        report = grouping.regroup(
            archive,
            parse_when(since),
            config.stories.window_days,
            {s.name: s.kind for s in config.sources},
        )
    click.echo(
        f"{report.articles} articles: {report.stories_before} stories before, "
        f"{report.stories_after} after; {report.unchanged} unchanged, {report.moved} articles "
        f"moved ({report.seconds:.1f} s)"
    )


# ------------------------------------------------------------------- topics
@cli.group()
def topics() -> None:
    """Test a topic query on a text, a file or a URL; backtest it over the archive."""


@topics.command("test")
@click.argument("name")
@click.option("--text", "text", help="Text to test (the first line is taken as the title).")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False),
    help="A text file, or an HTML page (extracted first).",
)
@click.option("--url", help="A page to fetch and extract.")
@pass_ctx
def topics_test(obj: Ctx, name: str, text: str | None, file: str | None, url: str | None) -> None:
    """Print how topic NAME matches (or fails to match) one article."""
    from monitor import extract as extract_mod
    from monitor.pipeline import compile_topics

    matcher = compile_topics(obj.config)
    if name not in matcher.topics:
        raise click.ClickException(f"no topic {name!r}; topics: {', '.join(matcher.topics)}")
    if sum(x is not None for x in (text, file, url)) != 1:
        raise click.UsageError("give exactly one of --text, --file, --url")
    if url:
        from monitor.fetch import Fetcher, FetchError

        async def get():
            async with Fetcher(obj.config.fetch) as f:
                return await f.get_page(url)

        try:
            page = asyncio.run(get())
        except FetchError as e:
            raise click.ClickException(str(e)) from None
        art = extract_mod.extract(
            page.body, page.url, content_type=page.headers.get("content-type")
        )
        title, body = art.title, art.text
    else:
        raw = Path(file).read_bytes() if file else (text or "").encode()
        if file and raw.lstrip()[:1] == b"<":
            art = extract_mod.extract(raw, None)
            title, body = art.title, art.text
        else:
            s = raw.decode("utf-8", errors="replace")
            title, _, body = s.partition("\n")
    click.echo(matcher.explain(name, title, body))


@topics.command("apply")
@click.argument("names", nargs=-1)
@pass_ctx
def topics_apply(obj: Ctx, names: tuple[str, ...]) -> None:
    """Re-match the archive for topics NAMES (default: the new and changed ones).

    Every command that opens the archive does this for new and changed topics; `apply`
    shows what changed, and with NAMES re-matches those topics even if unchanged. Feed,
    browse and digests then show what `topics backtest` finds. A story newly matched is
    owed to a channel once; a story already sent there is not sent again.
    """
    matcher = obj.matcher()
    unknown = [n for n in names if n not in matcher.topics]
    if unknown:
        raise click.ClickException(
            f"no topic {', '.join(map(repr, unknown))}; topics: {', '.join(matcher.topics)}"
        )
    with obj.archive(sync_topics=False) as archive:
        results = archive.rematch_topics(matcher, names, progress=_rematch_progress)
        for r in results:
            click.echo(r.line())
        results += obj.sync_topics(archive, verbose=True)
    if not results:
        click.echo("all topics up to date", err=True)


@topics.command("backtest")
@click.argument("name")
@click.option("--since", help="Only articles fetched since (date or '30d').")
@click.option("--limit", default=50, show_default=True)
@pass_ctx
def topics_backtest(obj: Ctx, name: str, since: str | None, limit: int) -> None:
    """Run topic NAME over the archive and print what it would have matched (a dry run:
    nothing is stored; `topics apply NAME` stores it)."""
    matcher = obj.matcher()
    if name not in matcher.topics:
        raise click.ClickException(f"no topic {name!r}; topics: {', '.join(matcher.topics)}")
    total = hits = 0
    found: set[int] = set()
    when = parse_when(since)
    with obj.archive(sync_topics=False) as archive:
        for a in archive.iter_articles(when):
            total += 1
            for m in matcher.match(a.title or "", a.text or ""):
                if m.topic != name:
                    continue
                hits += 1
                found.add(a.id)
                if hits <= limit:
                    click.echo(f"[{a.id}] {m.score:5.1f}  {a.source}: {a.title}")
                    if m.snippet:
                        click.echo(f"         {m.snippet}")
        stored = archive.matched_articles(name, when)
    click.echo(f"\n{name}: {hits} of {total} articles matched", err=True)
    if stored != found:
        click.echo(
            f"the archive stores other matches for {name} (+{len(found - stored)} "
            f"-{len(stored - found)}): `monitor topics apply {name}` stores these",
            err=True,
        )


# --------------------------------------------------------------------- demo
@cli.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    help="Keep a working demo in this folder: config, archive and the sample site's files.",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the sample site and a webhook receiver running until Ctrl-C.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text")
def demo(keep: str | None, serve: bool, fmt: str) -> None:
    """Run the whole product offline on a bundled sample site and print the digest."""
    from monitor.demo import run_demo

    if serve and fmt != "text":
        raise click.UsageError("--serve prints text; use --format only without --serve")
    run_demo(keep, fmt, serve=serve, echo=lambda line: click.echo(line))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")  # as the archive stores it
    # masked before it is cut to width: a cut secret would no longer be recognised
    return logsafe.mask(str(value))[:60]


def _table(
    rows: Sequence[Mapping[str, object]], cols: list[str], headers: dict[str, str] | None = None
) -> None:
    headers = headers or {}
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    titles = [headers.get(c, c) for c in cols]
    widths = [max(len(t), *(len(row[i]) for row in cells)) for i, t in enumerate(titles)]
    click.echo("  ".join(t.ljust(w) for t, w in zip(titles, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


# ------------------------------------------------------------------- browse
@cli.command()
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--metadata",
    "metadata_file",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON or TOML merged over the generated Datasette metadata (title, licence, ...).",
)
@pass_ctx
def browse(obj: Ctx, port: int, host: str, metadata_file: str | None) -> None:
    """Browse the archive in Datasette, read-only: search, facets, stories, canned queries."""
    from monitor import browse as browse_mod

    _warn_stale_topics(obj)  # browse never writes: say so when topics changed since
    try:
        overrides = browse_mod.load_overrides(metadata_file)
        browse_mod.serve(obj.config, host=host, port=port, overrides=overrides)
    except browse_mod.BrowseError as e:
        raise click.ClickException(str(e)) from None


def main() -> None:
    cli(prog_name="monitor")


if __name__ == "__main__":
    main()
