"""Benchmark: article-text extraction accuracy, speed and bounds, in one run.

1. The shared development set (``../shared/extraction``, 181 pages; IN-SAMPLE: the extractor
   was tuned on it): monitor's extractor, trafilatura 2.3.1 (``extract(html,
   include_comments=False)``) and readability-lxml + html-text, page by page in turn in one
   process pinned to one core, CPU time; F1/P/R by the set's own scorer, pages/s, speed ratios.
2. The template sets (``tests/testdata/extract/heldout``: 24 pages of six outlets in eight
   languages; ``heldout2``: 17 pages of three more outlets; both written after a freeze and
   since tuned on, so no longer held out; ``heldout3``: 32 pages of six more outlets in five
   languages, written by an independent helper who did not read the extractor, first run after
   the freeze commit): F1 of the body and the seed-kind boilerplate lines left in the text,
   page by page alone and again with the site-template memory (each outlet's pages in turn,
   learning as the pipeline does).
3. The pathological-markup page of issue 14 (500 unclosed formatting tags, 12,000 paragraphs,
   101 kB), extracted in a fresh subprocess: peak RSS (getrusage) and CPU time.

   With ``--bytes`` every extractor gets the page's raw bytes (and decodes them itself, inside
   the timing) instead of the same text decoded beforehand as UTF-8.

    PYTHONPATH=. python benchmarks/extraction.py [--data DIR] [--only monitor,trafilatura] [--bytes]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "extraction"
HELDOUT = ROOT / "tests" / "testdata" / "extract" / "heldout"
# CPU time of this process: on a machine shared with other jobs, wall time measures the
# neighbours as much as the extractor.  --wall switches to wall-clock time.
CLOCK = time.process_time


Page = str | bytes


def _monitor() -> Callable[[Page, str], str]:
    from monitor.extract import extract_text

    return extract_text


def _trafilatura() -> Callable[[Page, str], str]:
    import trafilatura

    def run(html: Page, url: str) -> str:
        return trafilatura.extract(html, include_comments=False) or ""

    return run


def _readability() -> Callable[[Page, str], str]:
    import html_text
    from readability import Document

    def run(html: Page, url: str) -> str:
        return html_text.extract_text(Document(html).summary(html_partial=True))

    return run


EXTRACTORS = {"monitor": _monitor, "trafilatura": _trafilatura, "readability": _readability}


def _pin_to_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", default=",".join(EXTRACTORS))
    parser.add_argument("--wall", action="store_true", help="time with the wall clock")
    parser.add_argument(
        "--bytes", action="store_true", help="give every extractor the raw bytes to decode"
    )
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    args = parser.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    pinned = _pin_to_one_core()
    sys.path.insert(0, str(args.data))
    from score import score  # the development set's own scorer

    truth: dict[str, str] = {}
    pages: list[tuple[str, str, Page]] = []
    for line in (args.data / "truth.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        truth[row["id"]] = row["text"]
        raw = gzip.open(args.data / "pages" / f"{row['id']}.html.gz").read()
        pages.append((row["id"], row["url"], raw if args.bytes else raw.decode("utf-8")))

    funcs: dict[str, Callable[[Page, str], str]] = {}
    for name in args.only.split(","):
        try:
            funcs[name] = EXTRACTORS[name]()
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            continue
        funcs[name](pages[0][2], pages[0][1])  # warm-up: imports, regex compilation
    predictions: dict[str, dict[str, str]] = {name: {} for name in funcs}
    times: dict[str, list[float]] = {name: [] for name in funcs}
    gc.collect()
    # Page by page, every extractor in turn: a neighbour's load on the machine falls on all
    # of them alike instead of on whichever happened to run at the time.
    for page_id, url, html in pages:
        for name, func in funcs.items():
            start = CLOCK()
            try:
                text = func(html, url)
            except Exception:  # noqa: BLE001 - a peer failing on a page scores as empty
                text = ""
            times[name].append(CLOCK() - start)
            predictions[name][page_id] = text

    results = []
    for name in funcs:
        quality = score(truth, predictions[name])
        spent = sorted(times[name])
        results.append(
            {
                "name": name,
                "f1": quality["f1"],
                "p": quality["precision"],
                "r": quality["recall"],
                "empty": quality["empty"],
                "pps": len(pages) / sum(spent),
                "median": statistics.median(spent) * 1000,
                "p95": spent[int(0.95 * (len(spent) - 1))] * 1000,
            }
        )

    clock = "wall-clock" if args.wall else "CPU"
    given = "raw bytes" if args.bytes else "text decoded beforehand"
    print(
        f"{len(pages)} pages from {args.data} ({given}), one process {pinned}, {clock} time per page"
    )
    print(
        f"{'extractor':<12} {'F1':>6} {'P':>6} {'R':>6} {'empty':>5} {'pages/s':>8} "
        f"{'med ms':>7} {'p95 ms':>7} {'speed ratio':>12}"
    )
    ours = next((r for r in results if r["name"] == "monitor"), None)
    for r in results:
        ratio = f"{ours['pps'] / r['pps']:.1f}x" if ours else "-"
        print(
            f"{r['name']:<12} {r['f1']:6.3f} {r['p']:6.3f} {r['r']:6.3f} {r['empty']:5d} "
            f"{r['pps']:8.1f} {r['median']:7.2f} {r['p95']:7.2f} {ratio:>12}"
        )
    traf = next((r for r in results if r["name"] == "trafilatura"), None)
    if ours and traf:
        print(
            f"SUMMARY monitor F1 {ours['f1']:.3f} vs trafilatura {traf['f1']:.3f}; "
            f"{ours['pps']:.0f} pages/s = {ours['pps'] / traf['pps']:.1f}x trafilatura"
        )
    elif ours:
        print(f"SUMMARY monitor F1 {ours['f1']:.3f}, {ours['pps']:.0f} pages/s")
    print()
    for folder in (
        args.heldout,
        args.heldout.parent / "heldout2",
        args.heldout.parent / "heldout3",
    ):
        if folder.is_dir():
            template_set(folder, score)
            template_set(folder, score, memory=True)
    pathological()


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def template_set(folder: Path, score, memory: bool = False) -> None:  # noqa: ANN001
    """F1 and seed-kind boilerplate lines kept on a template set (pages/ + truth.jsonl).

    With ``memory``, the pages of each outlet are extracted in turn with the site-template
    memory of a scratch archive, learning after each page as the pipeline does."""
    import tempfile

    from monitor.extract import extract
    from storage.archive import Archive

    rows = [json.loads(line) for line in (folder / "truth.jsonl").open(encoding="utf-8")]
    truth, pred, kept, pages_with = {}, {}, [], 0
    chrome = []  # pages without an article (truth "") that gave text
    scratch = tempfile.TemporaryDirectory()
    archive = Archive(Path(scratch.name) / "a.db") if memory else None
    for row in rows:
        html = (folder / "pages" / f"{row['id']}.html").read_bytes()
        site = row["url"].split("/")[2]
        if archive is None:
            text = extract(html, row["url"]).text
        else:
            article = extract(html, row["url"], template=archive.site_template(site))
            archive.learn_site_template(site, row["url"], article.template_keys)
            text = article.text
        truth[row["id"]], pred[row["id"]] = row["text"], text
        if not row["text"] and text:
            chrome.append(row["id"])
        lines = {_norm(line) for line in text.split("\n") if line.strip()}
        left = [b for b in row["boilerplate"] if _norm(b) in lines]
        kept.extend((row["id"], b) for b in left)
        pages_with += bool(left)
    if archive is not None:
        archive.close()
    scratch.cleanup()
    quality = score(truth, pred)
    label = f"{folder.name} with site-template memory" if memory else folder.name
    print(
        f"{label}: {len(rows)} pages, F1 {quality['f1']:.3f} (P {quality['precision']:.3f}"
        f" R {quality['recall']:.3f}), seed-kind boilerplate lines kept: {len(kept)} on "
        f"{pages_with} pages" + (f", {len(chrome)} non-article pages gave text" if chrome else "")
    )
    for page_id, line in kept:
        print(f"  kept  {page_id}: {line[:90]}")


PATHOLOGICAL = """
import resource, sys, time
sys.path.insert(0, {root!r})
fmt = ['b', 'i', 'em', 'strong', 'u', 's', 'small', 'big', 'font', 'code', 'tt', 'strike']
opens = ''.join(f'<{{fmt[i % len(fmt)]}} id=a{{i}}>' for i in range(500))
page = ('<html><body><p>' + opens + '<p>x</p>' * 12000 + '</body></html>').encode()
from monitor.extract import extract
start = time.process_time()
article = extract(page)
cpu = time.process_time() - start
rss = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")) / 1024
print(f"pathological page ({{len(page) / 1000:.0f}} kB, 500 unclosed formatting tags, "
      f"12,000 paragraphs): {{cpu:.2f}} s CPU, peak RSS {{rss:.0f}} MB (whole process), "
      f"reason: {{article.reason}}")
"""


def pathological() -> None:
    import subprocess

    script = PATHOLOGICAL.format(root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    print(done.stdout.strip() or done.stderr[-500:])


if __name__ == "__main__":
    main()
