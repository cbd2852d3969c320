"""The digest as a person sees it: the HTML email rendered by headless Chromium at phone and
desktop widths, and the Slack message drawn the way Slack lays out Block Kit.

With UPDATE_SCREENSHOTS=1 the screenshots are written to docs/screenshots/ (the docs' pictures)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from alerts import render
from monitor.cli import cli
from tests.browser import browser, screenshot_dir
from tests.slack_preview import page as slack_page


def test_html_digest_reads_well_at_375_and_1024_px(config_file, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config_file), "run", "--once"]).exit_code == 0
    res = runner.invoke(
        cli, ["--config", str(config_file), "digest", "--dry-run", "--format", "html"]
    )
    assert res.exit_code == 0
    page_file = tmp_path / "digest.html"
    page_file.write_text(res.stdout, encoding="utf-8")
    shots = screenshot_dir(tmp_path)
    with browser() as ctx:
        page = ctx.new_page()
        for width in (375, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(page_file.as_uri())
            # nothing wider than the screen: no sideways scrolling on a phone
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # every story title is a visible link with its source under it
            titles = page.locator("a[style*='font-size:17px']")
            assert titles.count() >= 3
            for i in range(titles.count()):
                box = titles.nth(i).bounding_box()
                assert box and box["width"] <= width and box["x"] >= 0
            font = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('p')).fontSize)"
            )
            assert font >= 14  # body text stays readable on a phone
            # the header counts outlets, each story shows its evidence label, visibly
            assert "3 outlets" not in page.locator("h1").inner_text()
            assert "4 outlets" in page.locator("td").first.inner_text()
            labels = page.locator(".evidence span")
            assert labels.count() == titles.count()
            for i in range(labels.count()):
                box = labels.nth(i).bounding_box()
                assert box and box["height"] >= 12 and box["x"] + box["width"] <= width
            texts = labels.all_inner_texts()
            assert "Phase 2 trial, 64 patients" in texts and "Explainer / Q&A" in texts
            page.screenshot(path=str(shots / f"email-digest-{width}px.png"), full_page=True)
    assert (shots / "email-digest-375px.png").stat().st_size > 10_000


def test_slack_digest_as_slack_shows_it(config_file, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config_file), "run", "--once"]).exit_code == 0
    res = runner.invoke(
        cli, ["--config", str(config_file), "digest", "--dry-run", "--format", "json"]
    )
    assert res.exit_code == 0
    digest = render.from_dict(json.loads(res.stdout))
    messages = render.slack_messages(digest)
    page_file = tmp_path / "slack.html"
    page_file.write_text(slack_page(messages), encoding="utf-8")
    shots = screenshot_dir(tmp_path)
    with browser() as ctx:
        page = ctx.new_page()
        page.set_viewport_size({"width": 800, "height": 900})
        page.goto(page_file.as_uri())
        header = page.locator("h3").first.inner_text()
        assert "3 stories from 4 outlets" in header
        text = page.locator(".msg").first.inner_text()
        for item in digest.items:
            assert f"Evidence: {item.evidence.label}" in text
            assert f"{item.summary_source}:" in text
        assert page.locator(".section b").count() >= 6  # titles and labels in bold
        page.screenshot(path=str(shots / "slack-digest.png"), full_page=True)
    assert (shots / "slack-digest.png").stat().st_size > 10_000
