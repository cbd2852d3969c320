"""Benchmark for monitor.topics: quality of the shipped topic and matching speed.

Quality: precision and recall of `liver-metastases-immunotherapy` (loaded from the repo-root
sources.toml, as shipped) on the labelled set in tests/data/topics/, beside a keyword
baseline that uses the same synonym sets but only asks that both concepts occur somewhere
(all words present, no proximity, no field scopes, no exclusions). The held-back items,
written after the query was tuned, are reported separately.

Speed: 100 topics (the shipped one plus 99 generated medical topics using NEAR, phrases,
wildcards, fields and NOT) x 10,000 articles (real news bodies from /work/shared/extraction
and medical items from the labelled set, cycled), on one pinned core. The per-article time
covers tokenising, indexing and evaluating all 100 topics. Beside it, each topic evaluated
separately with regular expressions (one compiled regex per clause, NEAR measured in
characters, lead = first 80 words, plurals as an optional s), timed on a sample of the same
articles. The regex version is a speed baseline: its answers differ a little from
monitor.topics' (no accent folding, character distances), so both match counts are printed.

Run: PYTHONPATH=. python benchmarks/topics.py [--articles N] [--regex-articles N] [--repeat N]

Times are CPU time of this process (time.process_time), so that other work on a shared
machine inflates them less than wall-clock time would.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import tomllib
from pathlib import Path

from monitor.topics import Matcher, TopicSpec, compile_topics, specs_from_config
from monitor.topics.parser import parse

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "topics"
SEEDS = Path("/work/shared/seeds")
TRUTH = Path("/work/shared/extraction/truth.jsonl")
TOPIC = "liver-metastases-immunotherapy"


# --- data -------------------------------------------------------------------------------------


def load_items(pattern: str = "*.txt") -> list[dict]:
    """Labelled items: {id, label, kind, title, text, file}."""
    items = []
    for path in sorted(DATA.glob(pattern)):
        for block in re.split(r"^### ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
            head, _, rest = block.partition("\n")
            iid, label, kind = (x.strip() for x in head.split("|"))
            title, _, body = rest.strip("\n").partition("\n")
            items.append(
                {
                    "id": iid,
                    "label": label == "yes",
                    "kind": kind,
                    "title": title.strip(),
                    "text": body.strip(),
                    "file": path.name,
                }
            )
    return items


def load_seed(path: Path) -> tuple[str, str]:
    """A seed file as title (its first non-empty line, markdown '#' removed) and text."""
    raw = path.read_text(encoding="utf-8").strip()
    first, _, rest = raw.partition("\n")
    return first.strip().lstrip("#").strip(), rest


def load_shipped() -> tuple[list[TopicSpec], dict]:
    """The shipped topic and synonym sets, read from the repo-root sources.toml."""
    cfg = tomllib.loads((ROOT / "sources.toml").read_text(encoding="utf-8"))
    specs, synonyms = specs_from_config(
        {"synonyms": cfg.get("synonyms", {}), "topics": cfg.get("topics", [])}
    )
    return [s for s in specs if s.name == TOPIC], synonyms


# --- quality ----------------------------------------------------------------------------------


def baseline_spec(synonyms: dict) -> TopicSpec:
    """Keyword alert: both concepts somewhere in title or text, same synonym sets."""
    q = "(@liver_metastases OR (@liver_words AND @metastasis_words)) AND @immunotherapy"
    return TopicSpec("baseline", q)


def prf(matcher: Matcher, name: str, items: list[dict]) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    for it in items:
        got = any(m.topic == name for m in matcher.match(it["title"], it["text"]))
        if got and it["label"]:
            tp += 1
        elif got:
            fp += 1
        elif it["label"]:
            fn += 1
        else:
            tn += 1
    return tp, fp, fn, tn


def ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


# --- speed ------------------------------------------------------------------------------------

_SETS = {
    "lung": ["lung cancer*", "nsclc", "non-small cell lung", "sclc", "lung adenocarcinoma*"],
    "breast": ["breast cancer*", "tnbc", "triple-negative breast", "her2-positive"],
    "crc": ["colorectal cancer*", "bowel cancer*", "colon cancer*", "rectal cancer*", "crc"],
    "melanoma": ["melanoma*", "uveal melanoma", "cutaneous melanoma"],
    "prostate": ["prostate cancer*", "mcrpc", "castration-resistant"],
    "pancreas": ["pancreatic cancer*", "pancreatic ductal", "pdac"],
    "kidney": ["renal cell carcinoma*", "kidney cancer*", "rcc"],
    "bladder": ["bladder cancer*", "urothelial*"],
    "lymphoma": ["lymphoma*", "dlbcl", "hodgkin*"],
    "myeloma": ["myeloma*", "plasma cell*"],
    "leukaemia": ["leukemia*", "leukaemia*", "aml", "cll"],
    "diabetes": ["diabetes", "type 2 diabetes", "insulin resistance", "glycaemic control"],
    "heart": ["heart failure", "myocardial infarction", "atrial fibrillation", "cardiac arrest"],
    "stroke": ["stroke*", "cerebrovascular", "thrombectomy"],
    "dementia": ["dementia", "alzheimer*", "cognitive decline"],
    "obesity": ["obesity", "weight loss", "semaglutide", "tirzepatide", "glp-1"],
    "covid": ["covid*", "sars-cov-2", "coronavirus", "long covid"],
    "flu": ["influenza", "flu vaccine*", "rsv"],
    "hiv": ["hiv", "antiretroviral*", "prep"],
    "surgery": ["surgery", "resection*", "surgical", "laparoscop*", "robotic surgery"],
    "radiotherapy": ["radiotherapy", "radiation therap*", "sbrt", "proton therapy"],
    "chemo": ["chemotherapy", "folfox*", "platinum", "cisplatin", "docetaxel"],
    "targeted": ["egfr", "alk", "kras", "braf", "her2", "parp inhibitor*", "tyrosine kinase"],
    "trial": ["phase 3", "phase iii", "randomised", "randomized", "clinical trial*"],
    "policy": ["fda", "ema", "nice", "medicare", "reimbursement", "approval*", "price*"],
    "ai": ["artificial intelligence", "machine learning", "deep learning", "algorithm*"],
    "screening": ["screening", "early detection", "mammograph*", "colonoscop*"],
    "children": ["children", "paediatric", "pediatric", "adolescent*", "infant*"],
    "pregnancy": ["pregnan*", "maternal", "preterm", "neonatal"],
    "mental": ["depression", "anxiety", "schizophrenia", "suicid*"],
}
_SITES = ["brain", "bone", "lung", "peritoneal", "adrenal", "lymph node*"]


def generated_topics(n: int, rng: random.Random) -> tuple[list[TopicSpec], dict]:
    """n medical topics in the query language, using a shared pool of synonym sets."""
    names = list(_SETS)
    specs = []
    for i in range(n):
        a, b, c = rng.sample(names, 3)
        shape = i % 5
        if shape == 0:
            q = f"(@{a} NEAR/{rng.choice([5, 10, 20])} @{b}) AND NOT title:@{c}"
        elif shape == 1:
            q = f'(title:@{a} OR lead:@{a}) AND (@{b} OR "{rng.choice(_SITES)} metastases")'
        elif shape == 2:
            q = f"@{a} AND @{b} AND NOT (@{c} NEAR/3 @{a})"
        elif shape == 3:
            s = rng.choice(_SITES)
            q = f'("{s} metasta*" OR {s} NEAR/4 metasta*) AND (@{a} OR @immunotherapy)'
        else:
            q = f"title:(@{a} OR @{b}) AND lead:@{c} OR (@{a} NEAR/8 @{c})"
        specs.append(TopicSpec(f"gen-{i:02d}", q))
    return specs, dict(_SETS)


def bench_articles(n: int, items: list[dict], rng: random.Random) -> list[tuple[str, str]]:
    news = []
    if TRUTH.exists():
        for line in TRUTH.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            news.append((" ".join(text.split()[:12]), text))
    medical = []
    for _ in range(200):
        parts = rng.sample(items, rng.randint(1, 4))
        medical.append((parts[0]["title"], "\n\n".join(p["text"] for p in parts)))
    for p in sorted(SEEDS.glob("0*.txt")):
        medical.append(load_seed(p))
    pool = news + medical
    return [pool[i % len(pool)] for i in range(n)]


class RegexTopic:
    """One topic evaluated on its own with regular expressions over the raw strings."""

    CHARS_PER_WORD = 7

    def __init__(self, spec: TopicSpec, synonyms: dict) -> None:
        self.syn = {k.casefold(): v for k, v in synonyms.items()}
        self.root = self.build(parse(spec.query))

    def entry_re(self, entry: str) -> list[str]:
        entry = entry.strip('"')
        if entry.startswith("@"):
            out = []
            for e in self.syn[entry[1:].casefold()]:
                out += self.entry_re(e)
            return out
        toks = re.findall(r"\w+\*?", entry)
        parts = []
        for t in toks:
            parts.append(re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t) + "s?")
        return [r"[\W_]+".join(parts)]

    def build(self, a):
        if a.kind == "words":
            return ("re", re.compile(r"\b(?:" + "|".join(self.entry_re(a.text)) + r")\b", re.I))
        if a.kind == "syn":
            pats = self.entry_re("@" + a.text)
            return ("re", re.compile(r"\b(?:" + "|".join(pats) + r")\b", re.I))
        kids = [self.build(c) for c in a.children]
        if a.kind == "near":
            return ("near", a.dist * self.CHARS_PER_WORD, kids)
        if a.kind == "field":
            return ("field", a.text, kids)
        return (a.kind, None, kids)

    def spans(self, node, doc: dict[str, str], field: str) -> list[tuple[int, int]] | None:
        kind = node[0]
        if kind == "re":
            s = [m.span() for m in node[1].finditer(doc[field])]
            return s or None
        _, arg, kids = node
        if kind == "field":
            return self.spans(kids[0], doc, arg)
        if kind == "not":
            return None if self.spans(kids[0], doc, field) is not None else []
        if kind == "near":
            a = self.spans(kids[0], doc, field)
            b = self.spans(kids[1], doc, field) if a else None
            if not a or not b:
                return None
            out = [
                (min(x[0], y[0]), max(x[1], y[1]))
                for x in a
                for y in b
                if max(y[0] - x[1], x[0] - y[1], 0) <= arg
            ]
            return out or None
        results = [self.spans(k, doc, field) for k in kids]
        if kind == "and":
            if any(r is None for r in results):
                return None
        elif all(r is None for r in results):
            return None
        return [s for r in results if r for s in r]

    def match(self, title: str, text: str) -> bool:
        words = text.split()
        doc = {"all": title + "\n\n" + text, "title": title, "lead": " ".join(words[:80])}
        return self.spans(self.root, doc, "all") is not None


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--topics", type=int, default=100)
    ap.add_argument("--regex-articles", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})

    specs, synonyms = load_shipped()
    shipped = compile_topics(specs, synonyms)
    base = compile_topics([baseline_spec(synonyms)], synonyms)
    # ablation: the shipped query with every NEAR/n read as AND (fields and NOTs kept)
    no_near = TopicSpec("no-near", re.sub(r"NEAR/\d+", "AND", specs[0].query))
    ablation = compile_topics([no_near], synonyms)
    tuned = [it for it in load_items("labelled-*.txt")]
    held = load_items("heldback.txt")
    print(f"Quality of {TOPIC!r} ({len(tuned)} tuning items + {len(held)} held back)")
    print("baseline: both concepts anywhere, same synonym sets, no proximity/fields/NOTs")
    print(f"{'set':<28}{'matcher':<22}{'TP':>4}{'FP':>4}{'FN':>4}{'TN':>4}{'prec':>7}{'recall':>8}")
    summary = {}
    for set_name, its in (
        ("tuning set (written first)", tuned),
        ("held back", held),
        ("all", tuned + held),
    ):
        if not its:
            continue
        for mname, m, topic in (
            ("shipped topic", shipped, TOPIC),
            ("baseline (words)", base, "baseline"),
            ("shipped, NEAR as AND", ablation, "no-near"),
        ):
            tp, fp, fn, tn = prf(m, topic, its)
            p, r = ratio(tp, tp + fp), ratio(tp, tp + fn)
            summary[(set_name, mname)] = (p, r)
            print(f"{set_name:<28}{mname:<22}{tp:>4}{fp:>4}{fn:>4}{tn:>4}{p:>7.3f}{r:>8.3f}")
    seeds_ok = sum(1 for p in sorted(SEEDS.glob("0*.txt")) if shipped.match(*load_seed(p)))
    n_seeds = len(list(SEEDS.glob("0*.txt")))
    print(f"seed articles matched: {seeds_ok}/{n_seeds}")
    misses = []
    for it in tuned + held:
        got = bool(shipped.match(it["title"], it["text"]))
        if got != it["label"]:
            misses.append(f"  {'FP' if got else 'FN'} {it['id']} [{it['kind']}] {it['title'][:70]}")
    if misses:
        print("errors of the shipped topic:")
        print("\n".join(misses))

    # speed
    rng = random.Random(7)
    gen_specs, gen_syn = generated_topics(args.topics - len(specs), rng)
    all_syn = {**gen_syn, **synonyms}
    t0 = time.perf_counter()
    matcher = compile_topics(specs + gen_specs, all_syn)
    compile_s = time.perf_counter() - t0
    arts = bench_articles(args.articles, tuned + held, rng)
    n_words = sum(len(t.split()) + len(x.split()) for t, x in arts) / len(arts)
    for t, x in arts[:500]:  # warm the token cache, as a running service would have it
        matcher.match(t, x)
    runs = []
    for _ in range(args.repeat):
        t0 = time.process_time()
        hits = 0
        for t, x in arts:
            hits += len(matcher.match(t, x))
        runs.append((time.process_time() - t0) / len(arts))
    ours = min(runs)
    t0 = time.process_time()
    for t, x in arts:
        matcher._index(t, x)
    index_only = (time.process_time() - t0) / len(arts)

    regex_topics = [RegexTopic(s, all_syn) for s in specs + gen_specs]
    step = max(1, len(arts) // args.regex_articles)
    sub = arts[::step][: args.regex_articles]
    t0 = time.process_time()
    sub_hits = 0
    for t, x in sub:
        sub_hits += len(matcher.match(t, x))
    ours_sub = (time.process_time() - t0) / len(sub)
    t0 = time.process_time()
    rx_hits = 0
    for t, x in sub:
        for rt in regex_topics:
            rx_hits += rt.match(t, x)
    regex = (time.process_time() - t0) / len(sub)

    cpu = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print()
    print(
        f"Speed: {len(specs + gen_specs)} topics x {len(arts)} articles "
        f"(mean {n_words:.0f} words), pinned to CPU {cpu}; CPU time, best of {args.repeat}; "
        f"compile {compile_s * 1000:.1f} ms"
    )
    print(f"{'method':<46}{'ms/article':>11}{'matches':>9}")
    print(f"{'index only (tokenise + positions)':<46}{index_only * 1000:>11.3f}")
    print(f"{'monitor.topics, all topics, one pass':<46}{ours * 1000:>11.3f}{hits:>9}")
    print(f"{'  same, on the regex sample':<46}{ours_sub * 1000:>11.3f}{sub_hits:>9}")
    print(
        f"{'regex, each topic separately':<46}{regex * 1000:>11.3f}{rx_hits:>9}"
        f"  (every {step}th article, {len(sub)} in all)"
    )
    print(f"all timed passes (ms/article): {', '.join(f'{r * 1000:.3f}' for r in runs)}")
    speedup = regex / ours_sub
    p, r = summary[("all", "shipped topic")]
    hp, hr = summary.get(("held back", "shipped topic"), (float("nan"), float("nan")))
    bp, br = summary[("all", "baseline (words)")]
    print()
    print(
        f"SUMMARY topic={TOPIC} precision={p:.3f} recall={r:.3f} on {len(tuned + held)} items "
        f"(held back {hp:.3f}/{hr:.3f}; keyword baseline {bp:.3f}/{br:.3f}) "
        f"seeds={seeds_ok}/{n_seeds} speed={ours * 1000:.3f} ms/article for "
        f"{len(specs + gen_specs)} topics, {speedup:.1f}x faster than per-topic regex"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
