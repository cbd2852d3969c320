"""Evidence labels against the labelled set, development and held-out halves side by side.

    .venv/bin/python benchmarks/evidence.py [--misses]

Prints kind accuracy (exact; and accepting a labelled alternative kind), label precision (of the
items that got a label, how many got a right one: "no label" is not wrong, a wrong label is), and
how often the sample size read from the text equals the labelled one, per half and per source.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.evidence import classify  # noqa: E402
from tests.evidence_set import evaluate, load  # noqa: E402


def main() -> None:
    items = load()
    show_misses = "--misses" in sys.argv
    print(
        f"{'half':9} {'source':14} {'n':>4} {'kind exact':>10} {'lenient':>8} "
        f"{'label precision':>16} {'n right':>9}"
    )
    for half in ("dev", "held-out"):
        for source in ("insciout-pr", "insciout-news", "own", "seed", "all"):
            sel = [i for i in items if i.half == half and (source == "all" or i.source == source)]
            if not sel:
                continue
            r = evaluate(sel, classify)
            shown = r["labels_shown"]
            precision = (shown - r["labels_wrong"]) / shown if shown else 0.0
            print(
                f"{half:9} {source:14} {r['n']:4d} {r['kind_exact']:10.3f} "
                f"{r['kind_lenient']:8.3f} {precision:7.3f} ({shown - r['labels_wrong']:3d}/{shown:3d})"
                f" {r['patients_right']:4d}/{r['patients_known']:<4d}"
            )
            if show_misses and source != "all" and source != "insciout-news":
                for m in r["misses"]:
                    print("    miss", *m)
        print()


if __name__ == "__main__":
    main()
