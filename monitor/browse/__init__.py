"""`monitor browse`: Datasette over the live archive, read-only, with search, facets and stories.

The archive is served as the database `archive` whatever its file is called, opened with
`mode=ro` (never `immutable`: the daemon keeps writing it) and `query_only`, so browsing never
takes a write lock; SQLite's WAL lets the daemon commit while pages are being read. Datasette is
the optional `browse` extra (`monitor.install.hint` names the command for this installation).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def install_hint() -> str:
    """What to run to get Datasette, for the way this monitor was installed."""
    from monitor.install import hint

    return "monitor browse needs Datasette, the optional 'browse' extra:\n  " + hint(
        "browse", fallback="datasette>=0.64,<1"
    )


SETTINGS: dict[str, Any] = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,  # short reads: a reader never holds the WAL back for long
    "facet_time_limit_ms": 1500,  # facets over ~100k articles still finish
    "suggest_facets": False,  # suggestions cost a query per column on every page
    "truncate_cells_html": 280,
    "allow_download": False,
    "default_allow_sql": True,
    "num_sql_threads": 4,  # Datasette's own page queries; SQL from the URL runs in the sandbox
    "allow_csv_stream": False,  # a streamed CSV would run one query after another, unbounded
}


LIMIT_CONCURRENCY = 64  # connections and requests served at once


class BrowseError(Exception):
    """A reason `monitor browse` cannot start, worded for the user."""


def datasette_available() -> bool:
    try:
        import datasette  # noqa: F401
    except ImportError:
        return False
    return True


def load_overrides(path: str | Path | None) -> dict[str, Any] | None:
    """Extra metadata from a JSON or TOML file, merged over the generated metadata."""
    if path is None:
        return None
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as e:
        raise BrowseError(f"cannot read metadata {p}: {e}") from None
    if not isinstance(data, dict):
        raise BrowseError(f"{p}: metadata must be a table/object at the top level")
    return data


def check_archive(path: Path) -> None:
    """Refuse clearly when there is nothing to browse or the schema predates the browse views."""
    from storage import browse as storage_browse
    from storage.queries import BROWSE_VIEWS

    if not path.exists():
        raise BrowseError(
            f"no archive at {path} yet: start the daemon (monitor run) or run `monitor run --once`"
        )
    try:
        conn = storage_browse.open_read_only(path)
        try:
            version = storage_browse.schema_version(conn)
            views = storage_browse.views_present(conn)
        finally:
            conn.close()
    except Exception as e:
        raise BrowseError(f"cannot open archive {path} read-only: {e}") from None
    missing = [v for v in BROWSE_VIEWS if v not in views]
    if missing:
        raise BrowseError(
            f"archive {path} (schema version {version}) predates browsing: it has no "
            f"{' or '.join(missing)} view. Start the daemon or `monitor run --once` with this "
            "version of monitor once to migrate it (browse itself never writes)."
        )


def build_metadata_for(archive_path: Path, config: Any, overrides: dict | None = None) -> dict:
    """Read the live schema (read-only) and build the Datasette metadata."""
    from monitor.browse import metadata

    conn = metadata.open_read_only(archive_path)
    try:
        schema = metadata.read_schema(conn)
        sources = metadata.sources_for(config, conn)
    finally:
        conn.close()
    return metadata.build_metadata(
        schema, sources=sources, topics=config.topics, overrides=overrides
    )


def build_datasette(archive_path: Path, config: Any, overrides: dict | None = None) -> Any:
    """A Datasette instance serving `archive_path` read-only as database `archive`."""
    if not datasette_available():
        raise BrowseError(install_hint())
    from datasette.app import Datasette
    from datasette.plugins import pm

    from monitor.browse import limits, plugin
    from monitor.browse.metadata import DB_NAME

    check_archive(archive_path)
    if not pm.is_registered(plugin):
        pm.register(plugin, name="monitor-browse")
    if not pm.is_registered(limits):
        pm.register(limits, name="monitor-browse-limits")
    limits.quiet_datasette_errors()
    ds = Datasette(
        files=[],
        metadata=build_metadata_for(archive_path, config, overrides),
        template_dir=str(TEMPLATES),
        static_mounts=[("monitor-static", str(STATIC))],
        settings=SETTINGS,
    )
    # bounded in time and memory: SQLite's limits, a watchdog, SQL from the URL in a sandbox
    ds.add_database(limits.BrowseDatabase(ds, archive_path), name=DB_NAME)
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    return ds


def serve(config: Any, host: str = "127.0.0.1", port: int = 8001, overrides: dict | None = None):
    """Serve the configured archive until interrupted (uvicorn, one process)."""
    ds = build_datasette(Path(config.storage_path), config, overrides)
    import uvicorn

    ds.get_database("archive").sandbox.start()  # the SQL workers, ready before the first query

    print(f"browse the archive {config.storage_path} at http://{host}:{port}/  (Ctrl+C stops)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"note: listening on {host}: Datasette has no login, so anyone who can reach this "
            "address can read the archive",
            file=sys.stderr,
        )
    uvicorn.run(
        ds.app(),
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        limit_concurrency=LIMIT_CONCURRENCY,  # beyond it: 503 at once, not an ever-longer queue
        timeout_keep_alive=5,
    )
