"""Hard negatives of the story stage: pages that share a company, a trial or a topic with a story
but report another study, another result, several studies, or none (issue 13).

Each test runs the shipped step (``monitor.grouping``) on a real SQLite archive.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import grouping
from monitor.model import ArticleRecord
from monitor.stories import evaluation as ev
from monitor.stories import fingerprint, text
from storage import story_groups
from storage.archive import Archive

DATA = Path(__file__).parent / "data" / "stories"
T0 = datetime(2024, 6, 3, 12, tzinfo=UTC)


def rec(body: str, key: str, title: str = "", days: float = 0.0, **kw) -> ArticleRecord:
    when = T0 + timedelta(days=days)
    return ArticleRecord(
        key=key,
        url=f"https://example.org/{key}",
        canonical_url=f"https://example.org/{key}",
        source=kw.pop("source", "Example"),
        title=title,
        text=body,
        published=when,
        fetched_at=when,
        **kw,
    )


def stories_of(tmp_path: Path, records, **kw) -> list[int]:
    with Archive(tmp_path / "h.db") as archive:
        return grouping.ingest(archive, records, **kw)


BOILERPLATE = """About Quillon Biosciences
Quillon Biosciences is a clinical-stage company developing antibody conjugates for solid tumours.
The company is based in Leeds and employs 240 people across three research sites.

About quilatamab
Quilatamab is an investigational antibody-drug conjugate that binds TROP2 and delivers a
topoisomerase inhibitor into tumour cells. It is being studied in breast, lung, bladder and
ovarian cancers and is not approved in any country.

Media contact: Press Office, Quillon Biosciences"""


def _release(trial: str, disease: str, n: int, pfs: tuple[str, str], hr: str, extra: str = ""):
    return (
        f"LEEDS -- Quillon Biosciences today announced that the phase 3 {trial} trial of "
        f"quilatamab met its primary endpoint of progression-free survival in patients with "
        f"previously treated {disease}.\n\n"
        f"In the trial, {n} patients were randomised to quilatamab or to chemotherapy chosen by "
        f"their physician. Median progression-free survival was {pfs[0]} months with quilatamab "
        f"and {pfs[1]} months with chemotherapy (hazard ratio {hr}).\n\n"
        f'"These results show what quilatamab can do for patients who have run out of options," '
        f"said Dr. Imogen Blackwood, Chief Medical Officer of Quillon Biosciences. {extra}\n\n"
        f"Detailed results will be presented at an upcoming medical meeting.\n\n{BOILERPLATE}"
    )


def test_about_sections_of_a_press_release_are_not_its_body() -> None:
    body = text.body(_release("ORCHID-301", "ovarian cancer", 612, ("7.4", "4.1"), "0.58"))
    assert "clinical-stage company" not in body and "investigational antibody" not in body
    assert "612 patients were randomised" in body
    kept = (
        "The trial enrolled 612 women.\n\nAbout the study\nIt ran at 40 hospitals in 9 countries."
    )
    assert "40 hospitals" in text.body("x " * 60 + "\n\n" + kept)


def test_the_trial_a_page_leads_with_keeps_one_company_s_trials_apart(tmp_path) -> None:
    """Two phase 3 readouts of one drug a week apart: the same company, boilerplate, officer and
    wording; the second release names the first trial too. Different cohorts alone (x0.5) do not
    keep them apart; the trial each page leads with does."""
    first = _release("ORCHID-301", "ovarian cancer", 612, ("7.4", "4.1"), "0.58")
    second = _release(
        "ORCHID-305",
        "ovarian cancer with BRCA mutations",
        688,
        ("9.9", "5.2"),
        "0.58",
        "Together with ORCHID-301, this is our second positive phase 3 trial this year.",
    )
    rewrite = (
        "Quillon Biosciences' antibody-drug conjugate quilatamab extended progression-free "
        "survival over physician's choice of chemotherapy in previously treated ovarian cancer "
        "with BRCA mutations, the company said. ORCHID-305 randomised 688 patients; median "
        "progression-free survival was 9.9 months with quilatamab against 5.2 months with "
        "chemotherapy (hazard ratio 0.58). Chief Medical Officer Imogen Blackwood said the "
        "result follows the positive ORCHID-301 readout in ovarian cancer last week."
    )
    sids = stories_of(
        tmp_path,
        [
            rec(first, "r1", "ORCHID-301 of quilatamab meets its endpoint in ovarian cancer"),
            rec(second, "r2", "ORCHID-305 of quilatamab meets its endpoint in ovarian cancer", 7),
            rec(rewrite, "n2", "Quilatamab tops chemotherapy in ovarian cancer", 8),
        ],
    )
    assert sids[1] == sids[2]
    assert sids[0] != sids[1]


FIRST = (
    "Kestrel Pharma today announced that the phase 3 BEACON-HCC trial of adjuvant toravimab met "
    "its primary endpoint. At a prespecified interim analysis of 712 patients with liver cancer "
    "at high risk of recurrence after surgery, toravimab reduced the risk of recurrence or death "
    "by 27% (hazard ratio 0.73). Median recurrence-free survival was 31.2 months with toravimab "
    'and 22.8 months with active surveillance. "Most patients see their cancer come back after '
    "surgery,\" said Dr. Yusuf Okonkwo, the trial's global principal investigator."
)
FOLLOW_UP = (
    "Kestrel Pharma today presented patient-reported outcomes from the phase 3 BEACON-HCC trial "
    "of adjuvant toravimab at a liver cancer meeting. Among the 712 patients of the interim "
    "analysis, 90.4% completed questionnaires at baseline. Global health scores changed by "
    "less than 4 points in both arms over 12 months, and the time to deterioration of physical "
    'functioning was similar (hazard ratio 0.97). "Patients want to know that a preventive '
    'treatment will not take away their quality of life," said Dr. Yusuf Okonkwo, the '
    "trial's global principal investigator. The trial previously showed that toravimab "
    "reduced the risk of recurrence or death by 27%."
)
FOLLOW_UP_REWRITE = (
    "Quality of life held up with adjuvant toravimab in BEACON-HCC, according to patient-reported "
    "outcomes presented by Yusuf Okonkwo, MD. Global health scores moved by under 4 points in both "
    "arms across 12 months, and time to deterioration of physical function was similar (HR "
    "0.97); 90.4% of patients completed questionnaires at baseline. The primary analysis of "
    "the 712 patients, reported earlier this month by Kestrel Pharma, showed a 27% lower risk "
    "of recurrence or death with toravimab after surgery for liver cancer."
)


def test_a_follow_up_analysis_of_the_same_trial_is_another_story(tmp_path) -> None:
    """The same trial, cohort, investigator and company ten days later, another result (its
    own effect estimate): two stories, also when a rewrite of the follow-up recaps the first."""
    first_rewrite = (
        "Adjuvant toravimab lowered the risk of recurrence or death by 27% versus surveillance in "
        "the phase 3 BEACON-HCC trial, Kestrel Pharma said. Among 712 high-risk patients with "
        "liver cancer, median recurrence-free survival was 31.2 versus 22.8 months (HR 0.73). "
        "Principal investigator Yusuf Okonkwo, MD, noted that nothing yet prevents relapse "
        "after surgery for liver cancer."
    )
    sids = stories_of(
        tmp_path,
        [
            rec(FIRST, "a1", "BEACON-HCC trial of adjuvant toravimab meets its endpoint"),
            rec(first_rewrite, "a2", "Adjuvant toravimab extends recurrence-free survival", 1),
            rec(FOLLOW_UP, "b1", "BEACON-HCC: quality of life maintained with toravimab", 10),
            rec(FOLLOW_UP_REWRITE, "b2", "BEACON-HCC: quality of life holds up", 11),
        ],
    )
    assert sids[0] == sids[1] and sids[2] == sids[3]
    assert sids[0] != sids[2]


def test_a_listing_of_several_studies_joins_no_story(tmp_path) -> None:
    listing = (
        "The liver meeting had an unusual number of trials on liver metastases. Here are the "
        "ones that caught our eye.\n\n"
        "Kestrel Pharma's BEACON-HCC trial of adjuvant toravimab cut the risk of recurrence or "
        "death by 27% in 712 patients, with recurrence-free survival of 31.2 against 22.8 "
        "months. Yusuf Okonkwo presented the results.\n\n"
        "The MERLIN-2 trial of liver infusion chemotherapy reported liver responses in 41.3% of "
        "64 patients with pancreatic cancer, and a registry of 2,210 patients found surgery "
        "after immunotherapy to be safe.\n\n"
        "Our take: the field is moving from asking whether the liver resists treatment to "
        "testing how to overcome it."
    )
    fp = fingerprint(rec(listing, "l"))
    assert fp.listing and fp.weak
    sids = stories_of(
        tmp_path,
        [
            rec(FIRST, "a1", "BEACON-HCC trial of adjuvant toravimab meets its endpoint"),
            rec(listing, "l", "Five things we learned at the liver meeting", 1),
        ],
    )
    assert sids[0] != sids[1]


def test_an_explainer_on_the_topic_states_no_study_facts(tmp_path) -> None:
    explainer = (
        "CAR T cells have transformed the treatment of some blood cancers, but in solid tumours, "
        "and especially in the liver, results have been disappointing. Three obstacles stand "
        "out. The liver is built to tolerate and switches off activated T cells; liver tumours "
        "are low in oxygen, which starves the engineered cells; and many liver cancers lack a "
        "single target found on every cancer cell. Researchers are testing ways around each "
        "problem, from decoy receptors to cells that recognise two targets at once, said "
        "Marta Villanueva, a cell therapy specialist."
    )
    study = (
        "CAR T cells engineered to burn fat survived the low-oxygen liver and cleared tumours in "
        "70% of mice, researchers at the Harrowgate Institute report in Science Translational "
        "Medicine. The engineered cells persisted for 100 days, against 22% survival of the "
        "standard CAR T cells in the liver, said Henrik Sandvik, who led the work."
    )
    assert fingerprint(rec(explainer, "e")).factless
    assert not fingerprint(rec(study, "s")).factless
    with Archive(tmp_path / "e.db") as archive:
        grouping.ingest(archive, [rec(study, "s"), rec(explainer, "e", days=1)])
        why = grouping.explain(archive, "1", "2")
    assert "states no study facts" in why


@pytest.mark.parametrize("all_pairs", [200, 0])
def test_regroup_twice_changes_nothing_the_second_time(tmp_path, monkeypatch, all_pairs) -> None:
    """``monitor stories regroup`` is idempotent: on the labelled set (hard negatives, copies
    across several weeks), a second run moves no article and keeps every story id; also when
    regions are grouped along candidate links only (``all_pairs=0``: what a region of more than
    ``SETTLE_ALL_PAIRS`` articles in a large archive gets)."""
    monkeypatch.setattr(grouping, "SETTLE_ALL_PAIRS", all_pairs)
    items = sorted(ev.load_labelled(DATA), key=lambda x: (x.record.published, x.id))
    with Archive(tmp_path / "g.db") as archive:
        grouping.ingest(archive, [x.record for x in items])
        ids = [r.id for r in archive.iter_articles(None)]
        grouping.regroup(archive)
        first = {a: story_groups.story_of_article(archive.db, a) for a in ids}
        report = grouping.regroup(archive)
        second = {a: story_groups.story_of_article(archive.db, a) for a in ids}
    assert report.moved == 0 and report.articles == len(items)
    assert second == first
    assert report.unchanged == report.stories_after == len(set(first.values()))
