"""Build the second held-out template set, written after the second-pass code was frozen at
the commit that added this file's parent set's figures to the docs (see git log).

The first held-out set (../heldout) led to fixes, so it no longer measures unseen wording. This
one has three new outlets and new wordings of the seed kinds in eight languages; bodies are
reused from the first set (they are not what is measured). Writes pages/ and truth.jsonl.
"""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("first", HERE.parent / "heldout" / "make_pages.py")
first = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(first)  # type: ignore[union-attr]

BOILER = {
    "en": [
        "Adapted with permission from a statement by the Mayo Clinic.",
        "Reviewed for accuracy by our medical editors. © Vital Signs Media, 2025.",
        "How would you rate this article? ★★★★★",
        "Sources used in this article",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Got a question about this story? Write to our health desk.",
        "Maria Lopez is a health writer based in Chicago.",
    ],
    "de": [
        "Mit freundlicher Genehmigung der Deutschen Krebshilfe.",
        "Urheberrechtlich geschützt – © Gesund Leben 2025.",
        "Wie gefällt Ihnen dieser Artikel? ★★★★★",
        "Quellen dieses Artikels",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Fragen zum Thema? Schreiben Sie unserer Redaktion.",
        "Jonas Weber ist Redakteur im Ressort Gesundheit.",
    ],
    "fr": [
        "Publié avec l'autorisation de la Ligue contre le cancer.",
        "© Vivre Mieux 2025 – tous droits de reproduction réservés.",
        "Notez cet article : ★★★★★",
        "Sources de cet article",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Une question ? Écrivez à la rédaction santé.",
        "Julie Martin est journaliste santé à Lyon.",
    ],
    "es": [
        "Publicado con permiso de la Asociación Española Contra el Cáncer.",
        "© Vivir Sano 2025. Todos los derechos reservados.",
        "¿Qué te ha parecido este artículo? ★★★★★",
        "Fuentes de este artículo",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "¿Tienes dudas? Escribe a nuestra redacción de salud.",
        "Carmen Ruiz es periodista especializada en salud.",
    ],
    "it": [
        "Pubblicato su autorizzazione della Fondazione AIRC.",
        "© Vivere Bene 2025 – tutti i diritti riservati.",
        "Com'è stato questo articolo? ★★★★★",
        "Fonti di questo articolo",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Hai domande? Scrivi alla nostra redazione salute.",
        "Marco Bianchi è giornalista scientifico a Milano.",
    ],
    "pt": [
        "Publicado com autorização do Instituto Nacional de Câncer.",
        "© Viver Bem 2025. Todos os direitos reservados.",
        "O que achou deste artigo? ★★★★★",
        "Fontes deste artigo",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Tem dúvidas? Escreva para a nossa redação de saúde.",
        "Pedro Alves é jornalista de saúde em Lisboa.",
    ],
    "nl": [
        "Overgenomen met toestemming van KWF Kankerbestrijding.",
        "© Gezond Leven 2025. Alle rechten voorbehouden.",
        "Wat vond je van dit artikel? ★★★★★",
        "Bronnen bij dit artikel",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Vragen? Mail onze gezondheidsredactie.",
        "Lotte Jansen is wetenschapsjournalist in Utrecht.",
    ],
    "pl": [
        "Opublikowano za zgodą Polskiego Towarzystwa Onkologicznego.",
        "© Zdrowe Życie 2025. Wszelkie prawa zastrzeżone.",
        "Jak oceniasz ten artykuł? ★★★★★",
        "Źródła artykułu",
        "Smith AB, Jones CD. Hepatic metastases and PD-1 blockade. J Clin Oncol. 2019;37:1-9.",
        "Masz pytania? Napisz do naszej redakcji zdrowia.",
        "Piotr Kowalski jest dziennikarzem medycznym.",
    ],
}

# three new outlets: where and how the appendix lines sit
OUTLETS = {
    "vx": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
</head><body><div class="u-a"><a href="/">Vx</a></div><div class="u-b"><div class="u-c">
<h1>{title}</h1><div class="u-d">{body}
<p>{b0}</p><p>{b6}</p><div class="u-e"><span>{b2}</span></div><p>{b5}</p>
<h5>{b3}</h5><p>{b4}</p><small>{b1}</small></div></div></div></body></html>""",
    "pq": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
</head><body><section id="p1"><article id="p2"><h2 id="p3">{title}</h2><div id="p4">{body}
<aside class="p5"><p>{b6}</p></aside><p class="p6">{b3}</p><ul><li>{b4}</li></ul>
<p class="p6">{b0}</p><p class="p6">{b5}</p><p class="p7">{b2}</p><p class="p8">{b1}</p>
</div></article></section></body></html>""",
    "wd": """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
</head><body><div class="a"><div class="b"><h1>{title}</h1><div class="c">{body}
<div class="d"><p><i>{b1}</i></p><p>{b2}</p></div><div class="e"><p><b>{b3}</b><br>{b4}</p>
</div><p>{b0}</p><p>{b6}</p><p>{b5}</p></div></div></div></body></html>""",
}


def main() -> None:
    out_dir = HERE / "pages"
    out_dir.mkdir(exist_ok=True)
    rows = []
    bodies = {lang: (t, [{"tag": "p", "text": p} for p in ps]) for lang, (t, ps) in first.BODIES.items()}
    seeds = first.SEEDS[:3]
    pairs = {"en": ("vx", "pq", "wd"), "de": ("vx", "wd"), "fr": ("pq", "wd"), "es": ("vx", "pq"),
             "it": ("wd", "vx"), "pt": ("pq", "vx"), "nl": ("wd", "pq"), "pl": ("vx", "wd")}  # fmt: skip
    for lang, outlets in pairs.items():
        for n, outlet in enumerate(outlets):
            if lang == "en":
                seed = seeds[n]
                title, blocks = seed["title"], seed["blocks"]
                truth = [first.plain(b["text"]) for b in blocks]
                page_id = f"{outlet}-en-{seed['id']}"
            else:
                title, blocks = bodies[lang]
                truth = [b["text"] for b in blocks]
                page_id = f"{outlet}-{lang}"
            values = {f"b{i}": html.escape(x) for i, x in enumerate(BOILER[lang])}
            page = OUTLETS[outlet].format(
                lang=lang, title=html.escape(title), body=first.paragraphs_html(blocks, "<h3>{}</h3>"), **values
            )
            rows.append((page_id, lang, page, truth, BOILER[lang]))
    with (HERE / "truth.jsonl").open("w", encoding="utf-8") as out:
        for page_id, lang, page, truth, boiler in rows:
            (out_dir / f"{page_id}.html").write_text(page, encoding="utf-8")
            row = {"id": page_id, "url": f"https://{page_id.split('-')[0]}.example/{page_id}",
                   "lang": lang, "text": "\n".join(truth), "boilerplate": boiler}  # fmt: skip
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} pages")


if __name__ == "__main__":
    main()
