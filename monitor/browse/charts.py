"""The charts of `monitor browse`: a datasette-dashboards dashboard over the archive.

Three charts answer what people otherwise read rows for: is coverage of a topic growing
(matching stories per week for each topic), how did one study spread (a story's copies on a time
line by outlet), and which sources deliver and which fail (sources by articles and failures).

They are Vega-Lite charts drawn by datasette-dashboards (the `browse` extra), which ships Vega,
Vega-Lite and vega-embed in its own static folder: the server serves every asset itself and the
page fetches nothing from elsewhere. The browser fetches each chart's rows from Datasette's JSON
API, so the SQL (storage.queries) runs on the archive's read-only connection under the same time
limit as any other query. Values from the archive (titles, outlet names) are drawn as SVG text
by Vega and shown in tooltips through vega-tooltip's HTML escaping; nothing from the archive is
put into a page as markup.

URLs: /-/dashboards/coverage (all three, with filters), /-/dashboards/coverage/<chart> (one
chart, full size), /-/dashboards/coverage/<chart>/embed (no page frame, for an iframe).
"""

from __future__ import annotations

from typing import Any

from storage import queries

PLUGIN = "datasette-dashboards"
DASHBOARD = "coverage"
CHART_TOPICS_PER_WEEK = "topics-per-week"
CHART_STORY_SPREAD = "story-spread"
CHART_SOURCES = "sources"

# Rendered as SVG (marks are DOM nodes a test can count and a screen reader can read) and
# without vega-embed's action menu, whose "Open in Vega Editor" would post the chart's data to
# a site outside the archive.
_EMBED = {
    # the Vega-Lite the plugin ships (a name only: schemas are never fetched)
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
}
_HEALTH_COLOURS = {
    "domain": ["ok", "failing", "not polled yet", "disabled"],
    "range": ["#2e7d32", "#c62828", "#9e9e9e", "#5f6368"],
}


def _topics_per_week() -> dict[str, Any]:
    return {
        **_EMBED,
        "transform": [
            {"calculate": "utcFormat(toDate(datum.week), '%d %b %Y')", "as": "week_label"}
        ],
        "mark": {"type": "line", "point": {"filled": True, "size": 40}, "strokeWidth": 2},
        "encoding": {
            "x": {
                "field": "week",
                "type": "temporal",
                "scale": {"type": "utc"},
                "title": "week starting (Monday, UTC)",
                "axis": {"format": "%d %b %Y", "labelAngle": 0, "tickCount": 8},
            },
            "y": {
                "field": "stories",
                "type": "quantitative",
                "title": "matching stories",
                "axis": {"tickMinStep": 1},
            },
            "color": {
                "field": "topic",
                "type": "nominal",
                "legend": {"orient": "bottom", "labelLimit": 400, "title": None},
            },
            "tooltip": [
                {"field": "topic", "type": "nominal"},
                {"field": "week_label", "title": "week starting"},
                {"field": "stories", "type": "quantitative", "title": "matching stories"},
            ],
        },
    }


def _story_spread(db: str) -> dict[str, Any]:
    x = {
        "field": "at",
        "type": "temporal",
        "scale": {"type": "utc", "padding": 14},  # no point cut in half at either end
        "title": "when each outlet published or listed a copy (UTC)",
        "axis": {"labelAngle": 0, "tickCount": 6, "format": "%d %b %H:%M"},
    }
    y = {
        "field": "outlet",
        "type": "nominal",
        "sort": {"field": "at", "op": "min", "order": "ascending"},  # first to carry it on top
        "title": None,
        "axis": {"labelLimit": 260},
    }
    return {
        **_EMBED,
        "transform": [
            {"calculate": f"'/{db}/articles/' + datum.article_id", "as": "link"},
            {"calculate": "utcFormat(toDate(datum.at), '%d %b %Y %H:%M')", "as": "when"},
        ],
        "layer": [
            {  # the story's headline above the plot, drawn once
                "transform": [
                    {"window": [{"op": "row_number", "as": "n"}]},
                    {"filter": "datum.n == 1"},
                ],
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "bottom",
                    "dy": -12,
                    "fontSize": 13,
                    "fontWeight": "bold",
                    "limit": 900,
                },
                "encoding": {
                    "text": {"field": "story"},
                    "x": {"value": 0},
                    "y": {"value": 0},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 110, "opacity": 0.9},
                "encoding": {
                    "x": x,
                    "y": y,
                    "shape": {
                        "field": "event",
                        "type": "nominal",
                        "scale": {
                            "domain": ["published", "listed by another feed"],
                            "range": ["circle", "triangle-up"],
                        },
                        "legend": {"orient": "bottom", "title": None},
                    },
                    "color": {
                        "field": "role",
                        "type": "nominal",
                        "scale": {
                            "domain": ["canonical copy", "copy"],
                            "range": ["#1a5fb4", "#e66100"],
                        },
                        "legend": {"orient": "bottom", "title": None},
                    },
                    "href": {"field": "link"},
                    "tooltip": [
                        {"field": "story", "title": "story"},
                        {"field": "outlet"},
                        {"field": "event"},
                        {"field": "when", "title": "when (UTC)"},
                        {"field": "title", "title": "headline"},
                        {"field": "publisher"},
                        {"field": "role"},
                    ],
                },
            },
        ],
    }


def _sources() -> dict[str, Any]:
    y = {
        "field": "source",
        "type": "nominal",
        "sort": None,  # the query's order: failing sources first, then the busiest
        "title": None,
        "axis": {"labelLimit": 260},
    }
    return {
        **_EMBED,
        "height": {"step": 20},
        "transform": [
            {
                "calculate": (
                    "datum.failures > 0 ? datum.failures + ' failed polls in a row'"
                    " : (datum.health == 'ok' ? '' : datum.health)"
                ),
                "as": "note",
            }
        ],
        "layer": [
            {
                "mark": {"type": "bar", "cornerRadiusEnd": 2},
                "encoding": {
                    "x": {
                        "field": "articles",
                        "type": "quantitative",
                        "title": "articles listed in the period",
                        "axis": {"tickMinStep": 1},
                    },
                    "y": y,
                    "color": {
                        "field": "health",
                        "type": "nominal",
                        "scale": _HEALTH_COLOURS,
                        "legend": {"orient": "bottom", "title": None},
                    },
                    "tooltip": [
                        {"field": "source"},
                        {"field": "articles", "type": "quantitative"},
                        {"field": "health"},
                        {"field": "failures", "type": "quantitative", "title": "failed polls"},
                        {"field": "failing_since", "title": "failing since"},
                        {"field": "last_success_at", "title": "last success"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4},
                "encoding": {
                    "color": {
                        "condition": {"test": "datum.health == 'failing'", "value": "#c62828"},
                        "value": "#5f6368",
                    },
                    "x": {"field": "articles", "type": "quantitative"},
                    "y": y,
                    "text": {"field": "note"},
                },
            },
        ],
    }


def dashboards(db: str = "archive") -> dict[str, Any]:
    """The datasette-dashboards plugin configuration: one dashboard, three charts."""
    return {
        DASHBOARD: {
            "title": "Coverage",
            "description": (
                "Is coverage of a topic growing, how did one study spread, which sources "
                "deliver. Filters: topic (blank: every topic), weeks (26), story (a story "
                "number; blank: the story the most outlets carried)."
            ),
            "layout": [
                [CHART_TOPICS_PER_WEEK, CHART_TOPICS_PER_WEEK],
                [CHART_STORY_SPREAD, CHART_SOURCES],
            ],
            "filters": {
                "topic": {
                    "name": "Topic",
                    "type": "select",
                    "db": db,
                    "query": queries.CHART_TOPICS,
                },
                "weeks": {"name": "Weeks", "type": "number", "min": 1, "max": 260, "step": 1},
                "story_id": {"name": "Story", "type": "number", "min": 1, "step": 1},
            },
            "charts": {
                CHART_TOPICS_PER_WEEK: {
                    "title": "Matching stories per week, by topic",
                    "db": db,
                    "query": queries.TOPIC_WEEKLY_STORIES.strip(),
                    "library": "vega-lite",
                    "display": _topics_per_week(),
                },
                CHART_STORY_SPREAD: {
                    "title": "How one story spread: its copies on a time line by outlet",
                    "db": db,
                    "query": queries.STORY_SPREAD.strip(),
                    "library": "vega-lite",
                    "display": _story_spread(db),
                },
                CHART_SOURCES: {
                    "title": "Sources by articles and failures",
                    "db": db,
                    "query": queries.SOURCE_ACTIVITY.strip(),
                    "library": "vega-lite",
                    "display": _sources(),
                },
            },
        }
    }


def plugin_config(db: str = "archive") -> dict[str, Any]:
    """The `plugins` entry of the Datasette metadata."""
    return {PLUGIN: dashboards(db)}


def story_spread_url(story_id: int) -> str:
    return f"/-/dashboards/{DASHBOARD}/{CHART_STORY_SPREAD}?story_id={int(story_id)}"
