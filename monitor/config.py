"""sources.toml -> Config: validated once, ${ENV} resolved, errors that say where and what to write.

Configuration is read here and only here; every other module receives the `Config` (or a
part of it). Each table is checked for unknown keys and wrong types, and every error names
the file, the line, the table and what to write instead, so that `monitor check-config` is
useful on its own.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor import cron
from monitor.errors import MonitorError
from monitor.settings import FetchSettings

DEFAULT_CONFIG = "sources.toml"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_HEADER = re.compile(r"^\s*(?:\[\[\s*([^\]]+?)\s*\]\]|\[\s*([^\]]+?)\s*\])")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
MIN_INTERVAL_S = 60.0
MAX_INTERVAL_S = 365 * 86400.0


class ConfigError(MonitorError):
    """A configuration problem, with the place it was found and what to do about it."""

    def __init__(self, path: Path | str, where: str, message: str, line: int | None = None):
        self.path = str(path)
        self.where = where
        self.line = line
        self.message = message
        loc = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{loc}: {where}: {message}")


@dataclass
class SourceConfig:
    name: str
    url: str
    interval: float  # seconds
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    allow_private: bool | None = None  # None: use [fetch] allow_private
    kind: str = "news"  # news | press-release | journal: originators are a story's canonical copy


@dataclass
class TopicConfig:
    name: str
    query: str
    min_score: float = 0.0
    description: str = ""


@dataclass
class ChannelConfig:
    name: str
    type: str  # email | slack | webhook | apprise
    schedule: str  # cron, five fields
    topics: list[str]
    timezone: str = "UTC"
    send_empty: bool = False
    # email
    smtp_host: str | None = None
    smtp_port: int | None = None
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    sender: str | None = None  # "from" in TOML
    to: list[str] = field(default_factory=list)
    # slack
    webhook_url: str | None = None
    # webhook
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # apprise
    urls: list[str] = field(default_factory=list)
    # delivery
    backfill: float = 86400.0  # a new channel's first digest reaches this far back (seconds)
    retry_after_max: float = 3600.0  # a server's Retry-After is clamped to this (seconds)

    def secrets(self) -> list[str]:
        """Values that must never be printed or logged."""
        found = [s for s in (self.password, self.webhook_url, *self.headers.values()) if s]
        for url in self.urls:
            found.extend(url_secrets(url))
        return found


def url_secrets(url: str) -> list[str]:
    """Every piece of a notification URL that may be a credential (Apprise URLs).

    Tokens sit anywhere in these URLs (the host of tgram://TOKEN/CHAT, the path of
    discord://ID/TOKEN, the query of json://host?token=...), so the URL, its user and password,
    and every piece of six characters or more except a dotted host name are secret.
    """
    from urllib.parse import unquote, urlsplit

    out = {url}
    try:
        parts = urlsplit(url)
        out.update(unquote(s) for s in (parts.username, parts.password) if s)
        out.update(s for s in (parts.username, parts.password) if s)
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    for piece in re.split(r"[/:@?&=#,;+]", url.split("://", 1)[-1]):
        if len(piece) >= 6 and not ("." in piece and piece.lower() == host):
            out.update({piece, unquote(piece)})
    return sorted(out, key=len, reverse=True)


@dataclass
class StoriesConfig:
    window_days: float = 21.0


@dataclass
class AlertsConfig:
    templates_dir: Path | None = None
    max_items: int = 50


@dataclass
class DemoConfig:
    """[demo]: the sample site that `monitor demo --keep` wrote, served while monitor runs."""

    site: Path  # folder of the sample site's files
    port: int  # served on 127.0.0.1:port (the sources' addresses)
    hook_port: int | None = None  # a local webhook receiver that prints what it gets


@dataclass
class Config:
    path: Path
    storage_path: Path
    fetch: FetchSettings
    stories: StoriesConfig
    alerts: AlertsConfig
    sources: list[SourceConfig]
    topics: list[TopicConfig]
    channels: list[ChannelConfig]
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    storage_max_bytes: int | None = None  # [storage] max_size: writes stop cleanly beyond it
    env_values: list[str] = field(default_factory=list)  # what each ${VAR} expanded to
    demo: DemoConfig | None = None  # [demo]: a kept demo's sample site (monitor demo --keep)

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def channel(self, name: str) -> ChannelConfig:
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)

    def secrets(self) -> list[str]:
        """Values never to be shown: channel credentials and every ${VAR} value."""
        out: list[str] = list(self.env_values)
        for c in self.channels:
            out.extend(c.secrets())
        return list(dict.fromkeys(out))


def parse_duration(value: Any) -> float:
    """'30m' -> 1800.0; plain numbers are seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration")
    if isinstance(value, int | float):
        if value <= 0:
            raise ValueError("must be positive")
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            seconds = float(m.group(1)) * _UNITS[m.group(2)]
            if seconds > 0:
                return seconds
    raise ValueError('expected a duration such as "90s", "30m", "6h" or "1d"')


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$", re.I)


def parse_size(value: Any) -> int:
    """'500MB' -> bytes (decimal units); plain integers are bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m:
            unit = (m.group(2) or "b").lower()
            size = int(
                float(m.group(1))
                * {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}[unit]
            )
            if size > 0:
                return size
    raise ValueError(f'expected a size such as "500MB" or "20GB", not {value!r}')


class _Reader:
    """Validates one TOML document, remembering where each table and key is written."""

    def __init__(self, path: Path, text: str, env: Mapping[str, str]):
        self.path = path
        self.lines = text.splitlines()
        self.env = env
        self._headers: dict[tuple[str, bool], list[int]] | None = None
        self.expanded: list[str] = []  # every value a ${VAR} became: never quoted in errors

    # -- locating things in the source text, for error messages
    def table_line(self, header: str, index: int | None = None) -> int | None:
        """Line of ``[header]`` (index None) or of the index-th ``[[header]]``."""
        if self._headers is None:
            self._headers = self._index_headers()
        lines = self._headers.get((header, index is not None), [])
        if index is None:
            return lines[0] if lines else None
        return lines[index] if 0 <= index < len(lines) else None

    def _index_headers(self) -> dict[tuple[str, bool], list[int]]:
        # one pass over the text: a table line is looked up per source, and a scan per
        # lookup made loading 8,000 sources take 14 s
        found: dict[tuple[str, bool], list[int]] = {}
        for i, line in enumerate(self.lines, 1):
            m = _HEADER.match(line)
            if m:
                name = (m.group(1) or m.group(2)).strip()
                found.setdefault((name, m.group(1) is not None), []).append(i)
        return found

    def key_line(self, start: int | None, key: str) -> int | None:
        if start is None:
            for i, line in enumerate(self.lines, 1):
                if line.lstrip().startswith("["):
                    break
                if re.match(r"^\s*" + re.escape(key) + r"\s*=", line):
                    return i
            return None
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            if line.lstrip().startswith("["):
                break
            if re.match(r"^\s*\"?" + re.escape(key) + r"\"?\s*=", line):
                return i + 1
        return start

    def error(self, where: str, message: str, line: int | None) -> ConfigError:
        for value in sorted(self.expanded, key=len, reverse=True):
            message = message.replace(value, "***") if value else message
        return ConfigError(self.path, where, message, line)

    # -- typed access to one table
    def table(self, data: Any, where: str, line: int | None) -> _Table:
        if not isinstance(data, dict):
            raise self.error(where, "expected a table", line)
        return _Table(self, data, where, line)


class _Table:
    def __init__(self, reader: _Reader, data: dict, where: str, line: int | None):
        self.r = reader
        self.data = data
        self.where = where
        self.line = line
        self.used: set[str] = set()

    def _err(self, key: str, message: str) -> ConfigError:
        return self.r.error(f"{self.where}.{key}", message, self.r.key_line(self.line, key))

    def get(
        self,
        key: str,
        kind: type | tuple,
        default: Any = None,
        *,
        required: bool = False,
        hint: str = "",
    ) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.r.error(self.where, f'missing "{key}"{hint and "; " + hint}', self.line)
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self._err(key, f"expected {_names(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            raise self._err(
                key,
                f"expected {_names(kinds)}, got {type(value).__name__}"
                + (f"; {hint}" if hint else ""),
            )
        if isinstance(value, str):
            value = self.expand(key, value)
        return value

    def str_list(
        self, key: str, default: list[str] | None = None, required: bool = False
    ) -> list[str]:
        value = self.get(
            key,
            list,
            default if default is not None else [],
            required=required,
            hint='write a list of strings, e.g. ["a", "b"]',
        )
        if not all(isinstance(v, str) for v in value):
            raise self._err(key, 'expected a list of strings, e.g. ["a", "b"]')
        return [self.expand(key, v) for v in value]

    def duration(self, key: str, default: float | None) -> float | None:
        self.used.add(key)
        if key not in self.data:
            return default
        try:
            return parse_duration(self.data[key])
        except ValueError as e:
            raise self._err(key, f"{e}, not {self.data[key]!r}") from None

    def expand(self, key: str, value: str) -> str:
        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name not in self.r.env:
                raise self._err(
                    key,
                    f"environment variable {name} is not set; export it "
                    "before starting monitor (secrets live in the environment, "
                    "not in this file)",
                )
            self.r.expanded.append(self.r.env[name])
            return self.r.env[name]

        return _ENV.sub(sub, value)

    def finish(self, allowed_extra: tuple[str, ...] = ()) -> None:
        unknown = [k for k in self.data if k not in self.used and k not in allowed_extra]
        if unknown:
            known = ", ".join(sorted(self.used))
            key = unknown[0]
            raise self._err(key, f'unknown key "{key}"; known keys here: {known}')


def _names(kinds: tuple) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


_TOP = {
    "storage",
    "fetch",
    "stories",
    "alerts",
    "synonyms",
    "sources",
    "topics",
    "channels",
    "demo",
}
_CHANNEL_TYPES = ("email", "slack", "webhook", "apprise")


def load(path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file. Raises ConfigError."""
    env = os.environ if env is None else env
    p = Path(path or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            p,
            "file",
            "not found; pass --config PATH, set MONITOR_CONFIG, or "
            "start from the sources.toml shipped with monitor",
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(p, "file", f"cannot be read: {e}") from None
    return loads(text, p, env)


def loads(
    text: str, path: Path | str = DEFAULT_CONFIG, env: Mapping[str, str] | None = None
) -> Config:
    env = os.environ if env is None else env
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ConfigError(path, "TOML syntax", str(e), int(m.group(1)) if m else None) from None
    r = _Reader(path, text, env)
    for key in data:
        if key not in _TOP:
            line = r.table_line(key) or r.table_line(key, 0) or r.key_line(None, key)
            raise r.error(
                key, f'unknown table "{key}"; known tables: {", ".join(sorted(_TOP))}', line
            )
    base = path.parent

    st = r.table(data.get("storage", {}), "[storage]", r.table_line("storage"))
    configured = st.get("path", str, "storage/archive.db")
    max_size = st.get("max_size", (str, int), None)
    try:
        max_bytes = parse_size(max_size) if max_size is not None else None
    except ValueError as e:
        raise st._err("max_size", str(e)) from None
    storage_path = Path(env.get("MONITOR_ARCHIVE") or configured)  # the container sets it
    st.finish()
    if not storage_path.is_absolute():
        storage_path = base / storage_path

    fetch = _fetch(r, data.get("fetch", {}))
    sto = r.table(data.get("stories", {}), "[stories]", r.table_line("stories"))
    stories = StoriesConfig(window_days=st_float(sto, "window_days", 21.0))
    sto.finish()
    al = r.table(data.get("alerts", {}), "[alerts]", r.table_line("alerts"))
    tdir = al.get("templates_dir", str)
    alerts = AlertsConfig(
        templates_dir=(base / tdir) if tdir else None,
        max_items=al.get("max_items", int, 50),
    )
    al.finish()

    syn = r.table(data.get("synonyms", {}), "[synonyms]", r.table_line("synonyms"))
    synonyms = {name: syn.str_list(name) for name in list(syn.data)}

    sources = _array(r, data, "sources", lambda t: _source(t, fetch))
    topics = _array(r, data, "topics", _topic)
    channels = _array(r, data, "channels", _channel)
    channels += _env_channels(r, env, [t.name for t in topics], {c.name for c in channels})
    _unique(r, "sources", [s.name for s in sources])
    _unique(r, "sources", [s.url for s in sources], what="url")
    _unique(r, "topics", [t.name for t in topics])
    _unique(r, "channels", [c.name for c in channels])
    _check_queries(r, topics, synonyms)
    known_topics = {t.name for t in topics}
    for i, c in enumerate(channels):
        for t in c.topics:
            if t not in known_topics:
                line = r.key_line(r.table_line("channels", i), "topics")
                raise r.error(
                    f'[[channels]] "{c.name}".topics',
                    f'names topic "{t}", which is not defined; defined topics: '
                    f"{', '.join(sorted(known_topics)) or 'none'} (add a [[topics]] "
                    "entry or fix the name)",
                    line,
                )
    demo = None
    if "demo" in data:
        dm = r.table(data["demo"], "[demo]", r.table_line("demo"))
        demo = DemoConfig(
            site=base / dm.get("site", str, required=True, hint='site = "site"'),
            port=dm.get("port", int, required=True, hint="port = 8765"),
            hook_port=dm.get("hook_port", int, None),
        )
        dm.finish()
    return Config(
        demo=demo,
        path=path,
        storage_path=storage_path,
        storage_max_bytes=max_bytes,
        fetch=fetch,
        stories=stories,
        alerts=alerts,
        sources=sources,
        topics=topics,
        channels=channels,
        synonyms=synonyms,
        env_values=list(dict.fromkeys(r.expanded)),
    )


def _check_queries(r: _Reader, topics: list[TopicConfig], synonyms: dict[str, list[str]]) -> None:
    """Compile every query now, so that a typo stops every command with its line."""
    from monitor import topics as topics_mod

    for i, t in enumerate(topics):
        try:
            topics_mod.compile_topics(
                [topics_mod.TopicSpec(t.name, t.query, t.min_score)], synonyms
            )
        except topics_mod.QueryError as e:
            line = r.key_line(r.table_line("topics", i), "query")
            raise r.error(f'[[topics]] "{t.name}".query', str(e), line) from None


def st_float(t: _Table, key: str, default: float) -> float:
    value = t.get(key, float, default)
    if value <= 0:
        raise t._err(key, "must be positive")
    return value


def _fetch(r: _Reader, data: Any) -> FetchSettings:
    """[fetch], read by the fields of FetchSettings (type, default and bounds from each
    field's metadata)."""
    t = r.table(data, "[fetch]", r.table_line("fetch"))
    values: dict[str, Any] = {}
    for f in dataclasses.fields(FetchSettings):
        if f.name not in t.data:
            t.used.add(f.name)
            continue
        meta = f.metadata
        kind = meta.get("kind", "str")
        if f.name == "interval":
            values[f.name] = _interval(t, f.name, f.default)  # bounds and unit checked there
            continue
        if kind == "duration":
            value: Any = t.duration(f.name, f.default)
        elif kind == "bytes":
            raw = t.get(f.name, (int, str))
            try:
                value = parse_size(raw)
            except ValueError as e:
                raise t._err(f.name, str(e)) from None
        elif kind == "int":
            value = t.get(f.name, int)
        elif kind == "workers":
            value = t.get(f.name, (int, str))
            if isinstance(value, str) and value != "auto":
                raise t._err(f.name, f'must be "auto" or a number of processes, not {value!r}')
        elif kind == "float":
            value = t.get(f.name, float)
        elif kind == "bool":
            value = t.get(f.name, bool)
        elif kind == "path":
            path = r.path.parent / t.get(f.name, str)
            if not path.is_file():
                raise t._err(
                    f.name,
                    f"{path} does not exist or is not a file; give the path of a PEM CA "
                    "bundle, relative to this file, or remove the key to use the system's",
                )
            value = str(path)
        else:
            value = t.get(f.name, str)
        _bounds(t, f.name, value, meta.get("minimum"), meta.get("maximum"))
        values[f.name] = value
    t.finish()
    return FetchSettings(**values)


def _bounds(t: _Table, key: str, value: Any, lo: float | None, hi: float | None) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if lo is not None and value < lo:
        raise t._err(key, f"{value!r} is too small; write at least {_num(lo)} ({_why(key)})")
    if hi is not None and value > hi:
        raise t._err(key, f"{value!r} is too large; write at most {_num(hi)} ({_why(key)})")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_WHY = {
    "concurrent_sources": "0 would poll nothing and wait forever",
    "concurrent_pages": "0 would extract nothing and wait forever",
    "max_entries_per_feed": "below 1 nothing would be archived",
    "per_host_concurrency": "at least one request per host",
    "cpu_workers": '0 runs the CPU work in the polling process, "auto" uses the cores',
    "cpu_worker_memory": "a worker needs about 60 MB before its first page",
}


def _why(key: str) -> str:
    return _WHY.get(key, "the allowed range")


def _min_interval(env: Mapping[str, str]) -> float:
    """One minute; a local test farm may lower it with $MONITOR_MIN_INTERVAL (seconds,
    at least 1), as the test suite and the benchmarks do."""
    try:
        return max(1.0, float(env.get("MONITOR_MIN_INTERVAL", MIN_INTERVAL_S)))
    except ValueError:
        return MIN_INTERVAL_S


def _interval(t: _Table, key: str, default: float) -> float:
    """A polling interval: a duration with its unit, between one minute and a year."""
    t.used.add(key)
    if key not in t.data:
        return default
    raw = t.data[key]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise t._err(
            key,
            f"{raw!r} has no unit; write {_toml_str(f'{_num(raw)}m')} for minutes or "
            f"{_toml_str(f'{_num(raw)}s')} for seconds (at least one minute)",
        )
    try:
        seconds = parse_duration(raw)
    except ValueError as e:
        raise t._err(key, f"{e}, not {raw!r}") from None
    if seconds < _min_interval(t.r.env):
        raise t._err(
            key,
            f'{raw!r} is under one minute; write at least "1m" (sites block pollers '
            "that ask more often, and feeds rarely change faster)",
        )
    if seconds > MAX_INTERVAL_S:
        raise t._err(key, f'{raw!r} is too long to schedule; write at most "365d"')
    return seconds


def _array(r: _Reader, data: dict, name: str, build) -> list:
    items = data.get(name, [])
    if not isinstance(items, list):
        raise r.error(name, f"write each entry as a [[{name}]] table", r.key_line(None, name))
    out = []
    for i, item in enumerate(items):
        line = r.table_line(name, i)
        t = r.table(item, f"[[{name}]] #{i + 1}", line)
        label = item.get("name") if isinstance(item, dict) else None
        if isinstance(label, str):
            t.where = f'[[{name}]] "{label}"'
        out.append(build(t))
        t.finish()
    return out


def _unique(r: _Reader, name: str, values: list[str], what: str = "name") -> None:
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        if v in seen:
            raise r.error(
                f"[[{name}]] #{i + 1}",
                f'duplicate {what} "{v}" (also used by entry '
                f"#{seen[v] + 1}); every {name[:-1]} needs a unique {what}",
                r.table_line(name, i),
            )
        seen[v] = i


def _source(t: _Table, fetch: FetchSettings) -> SourceConfig:
    url = t.get(
        "url",
        str,
        required=True,
        hint='the feed address, e.g. url = "https://example.org/feed.xml"',
    )
    if not re.match(r"^https?://", url, re.I):
        raise t._err("url", f"must be an http:// or https:// address, not {url!r}")
    return SourceConfig(
        name=t.get("name", str, required=True, hint='give the source a name = "..."'),
        url=url,
        interval=_interval(t, "interval", fetch.interval),
        tags=t.str_list("tags"),
        enabled=t.get("enabled", bool, True),
        allow_private=t.get("allow_private", bool, None),
        kind=_source_kind(t),
    )


SOURCE_KINDS = ("news", "press-release", "journal")


def _source_kind(t: _Table) -> str:
    kind = t.get("kind", str, "news")
    if kind not in SOURCE_KINDS:
        raise t._err("kind", f'must be "news", "press-release" or "journal", not {kind!r}')
    return kind


def _topic(t: _Table) -> TopicConfig:
    return TopicConfig(
        name=t.get("name", str, required=True),
        query=t.get("query", str, required=True, hint='e.g. query = "liver NEAR/5 immunotherapy"'),
        min_score=t.get("min_score", float, 0.0),
        description=t.get("description", str, ""),
    )


def _channel(t: _Table) -> ChannelConfig:
    name = t.get("name", str, required=True)
    kind = t.get("type", str, required=True, hint='type = "email", "slack", "webhook" or "apprise"')
    if kind not in _CHANNEL_TYPES:
        raise t._err("type", f'must be one of {", ".join(_CHANNEL_TYPES)}, not "{kind}"')
    schedule = t.get("schedule", str, "0 7 * * *")
    tz = t.get("timezone", str, "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:
        raise t._err(
            "timezone",
            f'unknown time zone "{tz}"; use an IANA name such as "Europe/Berlin" or "UTC"',
        ) from None
    c = ChannelConfig(
        name=name,
        type=kind,
        schedule=schedule,
        timezone=tz,
        topics=t.str_list("topics", required=True),
        send_empty=t.get("send_empty", bool, False),
        backfill=_backfill(t),
        retry_after_max=t.duration("retry_after_max", 3600.0) or 3600.0,
    )
    try:
        cron.cron_trigger(schedule, tz)
    except (ValueError, IndexError) as e:
        raise t._err(
            "schedule",
            f"{schedule!r} is not a valid cron expression ({e}); "
            'expected five fields such as "0 7 * * 1-5"',
        ) from None
    if kind == "email":
        c.smtp_host = t.get("smtp_host", str, required=True, hint='smtp_host = "smtp.example.org"')
        c.security = t.get("security", str, "starttls")
        if c.security not in ("starttls", "tls", "none"):
            raise t._err("security", f'must be "starttls", "tls" or "none", not "{c.security}"')
        c.smtp_port = t.get("smtp_port", int, {"tls": 465, "starttls": 587, "none": 25}[c.security])
        c.username = t.get("username", str)
        c.password = t.get("password", str)
        c.sender = t.get("from", str, required=True, hint='from = "Monitor <monitor@example.org>"')
        c.to = t.str_list("to", required=True)
        if not c.to:
            raise t._err("to", 'list at least one recipient: to = ["team@example.org"]')
    elif kind == "slack":
        c.webhook_url = t.get(
            "webhook_url", str, required=True, hint='webhook_url = "${SLACK_WEBHOOK_URL}"'
        )
    elif kind == "apprise":
        c.urls = t.str_list("urls", required=True)
        for i, url in enumerate(c.urls, 1):
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
                # the URL itself is not shown: it may hold a token
                raise t._err("urls", f"url {i} is not an Apprise URL such as ntfys://topic")
        if not c.urls:
            raise t._err("urls", 'list at least one Apprise URL: urls = ["ntfys://topic"]')
    else:
        c.url = t.get("url", str, required=True, hint='url = "https://example.org/hook"')
        headers = t.get("headers", dict, {})
        c.headers = {str(k): t.expand("headers", str(v)) for k, v in headers.items()}
    return c


def _env_channels(
    r: _Reader, env: Mapping[str, str], topics: list[str], taken: set[str]
) -> list[ChannelConfig]:
    """Channels from MONITOR_* variables (monitor/envchannels.py), checked like the file's."""
    from monitor.envchannels import EnvChannelError, channel_tables

    try:
        tables = channel_tables(env, topics)
    except EnvChannelError as e:
        raise r.error("environment", str(e), None) from None
    out = []
    for table in tables:
        where = f"[[channels]] {table['name']!r} from MONITOR_* environment variables"
        if table["name"] in taken:
            raise r.error(where, "the config file already has a channel of this name", None)
        out.append(_channel(r.table(table, where, None)))
    return out


def _backfill(t: _Table) -> float:
    """`backfill`: how far before its creation a new channel's first digest reaches; "0": none."""
    if t.data.get("backfill") in (0, "0"):
        t.used.add("backfill")
        return 0.0
    return t.duration("backfill", 86400.0) or 0.0


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def append_sources(
    path: str | os.PathLike,
    sources: list[dict[str, Any]],
    comment: str,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Append [[sources]] tables to the config file, keeping everything already written.

    Each dict has `name` and `url` (and optional `tags`, `interval`). The file is validated
    after the change; if it does not load, the original text is restored and ConfigError raised.
    """
    p = Path(path)
    original = p.read_text(encoding="utf-8")
    blocks = [f"\n# {comment}"]
    for s in sources:
        lines = ["[[sources]]", f"name = {_toml_str(s['name'])}", f"url = {_toml_str(s['url'])}"]
        if s.get("interval"):
            lines.append(f"interval = {_toml_str(str(s['interval']))}")
        if s.get("tags"):
            lines.append("tags = [" + ", ".join(_toml_str(t) for t in s["tags"]) + "]")
        blocks.append("\n".join(lines) + "\n")
    text = original.rstrip("\n") + "\n" + "\n".join(blocks)
    p.write_text(text, encoding="utf-8")
    try:
        return load(p, env)
    except ConfigError:
        p.write_text(original, encoding="utf-8")
        raise
