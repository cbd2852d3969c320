"""Build the held-out template set (written after the extractor was frozen at 27ccfcb).

Six outlets, each with its own template (class names, block order, where the boilerplate sits)
that the extractor was never tuned on; the five seed bodies in English and one article body in
each of German, French, Spanish, Italian, Portuguese, Dutch and Polish, each rendered by two
outlets. Every page carries the seed kinds of boilerplate inside the article container after
the body, in wordings written for this set. Writes pages/<id>.html and truth.jsonl
({id, url, lang, text, boilerplate: [lines that must not be in the extracted text]}).

    python tests/testdata/extract/heldout/make_pages.py
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

HERE = Path(__file__).parent
SEEDS = json.loads((HERE.parent / "seed_bodies.json").read_text(encoding="utf-8"))

BODIES = {
    "de": (
        "Immuntherapie wirkt bei Lebermetastasen schlechter",
        [
            "Patientinnen und Patienten, deren Tumor in die Leber gestreut hat, sprechen seltener "
            "auf Checkpoint-Hemmer an als andere. Das zeigt eine Auswertung von mehr als 700 "
            "Krankheitsverläufen aus vier deutschen Zentren.",
            "Die Forschenden vermuten, dass die Leber bestimmte Abwehrzellen abfängt, bevor sie den "
            "Tumor erreichen. In Versuchen mit Mäusen ließ sich dieser Effekt durch eine gezielte "
            "Bestrahlung der Lebermetastasen aufheben.",
            "Ob sich das Ergebnis auf Menschen übertragen lässt, soll nun eine klinische Studie "
            "klären, die im kommenden Jahr beginnen soll.",
        ],
    ),
    "fr": (
        "Métastases hépatiques : la radiothérapie pourrait relancer l'immunothérapie",
        [
            "Les patients atteints de métastases hépatiques répondent moins bien aux inhibiteurs "
            "de points de contrôle immunitaire, selon une étude menée sur plus de sept cents "
            "malades suivis pendant six ans.",
            "Chez la souris, une irradiation ciblée des lésions du foie a permis de restaurer "
            "l'action des lymphocytes T et de faire régresser les tumeurs dans tout l'organisme.",
            "Les auteurs soulignent que ces résultats doivent encore être confirmés par un essai "
            "clinique chez l'homme avant toute application en routine.",
        ],
    ),
    "es": (
        "El hígado frena la inmunoterapia contra el cáncer",
        [
            "Un estudio con más de setecientos pacientes muestra que las metástasis en el hígado "
            "reducen la eficacia de los fármacos inmunoterápicos frente a varios tipos de tumor.",
            "Según los investigadores, el hígado elimina los linfocitos T activados, lo que crea "
            "un desierto inmunitario en todo el organismo y no solo en el órgano afectado.",
            "En ratones, la radioterapia dirigida a las lesiones hepáticas devolvió la respuesta "
            "al tratamiento, y el equipo prepara ya un ensayo clínico en personas.",
        ],
    ),
    "it": (
        "Metastasi al fegato, perché l'immunoterapia funziona meno",
        [
            "I pazienti con metastasi epatiche rispondono meno agli inibitori dei checkpoint "
            "immunitari: lo conferma un'analisi condotta su oltre settecento casi clinici.",
            "Il fegato sembra eliminare i linfociti T attivati, impedendo al sistema immunitario "
            "di attaccare il tumore anche in altre parti del corpo.",
            "Negli esperimenti sui topi, la radioterapia mirata alle lesioni epatiche ha "
            "ripristinato l'efficacia del trattamento; uno studio clinico è in preparazione.",
        ],
    ),
    "pt": (
        "Metástases no fígado reduzem resposta à imunoterapia",
        [
            "Pacientes com metástases hepáticas respondem pior aos inibidores de checkpoint "
            "imunológico, segundo um estudo que acompanhou mais de setecentas pessoas.",
            "Os cientistas observaram que o fígado elimina os linfócitos T ativados, o que "
            "enfraquece a defesa contra o tumor em todo o organismo.",
            "Em camundongos, a radioterapia dirigida às lesões do fígado devolveu a eficácia do "
            "tratamento, e um ensaio clínico com pacientes deve começar em breve.",
        ],
    ),
    "nl": (
        "Levermetastasen remmen immuuntherapie",
        [
            "Patiënten bij wie kanker is uitgezaaid naar de lever, reageren minder goed op "
            "checkpointremmers. Dat blijkt uit onderzoek bij ruim zevenhonderd patiënten.",
            "Volgens de onderzoekers ruimt de lever geactiveerde T-cellen op, waardoor het "
            "afweersysteem de tumor in het hele lichaam minder goed kan aanvallen.",
            "Bij muizen herstelde gerichte bestraling van de levermetastasen het effect van de "
            "behandeling. Een klinische studie bij mensen wordt voorbereid.",
        ],
    ),
    "pl": (
        "Przerzuty do wątroby osłabiają immunoterapię",
        [
            "Pacjenci z przerzutami do wątroby gorzej reagują na inhibitory punktów kontrolnych "
            "układu odpornościowego, wynika z analizy danych ponad siedmiuset chorych.",
            "Naukowcy ustalili, że wątroba usuwa aktywne limfocyty T, przez co organizm słabiej "
            "broni się przed nowotworem także w innych narządach.",
            "U myszy ukierunkowana radioterapia przerzutów w wątrobie przywróciła skuteczność "
            "leczenia, a zespół przygotowuje już badanie kliniczne z udziałem ludzi.",
        ],
    ),
}

# The seed kinds, in wordings written for this set (not the seeds' own, not the lexicon's
# examples): source line, citation line, copyright, feedback prompt, cited research (heading +
# entries), comment prompt, author bio, disclaimer.
BOILER = {
    "en": {
        "source": "This story is based on materials from the Karolinska Institute.",
        "cite": "To reference this piece: Liver lesions and immune therapy. Health Wire, 2025.",
        "copyright": "Content © 2025 Health Wire Ltd. Reuse requires a licence.",
        "feedback": ["Did this article answer your question?", "Yes", "No"],
        "research_head": "Research we drew on",
        "research": [
            "Yu J, Green MD, Li S, et al. Liver metastasis restrains immunotherapy efficacy. "
            "Nat Med. 2021;27(1):152-164.",
            "Tumeh PC, Hellmann MD, Hamid O, et al. Liver metastasis and treatment outcome with "
            "anti-PD-1 monoclonal antibody. Cancer Immunol Res. 2017;5(5):417-424.",
        ],
        "comment": "Share your thoughts in the discussion below",
        "bio": "Dana Whitfield writes about cancer research for Health Wire.",
        "disclaimer": "Nothing on this page replaces a conversation with your own doctor.",
    },
    "de": {
        "source": "Dieser Text beruht auf einer Mitteilung der Charité.",
        "cite": "So zitieren Sie diesen Beitrag: Medizin Aktuell, Ausgabe 12/2025.",
        "copyright": "© 2025 Medizin Aktuell GmbH – Weiterverbreitung nur mit Erlaubnis.",
        "feedback": ["Fanden Sie diesen Beitrag hilfreich?", "Ja", "Nein"],
        "research_head": "Verwendete Studien",
        "research": [
            "Yu J, Green MD, Li S, et al. Liver metastasis restrains immunotherapy efficacy. "
            "Nat Med. 2021;27(1):152-164.",
        ],
        "comment": "Diskutieren Sie mit",
        "bio": "Katrin Vogel schreibt seit 2015 über Onkologie.",
        "disclaimer": "Die Informationen ersetzen nicht das Gespräch mit Ihrer Ärztin oder Ihrem Arzt.",
    },
    "fr": {
        "source": "Texte rédigé d'après un communiqué de l'Inserm.",
        "cite": "Référence à citer : Santé Info, décembre 2025.",
        "copyright": "© 2025 Santé Info. Toute reproduction est interdite sans accord.",
        "feedback": ["Cet article a-t-il répondu à vos questions ?", "Oui", "Non"],
        "research_head": "Études sur lesquelles s'appuie cet article",
        "research": [
            "Yu J, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
            "2021;27:152-164.",
        ],
        "comment": "Réagissez à cet article",
        "bio": "Claire Dubois couvre la recherche médicale pour Santé Info.",
        "disclaimer": "Ces informations ne remplacent pas l'avis de votre médecin.",
    },
    "es": {
        "source": "Información facilitada por el Hospital Clínic de Barcelona.",
        "cite": "Para citar este texto: Salud Hoy, diciembre de 2025.",
        "copyright": "© 2025 Salud Hoy. Queda prohibida la reproducción total o parcial.",
        "feedback": ["¿Te ha servido este artículo?", "Sí", "No"],
        "research_head": "Estudios consultados",
        "research": [
            "Yu J, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
            "2021;27:152-164.",
        ],
        "comment": "Escribe tu comentario",
        "bio": "Lucía Martín escribe sobre oncología en Salud Hoy.",
        "disclaimer": "Este contenido no sustituye la consulta con tu médico.",
    },
    "it": {
        "source": "Notizia tratta da un comunicato dell'Istituto Mario Negri.",
        "cite": "Per citare questo articolo: Salute Oggi, dicembre 2025.",
        "copyright": "© 2025 Salute Oggi – riproduzione vietata.",
        "feedback": ["Ti è stato utile questo articolo?", "Sì", "No"],
        "research_head": "Studi consultati",
        "research": [
            "Yu J, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
            "2021;27:152-164.",
        ],
        "comment": "Commenta la notizia",
        "bio": "Giulia Rossi si occupa di ricerca oncologica per Salute Oggi.",
        "disclaimer": "Le informazioni non sostituiscono il parere del medico curante.",
    },
    "pt": {
        "source": "Texto baseado em informação divulgada pela Fiocruz.",
        "cite": "Como referenciar: Saúde Agora, dezembro de 2025.",
        "copyright": "© 2025 Saúde Agora. É proibida a reprodução.",
        "feedback": ["Este conteúdo ajudou você?", "Sim", "Não"],
        "research_head": "Estudos consultados",
        "research": [
            "Yu J, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
            "2021;27:152-164.",
        ],
        "comment": "Comente esta notícia",
        "bio": "Ana Souza escreve sobre oncologia para o Saúde Agora.",
        "disclaimer": "Este conteúdo não substitui a consulta com o seu médico.",
    },
    "nl": {
        "source": "Dit bericht is gebaseerd op informatie van het Erasmus MC.",
        "cite": "Citeren: Gezondheid Nu, december 2025.",
        "copyright": "© 2025 Gezondheid Nu. Overname alleen met toestemming.",
        "feedback": ["Vond je dit artikel nuttig?", "Ja", "Nee"],
        "research_head": "Gebruikte onderzoeken",
        "research": [
            "Yu J, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
            "2021;27:152-164.",
        ],
        "comment": "Praat mee",
        "bio": "Sanne de Vries schrijft over kankeronderzoek voor Gezondheid Nu.",
        "disclaimer": "Deze informatie is geen vervanging voor een gesprek met je arts.",
    },
    "pl": {
        "source": "Tekst przygotowany na podstawie informacji Warszawskiego Uniwersytetu Medycznego.",
        "cite": "Jak powoływać się na ten tekst: Zdrowie Dziś, grudzień 2025.",
        "copyright": "© 2025 Zdrowie Dziś. Przedruk wyłącznie za zgodą redakcji.",
        "feedback": ["Czy ten artykuł był dla Ciebie pomocny?", "Tak", "Nie"],
        "research_head": "Wykorzystane badania",
        "research": [
            "Yu J, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
            "2021;27:152-164.",
        ],
        "comment": "Skomentuj",
        "bio": "Anna Nowak pisze o onkologii dla Zdrowia Dziś.",
        "disclaimer": "Informacje nie zastępują wizyty u lekarza.",
    },
}

_LINK = re.compile(r"\[([^\]]+)\]\(#\)")
_MARK = re.compile(r"\{(\d+)\}")
_EM = re.compile(r"\*([^*]+)\*")


def plain(text: str) -> str:
    return _EM.sub(r"\1", _MARK.sub("", _LINK.sub(r"\1", text)))


def inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = _LINK.sub(lambda m: f'<a href="/t/{m.group(1).replace(" ", "-")}">{m.group(1)}</a>', out)
    out = _EM.sub(r"<i>\1</i>", out)
    return _MARK.sub(lambda m: f'<sup class="n">{m.group(1)}</sup>', out)


def paragraphs_html(blocks: list[dict], heading: str) -> str:
    out, in_list = [], False
    for b in blocks:
        if b["tag"] == "li":
            if not in_list:
                out.append("<ol>")
                in_list = True
            out.append(f"<li>{inline(b['text'])}</li>")
            continue
        if in_list:
            out.append("</ol>")
            in_list = False
        out.append(heading.format(inline(b["text"])) if b["tag"] == "h2" else f"<p>{inline(b['text'])}</p>")
    if in_list:
        out.append("</ol>")
    return "\n".join(out)


# Six outlets. Each: how the body is wrapped, and the appendix inside the container, in its
# own order and markup. {body} {source} ... are filled per page.
OUTLETS = {
    "kx": {
        "heading": "<h3>{}</h3>",
        "page": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} - Kx Health</title>
<meta property="og:title" content="{title}"></head><body>
<div class="kx-top"><a href="/">Kx Health</a> <a href="/onco">Oncology</a> <a href="/cardio">Cardiology</a></div>
<div class="kx-wrap"><div class="kx-col">
<h1 class="kx-h">{title}</h1><div class="kx-when">{date}</div>
<div class="kx-txt">
{body}
<p>{source}</p>
<h4>{research_head}</h4>
<ul>{research}</ul>
<p>{cite}</p>
<div class="kx-q"><p>{feedback0}</p><span>{feedback1}</span> <span>{feedback2}</span></div>
<p>{copyright}</p>
</div></div>
<div class="kx-side"><h4>Popular</h4><a href="/a">Statins and memory</a><a href="/b">Sleep and the heart</a><a href="/c">Flu season starts early</a></div>
</div><div class="kx-foot">Kx Health · Impressum · Datenschutz</div></body></html>""",
    },
    "mb": {
        "heading": "<h2 class='mb-sub'>{}</h2>",
        "page": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head><body>
<header><a href="/">MedBrief</a></header>
<main><section class="s1">
<h1>{title}</h1>
<p class="s1-by">{bio_short}</p>
<div class="s1-b">
{body}
<p><em>{disclaimer}</em></p>
<p>{bio}</p>
<p><b>{research_head}</b></p>
<p>{research_p}</p>
<p>{source}</p>
<p>{copyright}</p>
<div><p>{comment}</p><textarea></textarea><button>OK</button></div>
</div></section></main>
<footer><p>MedBrief Media</p></footer></body></html>""",
    },
    "ov": {
        "heading": "<h2>{}</h2>",
        "page": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} | Onco View</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title_json}"}}</script></head><body>
<div id="ovHead"><a href="/">Onco View</a></div>
<div id="ovMain"><div class="zz1">
<div class="zz2">{date}</div>
<h1>{title}</h1>
<div class="zz3">
{body}
<div class="zz4"><span>{feedback0}</span><a href="#y">{feedback1}</a><a href="#n">{feedback2}</a></div>
<p class="zz5">{cite}</p>
<p class="zz5">{source}</p>
<p class="zz6">{copyright}</p>
</div></div></div>
<div id="ovMore"><p><a href="/x1">Another story about vaccines</a></p><p><a href="/x2">Another story about diabetes</a></p><p><a href="/x3">Another story about asthma</a></p></div>
</body></html>""",
    },
    "rp": {
        "heading": "<p><strong>{}</strong></p>",
        "page": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article"></head><body>
<table width="100%"><tr><td class="rp-l"><a href="/">Home</a><br><a href="/n">News</a></td><td class="rp-c">
<font size="5"><b>{title}</b></font><br><br>
<div class="rp-x">
{body}
<p>{bio}</p>
<p>{disclaimer}</p>
<p>{source}</p>
<p>{cite}</p>
<p>{copyright}</p>
</div>
</td></tr></table></body></html>""",
    },
    "lt": {
        "heading": "<h3 class='lt-3'>{}</h3>",
        "page": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head><body>
<nav class="lt-n"><a href="/">Latido</a></nav>
<article class="lt-a"><header><h1>{title}</h1><time datetime="2025-12-01">{date}</time></header>
<div class="lt-c">
{body}
<h3 class="lt-3">{research_head}</h3>
<ol>{research}</ol>
<p>{source}</p>
<p>{feedback0} <button>{feedback1}</button> <button>{feedback2}</button></p>
<p>{comment}</p>
<p>{copyright}</p>
</div></article></body></html>""",
    },
    "hq": {
        "heading": "<h2 class='q-h'>{}</h2>",
        "page": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} – HQ</title></head><body>
<div class="q-bar"><a href="/">HealthQ</a> » <a href="/c">Cancer</a></div>
<div class="q-grid"><div class="q-main">
<h1 class="q-t">{title}</h1>
<div class="q-body">
{body}
<div class="q-note"><p>{disclaimer}</p></div>
<p>{research_head}:</p>
<p>{research_p}</p>
<p>{bio}</p>
<p>{copyright}</p>
<p>{feedback0}</p>
</div></div><div class="q-aside"><p>Newsletter</p></div></div></body></html>""",
    },
}


def render(outlet: str, lang: str, title: str, body_blocks: list[dict]) -> tuple[str, list[str]]:
    kind = OUTLETS[outlet]
    b = BOILER[lang]
    values = {
        "lang": lang,
        "title": html.escape(title),
        "title_json": title.replace('"', "'"),
        "date": "1 Dec 2025",
        "body": paragraphs_html(body_blocks, kind["heading"]),
        "source": html.escape(b["source"]),
        "cite": html.escape(b["cite"]),
        "copyright": html.escape(b["copyright"]),
        "feedback0": html.escape(b["feedback"][0]),
        "feedback1": html.escape(b["feedback"][1]),
        "feedback2": html.escape(b["feedback"][2]),
        "research_head": html.escape(b["research_head"]),
        "research": "".join(f"<li>{html.escape(r)}</li>" for r in b["research"]),
        "research_p": "<br>".join(html.escape(r) for r in b["research"]),
        "comment": html.escape(b["comment"]),
        "bio": html.escape(b["bio"]),
        "bio_short": html.escape(b["bio"].split(" ")[0] + " " + b["bio"].split(" ")[1]),
        "disclaimer": html.escape(b["disclaimer"]),
    }
    page = kind["page"].format(**values)
    used = [k for k in values if "{" + k + "}" in kind["page"]]
    boiler = []
    for key in ("source", "cite", "copyright", "research_head", "comment", "bio", "disclaimer"):
        if key in used:
            boiler.append(b[key])
    if "research" in used or "research_p" in used:
        boiler.extend(b["research"])
    if "feedback0" in used:
        boiler.append(b["feedback"][0])
    return page, boiler


def main() -> None:
    pages_dir = HERE / "pages"
    pages_dir.mkdir(exist_ok=True)
    rows = []
    # English: the five seed bodies, each in two outlets
    for seed, outlets in zip(SEEDS, (("kx", "mb"), ("ov", "rp"), ("lt", "hq"), ("kx", "ov"), ("mb", "lt")), strict=True):
        for outlet in outlets:
            page, boiler = render(outlet, "en", seed["title"], seed["blocks"])
            rows.append((f"{outlet}-en-{seed['id']}", "en", page, [plain(x["text"]) for x in seed["blocks"]], boiler))
    pairs = {"de": ("kx", "rp"), "fr": ("mb", "ov"), "es": ("lt", "hq"), "it": ("ov", "kx"), "pt": ("rp", "lt"), "nl": ("hq", "mb"), "pl": ("kx", "lt")}
    for lang, (title, paragraphs) in BODIES.items():
        blocks = [{"tag": "p", "text": p} for p in paragraphs]
        for outlet in pairs[lang]:
            page, boiler = render(outlet, lang, title, blocks)
            rows.append((f"{outlet}-{lang}", lang, page, paragraphs, boiler))
    with (HERE / "truth.jsonl").open("w", encoding="utf-8") as out:
        for page_id, lang, page, body, boiler in rows:
            (pages_dir / f"{page_id}.html").write_text(page, encoding="utf-8")
            out.write(json.dumps({"id": page_id, "url": f"https://{page_id.split('-')[0]}.example/{page_id}", "lang": lang, "text": "\n".join(body), "boilerplate": boiler}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pages")


if __name__ == "__main__":
    main()
