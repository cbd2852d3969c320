"""Build the held-out extraction set: pages/<id>.html, truth.jsonl, boilerplate_kinds.jsonl.

Run from anywhere:  python3 src/make_pages.py
Inputs: src/bodies/<id>.txt (article bodies; blank-line separated; '## ' subheading, '- ' list item,
{^n} numeric citation marker, [text](url) inline link) and src/content.py (per-outlet/per-page data)."""
import html, json, re, pathlib, sys
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from content import *  # noqa

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BODIES = HERE / 'bodies'
MARK = re.compile(r'\{\^([\d,]+)\}')
LINK = re.compile(r'\[([^\]]+)\]\(([^)]*)\)')
TOKEN = re.compile(MARK.pattern + '|' + LINK.pattern)


def esc(s):
    return html.escape(s, quote=False)


def attr(s):
    return html.escape(s, quote=True)


def plain(s):
    return LINK.sub(r'\1', MARK.sub('', s))


def inline(s, markers, links):
    """Render body text: markers 'sup' | 'bracket'; links 'residue' (markdown left visible) | 'anchor'."""
    out, pos = [], 0
    for m in TOKEN.finditer(s):
        out.append(esc(s[pos:m.start()]))
        if m.group(1):
            nums = m.group(1)
            out.append(f'<sup class="ref"><a href="#ref-{nums.split(",")[0]}">{nums}</a></sup>' if markers == 'sup' else f'[{nums}]')
        else:
            text, url = m.group(2), m.group(3)
            if links == 'residue':
                out.append(esc(m.group(0)))
            else:
                href = url if url and url != '#' else '/tag/' + re.sub(r'\W+', '-', text.lower()).strip('-')
                out.append(f'<a href="{attr(href)}">{esc(text)}</a>')
        pos = m.end()
    out.append(esc(s[pos:]))
    return ''.join(out)


def parse_body(pid):
    blocks = []
    for para in (BODIES / f'{pid}.txt').read_text().strip().split('\n\n'):
        para = para.strip()
        if para.startswith('## '):
            blocks.append(('h', para[3:]))
        elif para.startswith('- '):
            if blocks and blocks[-1][0] == 'ul':
                blocks[-1][1].append(para[2:])
            else:
                blocks.append(('ul', [para[2:]]))
        else:
            blocks.append(('p', para))
    return blocks


def body_text(blocks):
    lines = []
    for kind, v in blocks:
        lines.extend(plain(x) for x in (v if kind == 'ul' else [v]))
    return '\n'.join(lines)


def count_markers(blocks):
    n = l = 0
    for kind, v in blocks:
        for x in (v if kind == 'ul' else [v]):
            n += len(MARK.findall(x)); l += len(LINK.findall(x))
    return n, l


class Page:
    def __init__(self, pid, url, lang, title, body_blocks=None):
        self.id, self.url, self.lang, self.title = pid, url, lang, title
        self.blocks = body_blocks or []
        self.bp = []

    def t(self, kind, text):
        """Record a boilerplate line and return it escaped."""
        self.bp.append((kind, text))
        return esc(text)

    def r(self, kind, visible, markup):
        """Record a boilerplate line whose markup is given separately."""
        self.bp.append((kind, visible))
        return markup

    def truth(self):
        seen, bl = set(), []
        for _, text in self.bp:
            if text not in seen:
                seen.add(text); bl.append(text)
        return {'id': self.id, 'url': self.url, 'lang': self.lang, 'title': self.title,
                'text': body_text(self.blocks), 'boilerplate': bl}


# ======================================================================= A: Clinicwire
CW_COOKIE = 'We use cookies to measure traffic and remember your preferences. You can change your choice at any time under Privacy settings.'
CW_COPY = 'This release is reproduced with the permission of the issuing organisation. Beyond fair use for study or review, please obtain written consent before reusing any part of it. Published for general information only.'
CW_FEEDBACK = 'Spotted a mistake or want to add context? Send a note to our editors.'
CW_DISCLAIMER = 'Clinicwire reports on research for a general and professional audience. Nothing on this site constitutes medical advice; always consult a qualified clinician about your own health.'


def cw_chrome_top(pg, title, canonical, extra_head=''):
    nav = ''.join(f'<li><a href="/{s.lower().replace(" ", "-")}/">{s}</a></li>' for s in ['Home', 'Oncology', 'Cardiology', 'Neuroscience', 'Paediatrics', 'Public health', 'Newsletters'])
    return f'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} | Clinicwire</title>
<link rel="canonical" href="{attr(canonical)}">
<link rel="stylesheet" href="/static/css/clinicwire.4c1e9.css">
{extra_head}</head>
<body>
<div id="cookie-consent" class="cookie-bar" role="dialog" aria-label="Cookie consent">
  <p>{pg.t('cookie', CW_COOKIE)}</p>
  <button type="button" class="btn">Accept all</button> <button type="button" class="btn btn-ghost">Manage choices</button>
</div>
<header class="site-header">
  <a class="logo" href="/">Clinicwire</a>
  <nav class="primary-nav" aria-label="Sections"><ul>{nav}</ul></nav>
  <form class="search" action="/search" role="search"><input type="search" name="q" placeholder="Search news" aria-label="Search"></form>
</header>
'''


def cw_chrome_bottom(pg):
    trending = ''.join(f'<li><a href="/news/trending-{k}">{pg.t("teaser", EN_TEASERS[k][0])}</a></li>' for k in ['t6', 't7', 't8', 't10'])
    return f'''<aside class="sidebar">
  <section class="newsletter-box">
    <h2>{pg.t('newsletter', 'The Clinicwire Daily')}</h2>
    <p>{pg.t('newsletter', 'The day’s medical research in one short email, every weekday at 7am.')}</p>
    <form action="/newsletter" method="post"><input type="email" name="email" placeholder="Your email address" aria-label="Email"> <button type="submit">Subscribe</button></form>
  </section>
  <section class="trending">
    <h2>{pg.t('teaser', 'Trending now')}</h2>
    <ol>{trending}</ol>
  </section>
</aside>
</main>
<footer class="site-footer">
  <p>{pg.t('copyright', '© 2024 Clinicwire Media Ltd. All rights reserved.')}</p>
  <p>{pg.t('disclaimer', CW_DISCLAIMER)}</p>
  <nav class="footer-nav"><a href="/about">About</a> <a href="/contact">Contact</a> <a href="/privacy">Privacy</a> <a href="/terms">Terms</a></nav>
</footer>
</body>
</html>
'''


def clinicwire(d):
    url = f'https://clinicwire.example/{d["path"]}'
    pg = Page(d['id'], url, 'en', d['title'], parse_body(d['id']))
    head = f'<meta property="og:type" content="article">\n<meta property="og:title" content="{attr(d["title"])}">\n<meta property="article:published_time" content="{d["iso"]}">\n'
    out = [cw_chrome_top(pg, d['title'], url, head)]
    body = '\n'.join(f'    <p>{inline(v, "sup", "residue")}</p>' for k, v in pg.blocks)
    crumbs = pg.r('breadcrumb', f'Clinicwire › Medicine & Health › {d["section"]}',
                  f'<a href="/">Clinicwire</a> › <a href="/health/">Medicine &amp; Health</a> › <a href="/{d["section"].lower()}/">{esc(d["section"])}</a>')
    meta = pg.r('date_line', f'{d["date"]} · Republished press release', f'<time datetime="{d["iso"]}">{esc(d["date"])}</time> · Republished press release')
    cap = pg.r('caption', f'{d["caption"]} {d["credit"]}', f'{esc(d["caption"])} <span class="credit">{esc(d["credit"])}</span>')
    further = pg.r('citation_refs', f'Further reading: {d["further"]}', f'<strong>Further reading:</strong> {esc(d["further"])}')
    doi = f'\n    <p class="doi">{pg.t("citation_refs", d["doi"])}</p>' if d['doi'] else ''
    out.append(f'''<main class="layout">
<article class="news-item" itemscope itemtype="https://schema.org/NewsArticle">
  <header class="news-header">
    <nav class="breadcrumbs" aria-label="Breadcrumb">{crumbs}</nav>
    <h1 itemprop="headline">{esc(d["title"])}</h1>
    <p class="meta">{meta}</p>
  </header>
  <figure class="lead-image">
    <img src="/media/2024/{d["id"]}.jpg" alt="" width="960" height="540">
    <figcaption>{cap}</figcaption>
  </figure>
  <div class="news-body" itemprop="articleBody">
{body}
  </div>
  <section class="news-footnotes">
    <p class="further">{further}</p>{doi}
    <p class="source">{pg.t('source_line', d['source'])}</p>
    <p class="how-to-cite">{pg.t('cite_retrieved', f'Cite this story: {d["title"]}. Clinicwire ({d["date"]}). Accessed {d["accessed"]} at {url}')}</p>
    <p class="rights">{pg.t('copyright', CW_COPY)}</p>
  </section>
  <div class="share-tools">{pg.r('share', 'Share this story Email LinkedIn Print', '<span>Share this story</span> <a href="mailto:?subject=Clinicwire">Email</a> <a href="https://www.linkedin.com/shareArticle">LinkedIn</a> <a href="javascript:print()">Print</a>')}</div>
  <p class="corrections">{pg.t('feedback', CW_FEEDBACK)}</p>
  <aside class="related-stories">
    <h2>{pg.t('teaser', 'You might also like')}</h2>
    <ul>
''')
    for k in d['related']:
        h, p = EN_TEASERS[k]
        out.append(f'      <li><h3><a href="/news/{k}">{pg.t("teaser", h)}</a></h3><p>{pg.t("teaser", p)}</p></li>\n')
    out.append('    </ul>\n  </aside>\n</article>\n')
    out.append(cw_chrome_bottom(pg))
    return pg, ''.join(out)


def clinicwire_index(d):
    url = f'https://clinicwire.example/{d["path"]}'
    pg = Page(d['id'], url, 'en', d['title'])
    out = [cw_chrome_top(pg, d['title'], url)]
    out.append(f'''<main class="layout">
<section class="listing">
  <nav class="breadcrumbs" aria-label="Breadcrumb">{pg.r('breadcrumb', 'Clinicwire › Medicine & Health › Oncology', '<a href="/">Clinicwire</a> › <a href="/health/">Medicine &amp; Health</a> › Oncology')}</nav>
  <h1>{esc(d['title'])}</h1>
  <p class="intro">{pg.t('listing', d['intro'])}</p>
  <ul class="news-list">
''')
    for i, (h, date, p) in enumerate(d['items']):
        out.append(f'''    <li><article class="teaser"><img src="/media/thumbs/{i}.jpg" alt="">
      <h2><a href="/news/2024-06/item-{i}">{pg.t('listing', h)}</a></h2>
      <p class="meta"><time>{pg.t('listing', date)}</time></p>
      <p>{pg.t('listing', p)}</p></article></li>
''')
    out.append(f'''  </ul>
  <nav class="pager">{pg.r('listing', 'Page 1 of 42 Next page ›', '<span>Page 1 of 42</span> <a href="/oncology/?page=2">Next page ›</a>')}</nav>
</section>
''')
    out.append(cw_chrome_bottom(pg))
    return pg, ''.join(out)


# ======================================================================= B: Medbeat (div soup)
def medbeat(d):
    url = f'https://medbeat.example/{d["path"]}'
    blocks = parse_body(d['id'])
    pg = Page(d['id'], url, 'en', d['title'], blocks)
    name, bio = MEDBEAT_AUTHORS[d['author']]
    figs = dict(d.get('figs', []))
    out = [f'''<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{esc(d["title"])} - Medbeat</title>
<meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/_next/static/css/8f2a1c0d.css">
<script>window.__MB_STATE__={{"page":"article","section":"{d["section"]}","paywall":false}};</script>
</head>
<body>
<div id="__next"><div class="css-k008qs">
<div class="css-1y8kxgl">
  <div class="css-0"><a class="css-11rsyp" href="/">MEDBEAT</a></div>
  <div class="css-1fq6c2b"><a class="css-4rbku5" href="/news">News</a> <a class="css-4rbku5" href="/cardiology">Cardiology</a> <a class="css-4rbku5" href="/oncology">Oncology</a> <a class="css-4rbku5" href="/infectious-disease">Infectious disease</a> <a class="css-4rbku5" href="/paediatrics">Paediatrics</a> <a class="css-4rbku5" href="/policy">Policy</a></div>
  <div class="css-9v2z0p"><a href="/login">Sign in</a> <a class="css-1q2w3e" href="/subscribe">Subscribe</a></div>
</div>
<div class="css-19kzrtu"><div class="css-1lc7x2">
  <div class="css-hboir5">{pg.r('breadcrumb', f'Home » News » {d["section"]} » {d["title"]}', f'<a href="/">Home</a> » <a href="/news">News</a> » <a href="/{d["section"].lower()}">{esc(d["section"])}</a> » <span>{esc(d["title"])}</span>')}</div>
  <div class="css-7ah0e3">{pg.t('title_repeat', d['title'] + ' | Medbeat')}</div>
  <h1 class="css-1w2zh6v">{esc(d["title"])}</h1>
  <div class="css-lt2k5w">{pg.r('date_line', f'By {name} | {d["date"]} | {d["mins"]} min read', f'<span>By <a href="/authors/{d["author"]}">{esc(name)}</a></span><span> | </span><span>{esc(d["date"])}</span><span> | </span><span>{d["mins"]} min read</span>')}</div>
  <div class="css-1c0m3t">{pg.r('share', 'Share Post Email', '<a href="#share-fb">Share</a> <a href="#share-x">Post</a> <a href="#share-mail">Email</a>')}</div>
  <div class="css-ccnt4k"><a href="#comments">{pg.t('comments', f'({d["comments"]})')}</a></div>
''']
    if 'caption' in d:
        out.append(f'  <div class="css-lead0"><div class="css-1dbjc4n"><img src="/_next/image?url=%2Fuploads%2F{d["id"]}.jpg&amp;w=1200" alt=""></div><div class="css-1yadl7y">{pg.t("caption", d["caption"])}</div></div>\n')
    paras = []
    for i, (k, v) in enumerate(blocks):
        cls = 'css-1rynq56 r-1b43r93" role="heading" aria-level="2' if k == 'h' else 'css-146c3p1 r-1qd0xha'
        paras.append(f'<div class="{cls}">{inline(v, "sup", "anchor")}</div>')
        if i in figs:
            paras.append(f'<div class="css-9pa8cd"><div class="css-1dbjc4n"><img src="/_next/image?url=%2Fuploads%2F{d["id"]}-{i}.jpg&amp;w=1080" alt=""></div><div class="css-1yadl7y">{pg.t("caption", figs[i])}</div></div>')
        if i == d['readmore_after']:
            paras.append(f'<div class="css-1x0ukq6"><a class="css-4rbku5" href="/news/related-{d["id"]}">{pg.t("teaser", d["readmore"])}</a></div>')
    out.append('  <div class="css-1dbjc4n r-article">\n    ' + '\n    '.join(paras) + '\n  </div>\n')
    out.append(f'''  <div class="css-tg8k2">{pg.t('tags', d['topics'])}</div>
  <div class="css-au91x"><img src="/authors/{d["author"]}.jpg" alt=""><div>
    <div class="css-au-l">{pg.t('author_bio', 'About the author')}</div>
    <div class="css-au-n">{pg.t('author_bio', name)}</div>
    <div class="css-au-b">{pg.t('author_bio', bio)}</div>
  </div></div>
  <div class="css-nl3v">
    <div class="css-nl-h">{pg.t('newsletter', 'Don’t miss a beat')}</div>
    <div class="css-nl-t">{pg.t('newsletter', 'Our free Medbeat Briefing lands in your inbox every Tuesday and Friday.')}</div>
    <input class="css-nl-i" type="email" placeholder="Work email"> <a class="css-1q2w3e" href="/briefing">Sign me up</a>
  </div>
  <div class="css-web0">
    <div class="css-web-h">{pg.t('teaser', 'More industry news from our partners')}</div>
    ''')
    out.append('\n    '.join(f'<div class="css-web1i">{pg.t("teaser", MEDBEAT_WEB[w])}</div>' for w in d['web']))
    out.append(f'''
  </div>
  <div id="comments" class="css-cm5t">
    <div class="css-cm-h">{pg.t('comments', f'{d["comments"]} Comments')}</div>
    <div class="css-cm-j">{pg.t('comments', 'Join the conversation')}</div>
    <div class="css-cm-s">{pg.t('comments', 'Sign in or create a free account to comment.')}</div>
    <div class="css-cm-n">{pg.t('comments', 'Comments are reviewed by a moderator before they appear. Please keep it civil and on topic.')}</div>
  </div>
</div></div>
<div class="css-ft0">
  <div class="css-ft1">{pg.t('copyright', '© Medbeat Publishing Ltd 2024')}</div>
  <div class="css-ft2">{pg.t('disclaimer', 'Medbeat is an independent trade publication for healthcare professionals. Our content is not intended as medical advice for patients.')}</div>
</div>
</div></div>
</body>
</html>
''')
    return pg, ''.join(out)


# ======================================================================= C: ClearAnswers (JSON-LD)
CA_DISCLAIMER = 'ClearAnswers is for general education. It does not replace a diagnosis or a treatment plan from your own healthcare team.'


def clearanswers(d):
    url = f'https://clearanswers.example/{d["path"]}'
    blocks = parse_body(d['id'])
    pg = Page(d['id'], url, 'en', d['title'], blocks)
    ld = {'@context': 'https://schema.org', '@graph': [
        {'@type': 'Article', 'headline': d['title'], 'datePublished': d['iso'], 'dateModified': d['iso'],
         'author': {'@type': 'Organization', 'name': 'ClearAnswers Health'}, 'publisher': {'@type': 'Organization', 'name': 'ClearAnswers Health'},
         'mainEntityOfPage': url, 'articleBody': body_text(blocks)},
        {'@type': 'BreadcrumbList', 'itemListElement': [
            {'@type': 'ListItem', 'position': 1, 'name': 'Questions', 'item': 'https://clearanswers.example/questions/'},
            {'@type': 'ListItem', 'position': 2, 'name': d['topic']}]}]}
    ldj = json.dumps(ld, ensure_ascii=False, indent=1).replace('</', '<\\/')
    body = []
    for k, v in blocks:
        if k == 'h':
            body.append(f'<h2>{inline(v, "sup", "anchor")}</h2>')
        elif k == 'ul':
            body.append('<ul>' + ''.join(f'<li>{inline(x, "sup", "anchor")}</li>' for x in v) + '</ul>')
        else:
            body.append(f'<p>{inline(v, "sup", "anchor")}</p>')
    service = (f'Why you’re seeing this: patients often ask us about {d["topic"].lower()}, so our editors summarised what published studies say. '
               'Every claim is linked to a source below. We can’t review personal medical records or recommend a treatment for you.')
    out = [f'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(d["title"])} | ClearAnswers</title>
<link rel="canonical" href="{attr(url)}">
<script type="application/ld+json">
{ldj}
</script>
<link rel="stylesheet" href="/assets/app.min.css">
</head>
<body>
<header class="topbar">
  <a class="brand" href="/">ClearAnswers</a>
  <nav class="topnav"><a href="/questions/">Browse questions</a> <a href="/ask">Ask a question</a> <a href="/about">How we work</a></nav>
  <form role="search" action="/search"><input type="search" name="q" placeholder="Search health questions"></form>
</header>
<main id="content">
  <div class="crumbs">{pg.r('breadcrumb', f'Questions / {d["topic"]}', f'<a href="/questions/">Questions</a> / <a href="/questions/{d["path"].split("/")[1]}/">{esc(d["topic"])}</a>')}</div>
  <section class="answer">
    <h1>{esc(d["title"])}</h1>
    <div class="byline">{pg.t('date_line', f'Reviewed by {d["reviewer"]} · Updated {d["updated"]}')}</div>
    <div class="answer-body">
      {chr(10).join('      ' + b for b in body).lstrip()}
    </div>
    <div class="about-answer"><p>{pg.t('qa_service', service)}</p></div>
    <section class="sources">
      <h2>{pg.t('citation_refs', 'Sources')}</h2>
      <ol>
''']
    for n, ref in d['refs']:
        out.append(f'        <li id="ref-{n}" value="{n}">{pg.t("citation_refs", ref)}</li>\n')
    out.append(f'''      </ol>
    </section>
    <p class="helpful-q">{pg.t('feedback', 'Did this answer help you?')}</p>
    <div class="thumbs">{pg.r('feedback', '👍 Yes 👎 No', '<button type="button" data-vote="up">👍 Yes</button> <button type="button" data-vote="down">👎 No</button>')}</div>
    <p class="feedback-link"><a href="/feedback?page={d["id"]}">{pg.t('feedback', 'Tell us what we missed')}</a></p>
    <p class="disclaimer">{pg.t('disclaimer', CA_DISCLAIMER)}</p>
  </section>
  <aside class="related">
    <h2>{pg.t('teaser', 'Related questions')}</h2>
    <ul>
''')
    for q in d['related']:
        out.append(f'      <li><a href="/questions/related/{re.sub(r"[^a-z]+", "-", q.lower()).strip("-")}">{pg.t("teaser", q)}</a></li>\n')
    out.append(f'''    </ul>
  </aside>
  <section class="newsletter">
    <h2>{pg.t('newsletter', 'Stay informed')}</h2>
    <p>{pg.t('newsletter', 'Get our monthly round-up of new answers, written for patients and carers.')}</p>
    <form action="/subscribe"><input type="email" placeholder="Email address"> <button type="submit">Sign up</button></form>
  </section>
</main>
<footer class="site-foot">
  <p>{pg.t('copyright', '© 2025 ClearAnswers Health. All rights reserved.')}</p>
  <p><a href="/privacy">Privacy</a> · <a href="/terms">Terms</a> · <a href="/editorial-policy">Editorial policy</a></p>
</footer>
</body>
</html>
''')
    return pg, ''.join(out)


# ======================================================================= D: Gesundheitsbote (table layout)
GB_DISCLAIMER = 'Wichtiger Hinweis: Dieser Artikel dient ausschließlich der allgemeinen Information und ersetzt keinesfalls die persönliche Beratung, Untersuchung oder Behandlung durch eine approbierte Ärztin oder einen approbierten Arzt.'
GB_COPY = '© 2001–2024 Gesundheitsbote Online GmbH · Alle Rechte vorbehalten · Nachdruck und Weiterverbreitung nur mit schriftlicher Genehmigung'


def gb_top(pg, title):
    left = '<br>\n'.join(f'<a href="/medizin/{x.lower()}/">{x}</a>' for x in ['Allergie', 'Diabetes', 'Frauengesundheit', 'Herz &amp; Kreislauf', 'HNO', 'Infektionen', 'Neurologie', 'Schmerz', 'Seniorengesundheit'])
    return f'''<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html lang="de">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(title)} - Gesundheitsbote Online</title>
<meta name="keywords" content="Gesundheit, Medizin, Ratgeber">
</head>
<body bgcolor="#ffffff" topmargin="0" leftmargin="0" marginwidth="0" marginheight="0">
<table width="980" border="0" cellpadding="0" cellspacing="0" align="center">
<tr><td colspan="3" bgcolor="#006699" height="70"><font face="Verdana, Arial" color="#ffffff" size="5"><b>Gesundheitsbote Online</b></font><br>
<font face="Verdana, Arial" color="#ffffff" size="1">{pg.t('site_chrome', 'Ihr Ratgeber für Medizin und Gesundheit – seit 2001')}</font></td></tr>
<tr><td colspan="3" bgcolor="#e0eef5"><font face="Verdana, Arial" size="1"><a href="/">Startseite</a> | <a href="/medizin/">Medizin</a> | <a href="/ernaehrung/">Ernährung</a> | <a href="/fitness/">Fitness</a> | <a href="/forum/">Forum</a> | <a href="/newsletter/">Newsletter</a></font></td></tr>
<tr valign="top">
<td width="160" bgcolor="#f2f2f2"><font face="Verdana, Arial" size="2"><b>Rubriken</b><br>
{left}</font></td>
<td width="620">
<table width="100%" border="0" cellpadding="8" cellspacing="0"><tr><td>
'''


def gb_bottom(pg):
    most = '<br>\n'.join(pg.r('teaser', f'{i}. {DE_TEASERS[k][0]}', f'{i}. <a href="/meistgelesen/{i}.html">{esc(DE_TEASERS[k][0])}</a>') for i, k in enumerate(['d5', 'd8', 'd3'], 1))
    return f'''</td></tr></table>
</td>
<td width="200" bgcolor="#f9f9f9"><font face="Verdana, Arial" size="1" color="#999999">Anzeige</font><br>
<img src="/banner/skyscraper.gif" width="160" height="600" alt=""><br><br>
<font face="Verdana, Arial" size="2"><b>{pg.t('newsletter', 'Gesundheitsbote-Newsletter')}</b></font><br>
<font face="Verdana, Arial" size="1">{pg.t('newsletter', 'Einmal pro Woche die wichtigsten Meldungen aus Medizin und Forschung – kostenlos und jederzeit kündbar.')}</font><br>
<form action="/newsletter/" method="post"><input type="text" name="email" size="18"><input type="submit" value="Jetzt abonnieren"></form>
<br><font face="Verdana, Arial" size="2"><b>{pg.t('teaser', 'Meistgelesen')}</b></font><br>
<font face="Verdana, Arial" size="1">{most}</font>
</td></tr>
<tr><td colspan="3" bgcolor="#006699" align="center"><font face="Verdana, Arial" size="1" color="#ffffff">{pg.t('copyright', GB_COPY)}<br>
<a href="/impressum.html"><font color="#ffffff">Impressum</font></a> | <a href="/datenschutz.html"><font color="#ffffff">Datenschutz</font></a> | <a href="/kontakt.html"><font color="#ffffff">Kontakt</font></a> | <a href="/mediadaten.html"><font color="#ffffff">Mediadaten</font></a></font></td></tr>
</table>
</body>
</html>
'''


def gesundheitsbote(d):
    url = f'https://gesundheitsbote.example/{d["path"]}'
    blocks = parse_body(d['id'])
    pg = Page(d['id'], url, 'de', d['title'], blocks)
    aline, bio = GB_AUTHORS[d['author']]
    out = [gb_top(pg, d['title'])]
    crumbs = pg.r('breadcrumb', f'Sie sind hier: Startseite > Medizin > {d["rubrik"]}',
                  f'Sie sind hier: <a href="/">Startseite</a> &gt; <a href="/medizin/">Medizin</a> &gt; <a href="/medizin/x/">{esc(d["rubrik"])}</a>')
    body = '<br><br>\n'.join(inline(v, 'bracket', 'anchor') for k, v in blocks)
    lit = '<br>\n'.join(pg.t('citation_refs', x) for x in d['lit'])
    stars = ''.join(f'<a href="?rate={i}">★</a>' for i in range(1, 6))
    out.append(f'''<font face="Verdana, Arial" size="1">{crumbs}</font><br>
<font face="Verdana, Arial" size="1" color="#666666">{pg.t('date_line', f'{d["date"]} | Rubrik: {d["rubrik"]}')}</font><br><br>
<font face="Verdana, Arial" size="4" color="#006699"><b>{esc(d["title"])}</b></font><br><br>
<table align="right" width="250" border="0" cellpadding="4" cellspacing="0"><tr><td bgcolor="#eeeeee"><img src="/bilder/{d["id"]}.jpg" width="240" height="160" alt=""><br>
<font face="Verdana, Arial" size="1">{pg.t('caption', d['caption'])}</font></td></tr></table>
<font face="Verdana, Arial" size="2">
{body}
</font><br><br>
<font face="Verdana, Arial" size="1"><i>{pg.t('source_line', d['source'])}</i></font><br><br>
<font face="Verdana, Arial" size="1"><b>{pg.t('citation_refs', 'Literatur:')}</b><br>
{lit}</font><br><br>
<table width="100%" border="0" cellpadding="6" cellspacing="0" bgcolor="#f2f2f2"><tr><td width="64"><img src="/autoren/{d["author"]}.jpg" width="60" height="60" alt=""></td>
<td><font face="Verdana, Arial" size="1"><b>{pg.t('author_bio', aline)}</b><br>
{pg.t('author_bio', bio)}</font></td></tr></table>
<br>
<font face="Verdana, Arial" size="1">{pg.t('feedback', 'War dieser Artikel hilfreich für Sie?')}<br>
{pg.t('feedback', 'So bewerten unsere Leser diesen Artikel: ' + d['rating'])}<br>
{pg.r('feedback', 'Ihre Bewertung: ★★★★★', 'Ihre Bewertung: ' + stars)}</font><br><br>
<font face="Verdana, Arial" size="1">{pg.r('share', 'Artikel drucken | Artikel versenden | Leserbrief schreiben', '<a href="?druck=1">Artikel drucken</a> | <a href="/versenden/">Artikel versenden</a> | <a href="/leserbrief/">Leserbrief schreiben</a>')}</font><br><br>
<table width="100%" border="0" cellpadding="4" cellspacing="0">
<tr><td bgcolor="#006699"><font face="Verdana, Arial" size="2" color="#ffffff"><b>{pg.t('teaser', 'Weitere Artikel zum Thema')}</b></font></td></tr>
''')
    for k in d['related']:
        h, p = DE_TEASERS[k]
        out.append(f'<tr><td><font face="Verdana, Arial" size="2"><a href="/artikel/{k}.html"><b>{pg.t("teaser", h)}</b></a><br>\n{pg.t("teaser", p)}</font></td></tr>\n')
    out.append(f'''</table>
<br><font face="Verdana, Arial" size="1" color="#990000">{pg.t('disclaimer', GB_DISCLAIMER)}</font>
''')
    out.append(gb_bottom(pg))
    return pg, ''.join(out)


def gesundheitsbote_paywall(d):
    url = f'https://gesundheitsbote.example/{d["path"]}'
    pg = Page(d['id'], url, 'de', d['title'])
    out = [gb_top(pg, d['title'])]
    out.append(f'''<font face="Verdana, Arial" size="1">{pg.r('breadcrumb', f'Sie sind hier: Startseite > Medizin > {d["rubrik"]}', f'Sie sind hier: <a href="/">Startseite</a> &gt; <a href="/medizin/">Medizin</a> &gt; <a href="/medizin/hno/">{esc(d["rubrik"])}</a>')}</font><br>
<font face="Verdana, Arial" size="1" color="#666666">{pg.t('date_line', f'{d["date"]} | Rubrik: {d["rubrik"]}')}</font><br><br>
<font face="Verdana, Arial" size="4" color="#006699"><b>{esc(d["title"])}</b></font><br><br>
<table width="100%" border="1" bordercolor="#006699" cellpadding="12" cellspacing="0"><tr><td align="center" bgcolor="#f5fbff">
<font face="Verdana, Arial" size="3" color="#006699"><b>{pg.t('paywall', 'Weiterlesen mit Gesundheitsbote Plus')}</b></font><br><br>
<font face="Verdana, Arial" size="2">{pg.t('paywall', 'Dieser Beitrag ist unseren Abonnentinnen und Abonnenten vorbehalten.')}<br>
{pg.t('paywall', 'Alle Plus-Artikel, das digitale Magazin und unser Expertenforum – für 4,99 € im Monat, jederzeit kündbar.')}</font><br><br>
<a href="/plus/testen/"><b>{pg.t('paywall', 'Jetzt 30 Tage kostenlos testen')}</b></a><br><br>
<font face="Verdana, Arial" size="1">{pg.r('paywall', 'Sie haben bereits ein Abo? Hier anmelden', 'Sie haben bereits ein Abo? <a href="/login/">Hier anmelden</a>')}</font>
</td></tr></table>
''')
    out.append(gb_bottom(pg))
    return pg, ''.join(out)


# ======================================================================= E: Santé Actu (opaque div soup, inline comments)
SA_COOKIE = 'Nous utilisons des cookies pour mesurer l’audience et vous proposer des contenus adaptés. Vous pouvez modifier vos choix à tout moment.'
SA_DISCLAIMER = 'Les informations publiées sur Santé Actu ne remplacent en aucun cas une consultation médicale. En cas de doute, parlez-en à votre médecin ou à votre pharmacien.'


def santeactu(d):
    url = f'https://santeactu.example/{d["path"]}'
    blocks = parse_body(d['id'])
    pg = Page(d['id'], url, 'fr', d['title'], blocks)
    name, bio = SA_AUTHORS[d['author']]
    out = [f'''<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{esc(d["title"])} - Santé Actu</title>
<meta property="og:site_name" content="Santé Actu">
<meta property="og:title" content="{attr(d["title"])}">
<link rel="stylesheet" href="/s/a.91c2.css">
</head>
<body class="p-art t-2">
<div class="_hdr"><div class="_lg"><a href="/">Santé Actu</a></div>
<div class="_mn"><a href="/actualites">Actualités</a> <a href="/maladies">Maladies</a> <a href="/medicaments">Médicaments</a> <a href="/nutrition">Nutrition</a> <a href="/forme">Forme</a> <a href="/videos">Vidéos</a></div></div>
<div class="_cnsnt"><div class="_cnsnt-t">{pg.t('cookie', SA_COOKIE)}</div><div class="_cnsnt-b"><a href="#ok">Accepter</a> <a href="#cfg">Paramétrer</a></div></div>
<div class="_wrp">
<div class="_c1">
  <div class="_fa">{pg.r('breadcrumb', f'Accueil > Santé > {d["rubrique"]} > {d["title"]}', f'<a href="/">Accueil</a> &gt; <a href="/sante">Santé</a> &gt; <a href="/sante/x">{esc(d["rubrique"])}</a> &gt; {esc(d["title"])}')}</div>
  <div class="_t"><h1 class="_t1">{esc(d["title"])}</h1></div>
  <div class="_by">{pg.r('byline', f'Par {name}', f'<span class="_a">Par <a href="/auteurs/{d["author"]}">{esc(name)}</a></span>')}</div>
  <div class="_dt">{pg.t('date_line', d['published'])}</div>
  <div class="_rt">{pg.t('site_chrome', 'Temps de lecture : 3 min')}</div>
  <div class="_md"><img src="/i/{d["id"]}.webp" alt=""><div class="_lgd">{pg.t('caption', d['caption'])}</div></div>
  <div class="_x9c">
''']
    la_h = FR_TEASERS[d['lireaussi']][0]
    for i, (k, v) in enumerate(blocks):
        out.append(f'    <p>{inline(v, "sup", "anchor")}</p>\n')
        if i == d['lireaussi_after']:
            la_markup = f'<span>Lire aussi :</span> <a href="/article/{d["lireaussi"]}">{esc(la_h)}</a>'
            out.append(f'    <div class="_la">{pg.r("teaser", "Lire aussi : " + la_h, la_markup)}</div>\n')
    n = len(d['comments'])
    out.append(f'''  </div>
  <div class="_src"><p>{pg.t('source_line', d['source'])}</p><p class="_ref">{pg.t('citation_refs', d['ref'])}</p></div>
  <div class="_utl">{pg.r('feedback', 'Cet article vous a-t-il été utile ? Oui Non', '<span>Cet article vous a-t-il été utile ?</span> <a href="#oui">Oui</a> <a href="#non">Non</a>')}</div>
  <div class="_shr">{pg.r('share', 'Partager sur Facebook Partager sur X Envoyer par e-mail', '<a href="#fb">Partager sur Facebook</a> <a href="#x">Partager sur X</a> <a href="#mail">Envoyer par e-mail</a>')}</div>
  <div class="_aut"><img src="/auteurs/{d["author"]}.jpg" alt=""><div class="_autn">{pg.t('author_bio', name)}</div><div class="_autb">{pg.t('author_bio', bio)}</div></div>
  <div class="_nl"><div class="_nlt">{pg.t('newsletter', 'La lettre de Santé Actu')}</div><div class="_nlx">{pg.t('newsletter', 'Recevez gratuitement chaque lundi l’essentiel de l’actualité santé.')}</div><input type="email" placeholder="Votre adresse e-mail"> <a class="_nlb" href="#nl">Je m’inscris</a></div>
  <div class="_cmts" id="reactions">
    <div class="_cmh">{pg.t('comments', f'{n} commentaires')}</div>
''')
    for who, when, txt in d['comments']:
        out.append(f'''    <div class="_cm"><div class="_cmu">{pg.t('comments', who)}</div><div class="_cmd">{pg.t('comments', when)}</div><p class="_cmx">{pg.t('comments', txt)}</p><div class="_cma">{pg.r('comments', 'Répondre Signaler', '<a href="#r">Répondre</a> <a href="#s">Signaler</a>')}</div></div>
''')
    out.append(f'''    <div class="_cmf"><div class="_cmft">{pg.t('comments', 'Réagir à cet article')}</div><textarea placeholder="Votre commentaire"></textarea><div class="_cmfn">{pg.t('comments', 'Les commentaires sont modérés a priori. Merci de rester courtois et de respecter notre charte de publication.')}</div><a href="#pub">Publier</a></div>
  </div>
  <div class="_rel"><div class="_relh">{pg.t('teaser', 'À lire aussi')}</div>
''')
    for k in d['related']:
        h, p = FR_TEASERS[k]
        out.append(f'    <div class="_reli"><a href="/article/{k}">{pg.t("teaser", h)}</a><p>{pg.t("teaser", p)}</p></div>\n')
    most = ''.join(f'<li><a href="/article/{k}">{pg.t("teaser", FR_TEASERS[k][0])}</a></li>' for k in ['f4', 'f7', 'f2'])
    out.append(f'''  </div>
</div>
<div class="_c2"><div class="_pub">Publicité</div><div class="_mr"><div class="_mrh">{pg.t('teaser', 'Les plus lus')}</div><ol>{most}</ol></div></div>
</div>
<div class="_ftr"><p>{pg.t('disclaimer', SA_DISCLAIMER)}</p><p>{pg.t('copyright', '© Santé Actu 2024 – Tous droits réservés. Toute reproduction, même partielle, est interdite sans autorisation.')}</p>
<div class="_ftl"><a href="/mentions-legales">Mentions légales</a> <a href="/cgu">CGU</a> <a href="/contact">Contact</a></div></div>
</body>
</html>
''')
    return pg, ''.join(out)


# ======================================================================= F: Salud y Zdrowie (ES/PL, WordPress-like HTML5)
SZ = {
    'es': dict(share='Compartir:', rel='Te puede interesar', fb='¿Te ha resultado útil este artículo? Puntúalo:',
               don_t='Apoya el periodismo de salud independiente',
               don_x='Salud y Zdrowie no tiene muros de pago ni depende de grandes anunciantes. Si valoras nuestro trabajo, ayúdanos con una aportación, por pequeña que sea.',
               don_b='Quiero colaborar', locale='es_ES', teasers=ES_TEASERS),
    'pl': dict(share='Udostępnij:', rel='Przeczytaj także', fb='Czy ten artykuł był pomocny? Oceń go:',
               don_t='Wesprzyj niezależne dziennikarstwo o zdrowiu',
               don_x='Nie mamy paywalla i nie zależymy od dużych reklamodawców. Jeśli cenisz naszą pracę, wesprzyj nas dowolną kwotą.',
               don_b='Wspieram', locale='pl_PL', teasers=PL_TEASERS),
}


def saludzdrowie(d):
    lang = d['lang']; L = SZ[lang]
    url = f'https://saludzdrowie.example/{d["path"]}'
    blocks = parse_body(d['id'])
    pg = Page(d['id'], url, lang, d['title'], blocks)
    out = [f'''<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(d["title"])} – Salud y Zdrowie</title>
<meta property="og:locale" content="{L["locale"]}">
<meta property="og:type" content="article">
<link rel="stylesheet" id="sz-style-css" href="/wp-content/themes/sz/style.css?ver=2.3" media="all">
</head>
<body class="post-template-default single single-post single-format-standard">
<header id="masthead" class="site-header">
  <p class="site-title"><a href="/" rel="home">Salud y Zdrowie</a></p>
  <p class="site-description">{pg.t('site_chrome', 'Salud para todos · Zdrowie dla wszystkich')}</p>
  <nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
    <li><a href="/">Inicio · Strona główna</a></li><li><a href="/salud/">Salud · Zdrowie</a></li><li><a href="/nutricion/">Nutrición · Żywienie</a></li><li><a href="/contacto/">Contacto · Kontakt</a></li>
  </ul></nav>
  <div class="lang-switch"><a hreflang="es" href="/es/">ES</a> | <a hreflang="pl" href="/pl/">PL</a></div>
</header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article class="post type-post status-publish format-standard has-post-thumbnail hentry">
  <header class="entry-header">
    <div class="breadcrumbs">{pg.t('breadcrumb', d['crumbs'])}</div>
    <h1 class="entry-title">{esc(d["title"])}</h1>
    <div class="entry-meta"><span class="posted-on">{pg.t('date_line', d['date'])}</span></div>
  </header>
  <p class="entry-source"><em>{pg.t('source_line', d['source'])}</em></p>
  <div class="entry-content">
''']
    for i, (k, v) in enumerate(blocks):
        out.append(f'    <p>{inline(v, "sup", "anchor")}</p>\n')
        if i == 0:
            out.append(f'    <figure class="wp-block-image size-large"><img src="/wp-content/uploads/2016/{d["id"]}.jpg" alt=""><figcaption>{pg.t("caption", d["caption"])}</figcaption></figure>\n')
    items = ''.join(f'<li><a href="#share-{s.lower()}">{pg.t("share", s)}</a></li>' for s in ['Facebook', 'WhatsApp', 'Telegram'])
    out.append(f'''    <div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">{pg.t('share', L['share'])}</h3><div class="sd-content"><ul>{items}</ul></div></div>
    <div class="donation-box">
      <p><strong>{pg.t('donation', L['don_t'])}</strong></p>
      <p>{pg.t('donation', L['don_x'])}</p>
      <p><a class="wp-block-button__link" href="/donar/">{pg.t('donation', L['don_b'])}</a></p>
    </div>
  </div>
  <footer class="entry-footer">
    <p class="entry-reference">{pg.t('citation_refs', d['ref'])}</p>
    <p class="tags-links">{pg.t('tags', d['tags'])}</p>
    <div class="post-rating"><p>{pg.t('feedback', L['fb'])}</p><p class="stars">{pg.r('feedback', '★★★★★', ''.join(f'<a href="?rating={i}">★</a>' for i in range(1, 6)))}</p></div>
''')
    if d.get('author'):
        label, bio = SZ_AUTHORS[d['author']]
        out.append(f'    <div class="author-bio"><h4>{pg.t("author_bio", label)}</h4><p>{pg.t("author_bio", bio)}</p></div>\n')
    out.append(f'''  </footer>
</article>
<aside class="related-posts">
  <h2>{pg.t('teaser', L['rel'])}</h2>
  <ul>
''')
    for k in d['related']:
        h, p = L['teasers'][k]
        out.append(f'    <li><a href="/{lang}/{k}/">{pg.t("teaser", h)}</a><p>{pg.t("teaser", p)}</p></li>\n')
    out.append(f'''  </ul>
</aside>
</main></div>
<aside id="secondary" class="widget-area">
  <section class="widget widget_text"><h2 class="widget-title">{pg.t('newsletter', 'Boletín · Newsletter')}</h2>
  <p>{pg.t('newsletter', 'Recibe cada viernes nuestras noticias de salud · Co piątek najważniejsze wiadomości o zdrowiu w Twojej skrzynce')}</p></section>
</aside>
</div>
<footer id="colophon" class="site-footer">
  <p lang="es">{pg.t('disclaimer', 'Aviso: el contenido de este sitio es meramente informativo y no sustituye la consulta con un profesional sanitario.')}</p>
  <p lang="pl">{pg.t('disclaimer', 'Zastrzeżenie: treści publikowane w serwisie mają charakter wyłącznie informacyjny i nie zastępują porady lekarza.')}</p>
  <p>{pg.t('copyright', '© 2024 Salud y Zdrowie · Todos los derechos reservados · Wszelkie prawa zastrzeżone')}</p>
</footer>
</body>
</html>
''')
    return pg, ''.join(out)


def build():
    jobs = ([(clinicwire, d) for d in CLINICWIRE] + [(clinicwire_index, CLINICWIRE_INDEX)] +
            [(medbeat, d) for d in MEDBEAT] + [(clearanswers, d) for d in CLEARANSWERS] +
            [(gesundheitsbote, d) for d in GESUNDHEITSBOTE] + [(gesundheitsbote_paywall, GB_PAYWALL)] +
            [(santeactu, d) for d in SANTEACTU] + [(saludzdrowie, d) for d in SALUDZDROWIE])
    (ROOT / 'pages').mkdir(exist_ok=True)
    truth, kinds = [], []
    for fn, d in jobs:
        pg, doc = fn(d)
        (ROOT / 'pages' / f'{pg.id}.html').write_text(doc)
        truth.append(pg.truth())
        nm, nl = count_markers(pg.blocks)
        kinds.append({'id': pg.id, 'kinds': [[k, t] for k, t in pg.bp], 'citation_markers_in_body': nm, 'inline_links_in_body': nl,
                      'link_style': 'markdown_residue' if fn is clinicwire else 'anchor',
                      'marker_style': 'bracket' if fn is gesundheitsbote else 'sup'})
    with open(ROOT / 'truth.jsonl', 'w') as f:
        for t in truth:
            f.write(json.dumps(t, ensure_ascii=False) + '\n')
    with open(ROOT / 'boilerplate_kinds.jsonl', 'w') as f:
        for k in kinds:
            f.write(json.dumps(k, ensure_ascii=False) + '\n')
    print(f'{len(truth)} pages written')


if __name__ == '__main__':
    build()
