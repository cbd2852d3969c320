"""The appendix as a zone after the article's last paragraph, told by structure and by cues that
do not depend on a word list: a citation's format, a run of rating stars, a question put to the
reader, a bio whose person the article never names, paragraphs about other stories than the
article under any heading. The boilerplate wordings here are in Finnish and Dutch words that no
list of the extractor holds; the article's own last lines (a sponsor, a quoted question, a
named source) stay.
"""

from __future__ import annotations

import html

import pytest

from monitor.extract import extract

BODY = [
    "Patients whose colorectal cancer had spread to the liver responded less often to "
    "checkpoint inhibitors than patients with metastases elsewhere, a cohort study of 718 "
    "people found.",
    "Radiation aimed at the liver lesions restored the response in mice, said Michael Green, "
    "who led the study at the university hospital with four other centres.",
    "The investigators now plan a trial of radiation before immunotherapy in people with "
    "liver metastases, and expect to enrol the first patients next spring.",
]


def page(paragraphs: list[str], tail: str) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        "<html><head><title>t</title></head><body><div class='q1'><h1>Liver metastases</h1>"
        f"<div class='q2'>{body}{tail}</div></div></body></html>"
    )


def ps(*lines: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines)


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_everything_after_a_citation_goes_even_sentences() -> None:
    # a heading, a reference entry (language-independent format), then two sentences in a
    # language without word lists: the zone after the article's last paragraph is appendix
    tail = ps(
        "Lähteet tässä jutussa",
        "Virtanen A, Korhonen B. Maksametastaasit ja immunoterapia. Duodecim. 2021;137(4):321-9.",
        "Toimitus tarkisti jutun lääketieteelliset tiedot ennen julkaisua.",
        "Kaikki jutut ovat luettavissa verkkopalvelussamme maksutta.",
    )
    assert lines(extract(page(BODY, tail)).text) == BODY


def test_rating_stars_and_a_question_to_the_reader_go() -> None:
    for tail in (
        ps("Mitä pidit tästä jutusta? ★★★★☆"),
        ps("Kysyttävää? Kirjoita terveystoimitukselle."),
        ps("Kysyttävää? Kirjoita terveystoimitukselle.", "Toimitus vastaa viikon kuluessa."),
    ):
        assert lines(extract(page(BODY, tail)).text) == BODY, tail


def test_a_strangers_bio_goes_a_named_source_stays() -> None:
    own = "Michael Green is planning the trial with colleagues in three countries."
    text = extract(page([*BODY, own], ps("Lotte Jansen is wetenschapsjournalist in Utrecht."))).text
    assert lines(text) == [*BODY, own]


def test_teasers_for_other_stories_go_under_any_heading() -> None:
    teasers = ps(
        "A sedated intensive care patient was left alone in a scanner room for an hour, an "
        "inspection report on a regional hospital says.",
        "The shortage of a nuclear imaging isotope may be over now that a reactor abroad is "
        "restarting, according to the cardiology society.",
        "Payments for cardiac tomography more than doubled this year after a review of what "
        "hospitals spend on each examination.",
    )
    text = extract(page(BODY, "<h3>Muualla verkossa</h3>" + teasers)).text
    assert lines(text) == BODY


def test_a_last_section_about_the_story_stays() -> None:
    section = [
        "What comes next",
        "The trial will give radiation to the liver metastases before the checkpoint "
        "inhibitors, and the investigators will measure how often the tumours respond.",
        "Patients with liver metastases who join the trial will be followed for two years, "
        "the study team said.",
    ]
    tail = f"<h3>{section[0]}</h3>" + ps(*section[1:])
    assert lines(extract(page(BODY, tail)).text) == BODY + section


def test_the_articles_own_short_last_lines_stay_before_an_appendix() -> None:
    own = [
        "Amgen, the company that makes the drug, was a sponsor of the trial.",
        "“Can it help everyone?” one patient asked after the meeting.",
    ]
    text = extract(page([*BODY, *own], ps("© 2025 Example Health Media"))).text
    assert lines(text) == [*BODY, *own]


@pytest.mark.parametrize(
    "line",
    [
        "This story first ran in our print edition.",  # the text speaks of itself
        "Content on this site is protected by law; reuse requires our written consent.",
        "This answer was prepared from questions readers often ask. It is not medical advice.",
        "Jane Roe has covered health policy for 15 years at several newspapers.",  # a stranger
        "About the writer: Jane Roe has covered health policy for 15 years.",
        "Did we get something wrong? Let us know.",  # a question put to the reader
    ],
)
def test_one_sentence_about_the_publication_after_the_article_goes(line: str) -> None:
    assert lines(extract(page(BODY, ps(line))).text) == BODY


def test_reader_comments_and_the_publisher_speaking_go() -> None:
    # a source line, then a reader's comment (a name, a date, a paragraph as long as the
    # article's), then the publisher asking for support in a box of its own
    tail = ps(
        "Source : d'après un communiqué de l'université.",
        "Anna K.",
        "le 13/10/2016 à 12:47",
        "The trial of radiation before immunotherapy sounds promising: my father had liver "
        "metastases and the checkpoint inhibitors did not help him at all, sadly.",
    ) + (
        "<div><p>Example Health no tiene muros de pago ni depende de anunciantes. Si valoras "
        "nuestro trabajo, apóyanos con una pequeña donación mensual para que siga siendo "
        "gratuito.</p></div>"
    )
    assert lines(extract(page(BODY, tail)).text) == BODY


def test_a_caption_ending_in_its_credit_goes() -> None:
    body = [*BODY[:2], "A scan of a liver with two metastases. (Image: Wikimedia Commons)", BODY[2]]
    assert lines(extract(page(body, "")).text) == BODY


def test_plain_citation_markers_glued_to_the_text_go() -> None:
    body = [
        "Liver metastases blunt the response to checkpoint inhibitors in 718 patients.[1] The "
        "effect held in every subgroup[2,3] and across four centres in 2018[4–6].",
        BODY[1],
    ]
    text = extract(page(body, "")).text
    assert lines(text)[0] == (
        "Liver metastases blunt the response to checkpoint inhibitors in 718 patients. The "
        "effect held in every subgroup and across four centres in 2018."
    )


def test_short_teasers_for_other_stories_go_too() -> None:
    teasers = ps(
        "A sedated patient was left alone in a scanner room for an hour, an inspection says.",
        "The shortage of a nuclear imaging isotope may be over now that a reactor is restarting.",
        "Payments for cardiac tomography more than doubled this year after a spending review.",
    )
    text = extract(page(BODY, "<h4>Elsewhere in health news</h4>" + teasers)).text
    assert lines(text) == BODY


def mid(box: str) -> str:
    """A page with ``box`` between the article's second and third paragraphs."""
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in BODY]
    paragraphs.insert(2, box)
    return page([], "".join(paragraphs))


@pytest.mark.parametrize(
    "box",
    [
        "<div><p><b>Get the weekly briefing</b></p><p>Sign up for our free newsletter and never "
        "miss a story.</p><a href=/s>Sign up</a></div>",
        "<div><h4>Support independent health journalism</h4><p>We have no paywall and rely on "
        "readers. If you value our reporting, please give what you can.</p></div>",
        "<div><p>Wesprzyj niezależne dziennikarstwo</p><p>Nie mamy paywalla. Jeśli cenisz naszą "
        "pracę, wesprzyj nas.</p></div>",
        "<div><p>We use cookies to improve your experience. By continuing you agree to our cookie "
        "policy.</p><a href=#>Accept</a></div>",
        "<p>Listen to this article · 4 min</p>",
    ],
)
def test_a_box_of_the_publisher_inside_the_article_goes(box: str) -> None:
    assert lines(extract(mid(box)).text) == BODY


def test_a_box_about_the_story_stays() -> None:
    facts = [
        "Key facts",
        "Our liver filters the blood; metastases there blunt the response to checkpoint "
        "inhibitors, the study of 718 patients found.",
    ]
    box = f"<div><p><b>{facts[0]}</b></p><p>{html.escape(facts[1])}</p></div>"
    assert lines(extract(mid(box)).text) == [*BODY[:2], *facts, BODY[2]]


@pytest.mark.parametrize(
    "line",
    [
        "This article is adapted from a press release by the University of Michigan.",
        "John Doe is a health reporter at Health Today.",
        "Published with the permission of the university's communications office.",
    ],
)
def test_a_line_of_the_appendix_kinds_before_the_first_paragraph_goes(line: str) -> None:
    assert lines(extract(page([], ps(line) + ps(*BODY))).text) == BODY
