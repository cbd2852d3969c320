"""monitor add (feed autodiscovery), import-opml and export-opml, against a real local site."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from monitor import config as config_mod
from monitor.cli import cli
from monitor.demo.server import SiteServer

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Liver News</title>'
    b"<link>http://x/</link><item><title>A</title><link>http://x/a</link></item></channel></rss>"
)


def _site(base: str) -> dict:
    return {
        "/": (
            "text/html",
            f'<html><head><link rel="alternate" type="application/rss+xml" '
            f'title="Liver News" href="{base}/news/rss.xml"></head><body>hi</body></html>'.encode(),
        ),
        "/news/rss.xml": ("application/rss+xml", RSS),
        "/other/": ("text/html", b"<html><body>no feed announced here</body></html>"),
        "/feed": ("application/rss+xml", RSS.replace(b"Liver News", b"Common Path Feed")),
        "/robots.txt": ("text/plain", b""),
    }


def _config(tmp_path) -> str:
    path = tmp_path / "sources.toml"
    path.write_text(
        '# my sources\n[storage]\npath = "a.db"\n\n[fetch]\nallow_private = true\n'
        "per_host_delay = 0\n"
    )
    return str(path)


def test_add_finds_the_announced_feed_and_keeps_the_file(tmp_path):
    cfg = _config(tmp_path)
    with SiteServer(_site) as site:
        res = CliRunner().invoke(cli, ["--config", cfg, "add", site.base + "/", "--tag", "liver"])
        assert res.exit_code == 0, res.output
        assert "Liver News" in res.output and "announced by the page" in res.output
        text = open(cfg).read()
        assert text.startswith("# my sources\n")  # what the user wrote is kept
        assert f"# added by `monitor add {site.base}/`" in text
        loaded = config_mod.load(cfg)
        assert [(s.name, s.url, s.tags) for s in loaded.sources] == [
            ("Liver News", f"{site.base}/news/rss.xml", ["liver"])
        ]
        again = CliRunner().invoke(cli, ["--config", cfg, "add", f"{site.base}/news/rss.xml"])
        assert again.exit_code == 1 and "already a source" in again.output


def test_add_falls_back_to_common_paths(tmp_path):
    cfg = _config(tmp_path)
    with SiteServer(_site) as site:
        res = CliRunner().invoke(cli, ["--config", cfg, "add", site.base + "/other/"])
        assert res.exit_code == 0, res.output
        assert "Common Path Feed" in res.output and "common feed path /feed" in res.output


def test_add_reports_a_site_without_feed(tmp_path):
    cfg = _config(tmp_path)
    with SiteServer(lambda base: {"/": ("text/html", b"<html>nothing</html>")}) as site:
        res = CliRunner().invoke(cli, ["--config", cfg, "add", site.base + "/"])
        assert res.exit_code == 1
        assert "no feed found" in res.output and "monitor add FEED_URL" in res.output
    assert "[[sources]]" not in open(cfg).read()


def test_add_refuses_private_addresses_by_default(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[storage]\npath = "a.db"\n')
    with SiteServer(_site) as site:
        res = CliRunner().invoke(cli, ["--config", str(path), "add", site.base + "/"])
        assert site.requests == []  # refused before any request
    assert res.exit_code == 1 and "allow_private" in res.output
    # the error names the address the user typed, not a robots.txt or a guessed path
    assert f"{site.base}/:" in res.output and "robots.txt" not in res.output


def test_add_follows_at_most_twenty_announced_feeds(tmp_path):
    def site(base: str) -> dict:
        links = "".join(
            f'<link rel="alternate" type="application/rss+xml" href="{base}/f/{i}.xml">'
            for i in range(2000)
        )
        return {
            "/": ("text/html", f"<html><head>{links}</head><body>hi</body></html>".encode()),
            "/robots.txt": ("text/plain", b""),
        }

    cfg = _config(tmp_path)
    with SiteServer(site) as srv:
        res = CliRunner().invoke(cli, ["--config", cfg, "add", srv.base + "/"])
        candidates = [p for p in srv.requests if p.startswith("/f/")]
    assert res.exit_code == 1 and "no feed found" in res.output
    assert len(candidates) == 20, len(candidates)
    assert len(srv.requests) < 60  # the page, robots.txt, 20 candidates, the common paths


def test_add_says_connection_refused(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = _config(tmp_path)
    res = CliRunner().invoke(cli, ["--config", cfg, "add", f"http://127.0.0.1:{port}/"])
    assert res.exit_code == 1
    assert f"http://127.0.0.1:{port}/:" in res.output
    assert "connection refused" in res.output.lower()


def test_opml_round_trip(tmp_path):
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="Oncology"><outline text="Feed A" type="rss" xmlUrl="https://a.example.org/rss"/>'
        '<outline text="Feed B" type="rss" xmlUrl="https://b.example.org/atom"/></outline>'
        '<outline text="Feed A again" type="rss" xmlUrl="https://a.example.org/rss"/>'
        "</body></opml>"
    )
    cfg = _config(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["--config", cfg, "import-opml", str(opml)])
    assert res.exit_code == 0, res.output
    assert "imported 2 sources" in res.output
    data = tomllib.loads(open(cfg).read())
    assert [(s["name"], s["tags"]) for s in data["sources"]] == [
        ("Feed A", ["Oncology"]),
        ("Feed B", ["Oncology"]),
    ]
    res = runner.invoke(cli, ["--config", cfg, "import-opml", str(opml)])
    assert "imported 0 sources" in res.output and "2 already there" in res.output
    out = tmp_path / "out.opml"
    res = runner.invoke(cli, ["--config", cfg, "export-opml", "-o", str(out)])
    assert res.exit_code == 0
    from monitor.discover import read_opml

    assert [(r.name, r.url) for r in read_opml(out.read_bytes()).feeds] == [
        ("Feed A", "https://a.example.org/rss"),
        ("Feed B", "https://b.example.org/atom"),
    ]
