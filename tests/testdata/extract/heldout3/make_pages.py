"""Rebuild the set (pages/, truth.jsonl, boilerplate_kinds.jsonl) and run the self-check.
Usage: python3 make_pages.py   (the templates live in src/make_pages.py, the data in src/content.py and src/bodies/)"""
import pathlib, sys
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / 'src'))
import make_pages as m  # noqa: E402  (src/make_pages.py)
import check_pages as c  # noqa: E402

m.build()
sys.exit(1 if c.main() else 0)
