"""Evidence labels: the cases a clinician cares about, and floors on the held-out labelled set."""

from __future__ import annotations

import os

import pytest

from monitor.evidence import classify, combine, describe
from tests import evidence_set


def test_phase_and_size_of_a_trial():
    ev = classify(
        "New drug shrinks tumours",
        "In a randomised phase III trial, 412 patients with advanced liver cancer were "
        "assigned to the drug or placebo. Thirty-one percent responded.",
    )
    assert (ev.kind, ev.phase, ev.patients) == ("trial", "3", 412)
    assert ev.label == "Phase 3 trial, 412 patients"
    assert classify("x", "A phase 1/2 study of a vaccine.").phase == "1/2"
    assert classify("x", "The phase 1b dose-escalation trial enrolled 20 patients.").phase == "1"


def test_a_planned_trial_does_not_make_an_observational_study_a_trial():
    ev = classify(
        "Coffee linked to lower liver cancer risk",
        "Researchers analysed data from 120,000 adults in a cohort followed for 20 years. "
        "Coffee drinkers had a lower risk of liver cancer. A phase 3 trial is now being planned.",
    )
    assert ev.kind == "observational" and ev.phase is None and ev.patients == 120_000


def test_counts_are_people_studied_not_ratios_or_rates():
    ev = classify(
        "Study of drinkers",
        "Liver disease affects 1 in 5 adults and kills 30 per 100,000 people a year. "
        "The study followed 2,300 women for ten years; 35% of them drank daily.",
    )
    assert ev.patients == 2300 and ev.population == "women"
    ev = classify("Trial", "In the trial, 42 of 97 patients responded to treatment.")
    assert ev.patients == 97


def test_mice_and_cells_are_preclinical_and_say_so():
    ev = classify(
        "Liver tumours drain T cells",
        "In mouse models, tumours in the liver attracted T cells. Experiments in cell lines "
        "confirmed the mechanism.",
    )
    assert ev.kind == "preclinical" and ev.species == ("mice", "cells")
    assert ev.label == "Preclinical study (mice, cells)"
    # in vitro fertilisation is not a cell experiment
    ivf = classify("IVF chances", "Data on 113,873 women who had in vitro fertilisation.")
    assert ivf.kind != "preclinical"


def test_genres_win_over_the_studies_they_mention():
    qa = classify(
        "Can immunotherapy still help if my cancer has spread to the liver?",
        "Yes, for many people it can. Several randomised trials found smaller benefits.",
    )
    assert qa.kind == "explainer" and qa.also == ()
    op = classify(
        "Opinion: we oversell immunotherapy",
        "I have treated patients for years. In my view the trials measure the wrong things.",
    )
    assert op.kind == "opinion"
    fda = classify(
        "FDA approves combination for liver cancer",
        "The U.S. Food and Drug Administration approved the combination based on a phase 3 "
        "trial of 501 patients.",
    )
    assert fda.kind == "guideline" and fda.label.startswith("Guideline / approval")
    # a study report that mentions what a guideline recommends is still a study report
    study = classify(
        "Poorer patients less likely to get drugs",
        "A new study has found that poorer patients get fewer drugs, although NICE recommends "
        "them for everyone. The researchers analysed records of 77,045 patients.",
    )
    assert study.kind == "observational"


def test_conference_reports_keep_design_and_caveats():
    ev = classify(
        "Injections into liver tumours look safe",
        "Results presented today at the Society of Interventional Radiology's Annual "
        "Scientific Meeting: researchers treated 14 patients with liver metastases. The "
        "results are preliminary and have not been peer reviewed.",
    )
    assert ev.kind == "conference"
    assert ev.caveats == ("preliminary", "not peer reviewed")
    assert ev.label.startswith("Conference abstract: clinical trial, 14 patients")


@pytest.mark.parametrize(
    "title,text,kind",
    [
        ("Studie", "In einer randomisierten Phase-3-Studie mit 779 Patienten ...", "trial"),
        ("Souris", "Chez des souris porteuses de métastases hépatiques, ...", "preclinical"),
        ("Metaanálisis", "Un metaanálisis de 18 estudios con 200.000 personas ...", "review"),
        ("Kommentar: Zu früh", "Meiner Meinung nach ist die Begeisterung verfrüht.", "opinion"),
    ],
)
def test_german_french_spanish(title, text, kind):
    assert classify(title, text).kind == kind


def test_story_label_combines_copies():
    press = ("Drug helps", "In mouse models the drug restored T cells. 512 patients were studied.")
    rewrite = ("Drug helps", "Experiments in mice showed the mechanism.")
    ev = combine([press, rewrite])
    assert ev.kind == "preclinical" and ev.species == ("mice",)
    assert describe(ev) == ev.label


def test_nothing_to_say_gives_no_label():
    ev = classify("Hospital opens new wing", "The hospital opened a new wing on Monday.")
    assert ev.kind == "" and ev.label == "Study type not stated"


# --------------------------------------------------------------- the labelled set
def _items():
    if not evidence_set.INSCIOUT.exists() or not evidence_set.SEEDS.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{evidence_set.SHARED} is missing: CI must have ../shared")
        pytest.skip("../shared is missing")
    return [i for i in evidence_set.load(with_news=False) if i.half == "held-out"]


def test_held_out_labelled_set_floors():
    """Held-out half, press releases + own items + seeds (84 items): measured 0.881 kind right
    or a labelled alternative, 70/74 labels shown right, 20/24 sizes (docs/evidence.md).
    The floors sit a little under the measured values."""
    items = _items()
    r = evidence_set.evaluate(items, classify)
    assert r["n"] >= 80
    assert r["kind_lenient"] >= 0.82, r["misses"]
    shown = r["labels_shown"]
    assert (shown - r["labels_wrong"]) / shown >= 0.90, r["misses"]
    assert r["patients_right"] >= 0.7 * r["patients_known"]
