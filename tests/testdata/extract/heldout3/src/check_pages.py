"""Self-check of the set: every boilerplate entry is a visible line of its page, every body paragraph is a
visible line (after removing citation markers / flattening markdown links), body and boilerplate are disjoint.
Prints visible lines that are neither (navigation and button labels are expected there)."""
import json, re, sys, pathlib
from html.parser import HTMLParser

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = set('address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td th thead tr ul'.split())
SKIP = set('script style noscript template head title textarea'.split())


class Lines(HTMLParser):
    def __init__(self, skip_sup=False):
        super().__init__(convert_charrefs=True)
        self.lines, self.cur, self.skip, self.skip_sup = [], [], 0, skip_sup

    def flush(self):
        t = re.sub(r'\s+', ' ', ''.join(self.cur)).strip()
        if t:
            self.lines.append(t)
        self.cur = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP or (self.skip_sup and tag == 'sup'):
            self.skip += 1
        elif tag in BLOCK:
            self.flush()

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in SKIP or (self.skip_sup and tag == 'sup'):
            self.skip -= 1
        elif tag in BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.cur.append(data)


def lines(doc, skip_sup=False):
    p = Lines(skip_sup); p.feed(doc); p.close(); p.flush()
    return p.lines


def main():
    bad = 0
    for t in map(json.loads, open(ROOT / 'truth.jsonl')):
        doc = (ROOT / 'pages' / f'{t["id"]}.html').read_text()
        raw = lines(doc)
        body_view = [re.sub(r'\[([^\]]+)\]\([^)]*\)', r'\1', re.sub(r'\[\d+(?:,\d+)*\]', '', l)) for l in lines(doc, skip_sup=True)]
        body = [l for l in t['text'].split('\n') if l]
        for b in t['boilerplate']:
            if b not in raw:
                bad += 1; print(f'{t["id"]}: boilerplate not a visible line: {b[:90]!r}')
        for b in body:
            if b not in body_view:
                bad += 1; print(f'{t["id"]}: body paragraph not a visible line: {b[:90]!r}')
        both = set(body) & set(t['boilerplate'])
        if both:
            bad += 1; print(f'{t["id"]}: in body and boilerplate: {both}')
        if t['title'] not in raw:
            bad += 1; print(f'{t["id"]}: title not visible')
        known = set(t['boilerplate']) | {t['title']}
        rest = [l for l, v in zip(raw, body_view) if l not in known and v not in body] if len(raw) == len(body_view) else []
        if '-v' in sys.argv:
            print(t['id'], 'other visible lines:', rest)
    print('problems:', bad)
    return bad


if __name__ == '__main__':
    sys.exit(1 if main() else 0)
