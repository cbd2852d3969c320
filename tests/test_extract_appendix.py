"""The appendix after the article, inside its container: seed kinds of boilerplate in eight
languages, by words and by structure; and the article's own last lines kept.

In-sample: the wordings here are the ones the lexicon was written with (see
tests/testdata/extract/heldout for pages written after the code was frozen).
"""

from __future__ import annotations

import html

import pytest

from monitor.extract import extract

BODY = {
    "en": [
        "Patients whose cancer had spread to the liver responded less often to checkpoint "
        "inhibitors than patients with metastases elsewhere, a cohort study of 718 people found.",
        "Radiation aimed at the liver lesions restored the response in mice, and the group is now "
        "planning a trial in people at four centres, the investigators said on Monday.",
    ],
    "de": [
        "Patienten mit Lebermetastasen sprechen schlechter auf Checkpoint-Hemmer an, zeigt eine "
        "Auswertung von mehr als 700 Krankheitsverläufen aus vier Kliniken in Deutschland.",
        "Eine gezielte Bestrahlung der Metastasen stellte die Wirkung bei Mäusen wieder her; eine "
        "klinische Studie mit Patientinnen und Patienten ist in Vorbereitung.",
    ],
    "fr": [
        "Les patients atteints de métastases hépatiques répondent moins bien aux "
        "immunothérapies, selon une étude portant sur plus de sept cents malades suivis.",
        "Une irradiation ciblée du foie a rétabli la réponse chez la souris ; un essai clinique "
        "chez l'homme est en préparation dans quatre centres hospitaliers.",
    ],
    "es": [
        "Los pacientes con metástasis hepáticas responden peor a la inmunoterapia, según un "
        "estudio con más de setecientos enfermos seguidos durante seis años.",
        "La radioterapia dirigida al hígado devolvió la respuesta en ratones y el equipo prepara "
        "ya un ensayo clínico con pacientes en cuatro hospitales.",
    ],
    "it": [
        "I pazienti con metastasi al fegato rispondono meno all'immunoterapia, secondo uno "
        "studio condotto su oltre settecento malati seguiti per sei anni.",
        "La radioterapia mirata al fegato ha ripristinato la risposta nei topi e il gruppo sta "
        "preparando uno studio clinico in quattro ospedali italiani.",
    ],
    "pt": [
        "Pacientes com metástases no fígado respondem pior à imunoterapia, segundo um estudo "
        "que acompanhou mais de setecentas pessoas durante seis anos.",
        "A radioterapia dirigida ao fígado devolveu a resposta em camundongos e a equipe "
        "prepara um ensaio clínico com pacientes em quatro hospitais.",
    ],
    "nl": [
        "Patiënten met uitzaaiingen in de lever reageren slechter op immuuntherapie, blijkt uit "
        "onderzoek bij ruim zevenhonderd patiënten in vier ziekenhuizen.",
        "Gerichte bestraling van de lever herstelde de reactie bij muizen; een klinische studie "
        "bij mensen wordt voorbereid door dezelfde onderzoeksgroep.",
    ],
    "pl": [
        "Pacjenci z przerzutami do wątroby gorzej reagują na immunoterapię, wynika z badania "
        "obejmującego ponad siedmiuset chorych leczonych w czterech ośrodkach.",
        "Ukierunkowana radioterapia wątroby przywróciła odpowiedź u myszy, a zespół przygotowuje "
        "badanie kliniczne z udziałem pacjentów w kilku szpitalach.",
    ],
}

# seed kinds, in the wordings the lexicon was written with
TAIL = {
    "en": [
        "Provided by University of Michigan",
        "Citation: Liver lesions blunt immunotherapy (2021, January 4) retrieved 3 May 2024",
        "This document is subject to copyright. No part may be reproduced without permission.",
        "Was this article helpful?",
    ],
    "de": [
        "Quelle: Universitätsklinikum Freiburg",
        "Zitiervorschlag: Lebermetastasen bremsen Immuntherapie, Medizin heute, 2025.",
        "Alle Rechte vorbehalten.",
        "War dieser Artikel hilfreich?",
    ],
    "fr": [
        "Source : Inserm",
        "Pour citer cet article : Santé et recherche, 2025.",
        "Tous droits réservés.",
        "Cet article vous a-t-il été utile ?",
    ],
    "es": [
        "Fuente: Hospital Universitario La Paz",
        "Cómo citar este artículo: Salud y ciencia, 2025.",
        "Todos los derechos reservados.",
        "¿Te ha resultado útil este artículo?",
    ],
    "it": [
        "Fonte: Istituto Nazionale Tumori",
        "Come citare questo articolo: Salute e ricerca, 2025.",
        "Tutti i diritti riservati.",
        "Questo articolo ti è stato utile?",
    ],
    "pt": [
        "Fonte: Instituto Nacional de Câncer",
        "Como citar este artigo: Saúde e ciência, 2025.",
        "Todos os direitos reservados.",
        "Este artigo foi útil?",
    ],
    "nl": [
        "Bron: Antoni van Leeuwenhoek",
        "Citeer dit artikel: Gezondheid en onderzoek, 2025.",
        "Alle rechten voorbehouden.",
        "Was dit artikel nuttig?",
    ],
    "pl": [
        "Źródło: Narodowy Instytut Onkologii",
        "Jak cytować: Zdrowie i nauka, 2025.",
        "Wszelkie prawa zastrzeżone.",
        "Czy ten artykuł był pomocny?",
    ],
}
REFERENCES = [
    "Yu J, Green MD, Li S, et al. Liver metastasis restrains immunotherapy efficacy. Nat Med. "
    "2021;27(1):152-164.",
    "Tumeh PC, Hellmann MD, Hamid O, et al. Liver metastasis and treatment outcome. Cancer "
    "Immunol Res. 2017;5(5):417-424.",
]


def page(paragraphs: list[str], tail: list[str], lang: str = "en") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    after = "".join(f"<p>{html.escape(t)}</p>" for t in tail)
    return (
        f"<html lang='{lang}'><head><title>t</title></head><body><div class='w1'>"
        f"<h1>Title</h1><div class='w2'>{body}{after}</div></div></body></html>"
    )


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize("lang", list(BODY))
def test_seed_kinds_after_the_body_go_in_every_language(lang: str) -> None:
    article = extract(page(BODY[lang], TAIL[lang], lang))
    assert lines(article.text) == BODY[lang]


def test_a_list_of_cited_research_goes_with_its_heading() -> None:
    tail = [
        "<h3>Studies cited</h3>",
        "<ol>" + "".join(f"<li>{r}</li>" for r in REFERENCES) + "</ol>",
    ]
    html_page = page(BODY["en"], []).replace("</div></div>", "".join(tail) + "</div></div>")
    assert lines(extract(html_page).text) == BODY["en"]


def test_structure_alone_in_a_language_without_word_lists() -> None:
    # Finnish: no word of the lexicon; a feedback prompt with buttons, a reference entry and a
    # "Label: value" line with a year go by their structure
    body = [
        "Maksaan levinneet etäpesäkkeet heikentävät immunoterapian tehoa, kertoo tutkimus, "
        "johon osallistui yli seitsemänsataa potilasta neljästä sairaalasta.",
        "Hiirillä maksan kohdennettu sädehoito palautti hoitovasteen, ja tutkijat valmistelevat "
        "nyt kliinistä tutkimusta ihmisillä samoissa sairaaloissa.",
    ]
    tail = ["Lähde: Helsingin yliopisto, 2025", REFERENCES[0], "Oliko tästä apua?", "Kyllä", "Ei"]
    assert lines(extract(page(body, tail, "fi")).text) == body


def test_the_articles_own_last_lines_stay() -> None:
    # short last paragraphs of news copy, and a sponsor's mention, are the article's
    body = [
        *BODY["en"],
        "Officials did not immediately provide any other details.",
        "Amgen, the company that makes the drug, was a sponsor of the trial.",
    ]
    assert lines(extract(page(body, [])).text) == body


def test_a_heading_that_opens_an_appendix_cuts_it() -> None:
    tail = [
        "<h2>Related</h2>",
        "<p><a href='/1'>Statins and memory in older adults</a></p>",
        "<p>A second study looked at something else entirely and deserves its own story.</p>",
    ]
    html_page = page(BODY["en"] * 2, []).replace("</div></div>", "".join(tail) + "</div></div>")
    assert lines(extract(html_page).text) == BODY["en"] * 2


@pytest.mark.parametrize(
    ("name", "page_html", "reason"),
    [
        (
            "paywall",
            "<html><body><article><h1>New drug for liver metastases</h1><p>A new drug shrank "
            "liver metastases in a small trial.</p><div class=x><p>This article is for "
            "subscribers only.</p><p><a href=/s>Subscribe now</a> to continue reading.</p><form>"
            "<input type=email><button>Log in</button></form></div></article></body></html>",
            "paywall",
        ),
        (
            "paywall-de",
            "<html lang=de><body><article><h1>Neues Medikament</h1><p>Ein neues Medikament "
            "verkleinerte Lebermetastasen.</p><p>Dieser Artikel ist nur für Abonnenten "
            "verfügbar.</p><p>Jetzt abonnieren und weiterlesen</p></article></body></html>",
            "paywall",
        ),
        (
            "not-found-de",
            "<html lang=de><head><title>Seite nicht gefunden</title></head><body><nav><a href=/>"
            "Start</a><a href=/a>Gesundheit</a></nav><main><h1>404 – Seite nicht gefunden</h1>"
            "<p>Die angeforderte Seite existiert leider nicht oder wurde verschoben.</p><p>"
            "<a href=/>Zur Startseite</a></p></main><footer>© 2025 Verlag</footer></body></html>",
            "not an article page",
        ),
        (
            "server-error",
            "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server "
            "Error</h1><p>The server encountered an internal error and was unable to complete "
            "your request.</p></body></html>",
            "not an article page",
        ),
    ],
)
def test_pages_without_an_article_give_a_reason_not_chrome(name: str, page_html: str, reason: str):
    article = extract(page_html)
    assert article.text == "", name
    assert reason in (article.reason or ""), (name, article.reason)
