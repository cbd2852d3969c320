"""The HTML email as a person sees it: rendered by headless Chromium at phone and desktop widths.

With UPDATE_SCREENSHOTS=1 the screenshots are written to docs/screenshots/ (the docs' pictures)."""

from __future__ import annotations

from click.testing import CliRunner

from monitor.cli import cli
from tests.browser import browser, screenshot_dir


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
            page.screenshot(path=str(shots / f"email-digest-{width}px.png"), full_page=True)
    assert (shots / "email-digest-375px.png").stat().st_size > 10_000
