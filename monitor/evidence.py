"""Evidence labels: what kind of evidence an article reports, read from its text.

A clinician deciding whether a story matters asks first what kind of evidence it is: a phase 3
trial of 700 patients, a mouse experiment, a meta-analysis, a poster at a congress, a new
guideline, a patient explainer or somebody's opinion. ``classify(title, text)`` answers with an
:class:`~monitor.model.Evidence`; ``combine`` merges the copies of one story; ``describe``
writes the one-line label the digests show ("Phase 2 trial · 64 patients").

How: cue phrases per kind (English, with German, French and Spanish where a word list is
enough), weighted by where they stand (title, lead, body) and discounted when the sentence
talks about earlier work or future plans ("previous studies in mice", "a phase 3 trial is
planned"). Article genres (explainer, opinion, guideline or approval) and conference reports
take precedence over study designs, whose details (phase, sample size, species) are kept in
the label. Nothing here fetches, stores or reads the clock.

Measured on a labelled set (tests/testdata/evidence/, README there): see docs/evidence.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.model import Evidence

__all__ = ["KINDS", "NAMES", "classify", "combine", "describe", "qualifier_spans", "Evidence"]

KINDS = (
    "trial",
    "observational",
    "preclinical",
    "review",
    "conference",
    "guideline",
    "explainer",
    "opinion",
)
NAMES = {
    "trial": "Clinical trial",
    "observational": "Observational study",
    "preclinical": "Preclinical study",
    "review": "Review / meta-analysis",
    "conference": "Conference abstract",
    "guideline": "Guideline / approval",
    "explainer": "Explainer / Q&A",
    "opinion": "Opinion",
}
DESIGNS = ("trial", "observational", "preclinical", "review")
GENRES = ("explainer", "opinion", "guideline")

MAX_CHARS = 30_000  # the label is decided by the first part of a long text
LEAD_CHARS = 700
TITLE_WEIGHT, LEAD_WEIGHT, BODY_WEIGHT = 3.0, 2.0, 1.0
OFF_TOPIC_FACTOR = 0.25  # a cue in a sentence about earlier work or future plans

_F = re.IGNORECASE | re.UNICODE


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), _F)


# ------------------------------------------------------------------ cue tables
# (pattern, weight). Patterns use \b word boundaries; alternatives for DE/FR/ES follow EN.
CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "trial": [
        (
            _rx(r"\bphase[\s-]*(?:[1-4]|i{1,3}v?|iv)(?:[ab])?\b", r"\bfase\s*(?:[1-4]|i{1,3})\b"),
            2.5,
        ),
        (
            _rx(
                r"\brandomi[sz]ed\b",
                r"\brandomly (?:assigned|allocated)\b",
                r"\brandomisiert\w*",
                r"\brandomisé\w*",
                r"\baleatori[sz]ad\w*",
            ),
            2.0,
        ),
        (
            _rx(
                r"\bplacebo\b", r"\bdouble[- ]blind\w*", r"\bdoppelblind\w*", r"\bdouble aveugle\b"
            ),
            1.5,
        ),
        (
            _rx(
                r"\bclinical trial\b",
                r"\b(?:the|this|a|an|new|small|large|international|pivotal) (?:\w+ ){0,2}trial\b",
                r"\btrial (?:of|in|enrolled|included|involving|randomi[sz]ed)\b",
                r"\bklinische[nr]? studie\b",
                r"\bessai (?:clinique|de phase|randomisé|thérapeutique)?\b",
                r"\bensayo (?:clínico|de fase|aleatorizado)?\b",
                r"\bphase-[1-4]-studie\b",
            ),
            1.5,
        ),
        (
            _rx(
                r"\bfirst[- ]in[- ](?:human|man|humans)\b",
                r"\bdose[- ]escalation\b",
                r"\bsingle[- ]arm\b",
                r"\benrolled\b",
                r"\bwere (?:treated|given|assigned|randomi[sz]ed)\b",
                r"\breceived (?:either|the (?:drug|vaccine|treatment))\b",
                r"\b(?:treated|dosed|vaccinated|injected) (?:\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                r"thirteen|fourteen|fifteen|sixteen|twenty|thirty|forty|fifty) (?:[\w-]+ ){0,3}?(?:patients|participants|volunteers|people)\b",
            ),
            1.0,
        ),
        (_rx(r"\bNCT\d{8}\b"), 1.5),
    ],
    "observational": [
        (
            _rx(
                r"\bobservational\b",
                r"\bcohort\b",
                r"\bcase[- ]control\b",
                r"\bcross[- ]sectional\b",
                r"\bpopulation[- ]based\b",
                r"\bkohorte\w*",
                r"\bbeobachtungsstudie\w*",
                r"\bcohorte\b",
                r"\bobservationnel\w*",
                r"\bobservacional\b",
            ),
            2.0,
        ),
        (
            _rx(
                r"\bregistry\b",
                r"\bregistries\b",
                r"\b(?:medical|health|hospital|patient|electronic) records\b",
                r"\bdatabase\b",
                r"\bbiobank\b",
                r"\bsurvey\w*",
                r"\bquestionnaires?\b",
                r"\bprospective study\b",
                r"\bretrospective\w*",
                r"\bfollow(?:ed)?[- ]up\b",
                r"\btracked\b",
                r"\bdata (?:from|on|of) (?:more than |over |nearly |almost |about )?[\d,.]+",
                r"\b(?:analy[sz]ed|examined|looked at|studied|used) (?:the )?(?:anonymi[sz]ed )?(?:data|records|outcomes)\b",
                r"\bregister\w*",
                r"\benquête\b",
                r"\bregistro\b",
                r"\bencuesta\b",
            ),
            1.0,
        ),
        (
            _rx(
                r"\b(?:is|are|was|were) (?:\w+ )?(?:linked|associated|tied) (?:to|with)\b",
                r"\bassociation (?:between|with)\b",
                r"\bhigher risk\b",
                r"\bprevalence\b",
            ),
            0.7,
        ),
    ],
    "preclinical": [
        (
            _rx(
                r"\bmice\b",
                r"\bmouse (?:model|models|study|studies|experiments?)\b",
                r"\bin mouse\b",
                r"\brats\b",
                r"\bzebrafish\b",
                r"\bfruit fl(?:y|ies)\b",
                r"\banimal (?:model|models|study|studies|experiments?)\b",
                r"\bin animals\b",
                r"\bnon-?human primates\b",
                r"\bmonkeys\b",
                r"\bmäuse\w*",
                r"\bratten\b",
                r"\btierversuch\w*",
                r"\btiermodell\w*",
                r"\bsouris\b",
                r"\bmodèle animal\b",
                r"\bchez l'animal\b",
                r"\bratones\b",
                r"\bratas\b",
                r"\bmodelos? animal(?:es)?\b",
            ),
            2.5,
        ),
        (
            _rx(
                r"\bin vitro\b(?! fertili)",
                r"\bcell lines?\b",
                r"\bcell[- ]based\b",
                r"\bcell cultures?\b",
                r"\bcells grown\b",
                r"\borganoids?\b",
                r"\bmini-?(?:retinas|brains|organs|tumou?rs)\b",
                r"\btest tubes?\b",
                r"\bpetri dish\w*",
                r"\b(?:in|from) the (?:lab|laboratory)\b",
                r"\b(?:laboratory|lab) (?:study|experiments?|tests?|work)\b",
                r"\btissue samples\b",
                r"\bstem cells\b",
                r"\bzellkultur\w*",
                r"\bzelllinie\w*",
                r"\blignées? cellulaires?\b",
                r"\bcultivos? celulares?\b",
                r"\bx-ray crystallography\b",
                r"\bbacteria (?:were )?grown\b",
            ),
            1.5,
        ),
    ],
    "review": [
        (
            _rx(
                r"\bmeta-?analys[ie]s\b",
                r"\bsystematic review\b",
                r"\bpooled analysis\b",
                r"\bumbrella review\b",
                r"\bcochrane review\b",
                r"\bmetaanaly\w*",
                r"\bméta-?analyse\w*",
                r"\bmetaanálisis\b",
                r"\bmeta-?análisis\b",
                r"\bsystematische[nr]? (?:übersicht|review)\w*",
                r"\brevue systématique\b",
                r"\brevisión sistemática\b",
            ),
            3.0,
        ),
        (
            _rx(
                r"\breview of (?:the )?(?:available |published |existing )?(?:evidence|studies|literature|research|data)\b",
                r"\banaly(?:s|z)is of (?:the )?(?:available |published )(?:evidence|data|studies)\b",
                r"\b(?:analy[sz]ed|pooled|reviewed|combined) (?:the )?(?:results|data) (?:of|from) [\d,]+ (?:\w+ ){0,2}(?:studies|trials)\b",
                r"\bevidence review\b",
                r"\b(?:analy[sz]ed|reviewed|pooled|looked at|examined|combined|assessed) (?:the )?(?:data from |results of |results from |findings (?:of|from) )?(?:more than |over |nearly |almost |some )?[\d,]+ (?:\w+[ -]){0,3}?(?:studies|trials)\b",
                r"\breview of [\d,]+ (?:\w+ ){0,3}?(?:studies|trials)\b",
            ),
            2.0,
        ),
    ],
    "conference": [
        (
            _rx(
                r"\bpresented (?:today |on \w+ |this week |yesterday )?(?:at|during) (?:the )?(?:\w+[\s'’-]*){0,8}?(?:meeting|congress|conference|symposium|summit|sessions?)\b",
                r"\b(?:annual|scientific) meeting\b",
                r"\blate[- ]breaking (?:abstract|session|trial)\b",
                r"\babstract (?:no\.? ?)?#?\d+\w*\b",
                r"\b(?:poster|oral) (?:presentation|session)\b",
                r"\bin a poster\b",
                r"\b(?:ASCO|ESMO|AACR|ASH|SABCS|ASTRO|EASL|AASLD|ERS|ESC|AHA|ACC|ADA|EASD|ISTH|ECCO|SITC)(?:\s\w+){0,3}\s(?:annual meeting|congress|symposium|meeting|summit)\b",
                r"\b(?:ASCO|ESMO|AACR|ASH|SABCS|ASTRO|EASL|AASLD)\s(?:20\d\d|GI|Breast|annual)\b",
                r"\bkongress\w*",
                r"\bvorgestellt\b",
                r"\bcongrès\b",
                r"\bprésentés? (?:au|lors)\b",
                r"\bcongreso\b",
                r"\bpresentad[oa]s? en\b",
            ),
            2.5,
        ),
    ],
    "guideline": [
        (
            _rx(
                r"\b(?:FDA|EMA|MHRA|Health Canada|TGA|PMDA|European Commission|agency) (?:has |have )?(?:\w+ ){0,3}(?:approved|approves|grants?|granted|cleared|clears)\b",
                r"\b(?:approved|approves|approval) (?:of |for |by )?(?:the )?(?:\w+ ){0,4}(?:by the )?(?:FDA|EMA|MHRA|regulators?)\b",
                r"\bmarketing authori[sz]ation\b",
                r"\bCHMP\b",
                r"\baccelerated approval\b",
                r"\bbreakthrough therapy designation\b",
                r"\b(?:final )?(?:draft )?guidance (?:published|issued|recommends)\b",
                r"\b(?:NICE|USPSTF|WHO|ESMO|ASCO|NCCN|HAS|IQWiG|G-BA) (?:now )?(?:recommends?|advises|has recommended|guidance)\b",
                r"\b(?:updated|new|revised|issued|publishe[sd]|releases?d?) (?:its |their |a |an )?(?:\w+ ){0,4}(?:guidelines?|guidance|recommendations)\b",
                r"\bguidelines? (?:recommends?|now recommends?|says|advises)\b",
                r"\bzulassung\w*",
                r"\bleitlinie\w*",
                r"\bautorisation de mise sur le marché\b",
                r"\bremboursement\b",
                r"\bhaute autorité de santé\b",
                r"\brecommandations\b",
                r"\baprob[óa]\w*",
                r"\bguía (?:clínica|de práctica)\b",
            ),
            2.5,
        ),
    ],
    "explainer": [
        (
            _rx(
                r"\bwhat (?:you|patients|families) (?:need|should) to know\b",
                r"\bexplainer\b",
                r"^\s*explained\b",
                r"\bq\s?&\s?a\b",
                r"\bfaqs?\b",
                r"\bfrequently asked\b",
                r"\bask (?:your|the) (?:doctor|oncologist|care team)\b",
                r"\btalk (?:to|with) your (?:doctor|care team|oncologist)\b",
                r"\bwhat to ask\b",
                r"\bfragen und antworten\b",
                r"\bihrem arzt\b",
                r"\bquestions fréquentes\b",
                r"\bvotre médecin\b",
                r"\bpreguntas y respuestas\b",
                r"\bsu médico\b",
            ),
            2.0,
        ),
        (
            _rx(
                r"\b(?:your|you)\b",
                r"\bihre[nmrs]?\b",
                r"\bvotre\b",
                r"\bvous\b",
            ),
            0.15,
        ),
    ],
    "opinion": [
        (
            _rx(
                r"^\s*(?:opinion|editorial|comment|commentary|viewpoint|perspective|op-ed|column|analysis)\s*[:|-]",
                r"\bin my (?:view|opinion|experience)\b",
                r"\bi (?:think|believe|argue|would argue|have (?:treated|seen|watched))\b",
                r"\bwe (?:believe|argue|must|should)\b",
                r"\bthis (?:viewpoint|commentary|editorial|essay|op-ed) (?:argues|calls)\b",
                r"\bletters? to the editor\b",
                r"\bkommentar\b",
                r"\bmeiner meinung\b",
                r"\bich halte\b",
                r"\btribune\b",
                r"\bselon nous\b",
                r"\bpoint de vue\b",
                r"\bopinión\b",
                r"\ben mi opinión\b",
                r"\bcreo que\b",
            ),
            2.0,
        ),
        (_rx(r"\b(?:I|my|me)\b(?!\s*\.)"), 0.12),
    ],
}

# A sentence about earlier work, background or plans: its design cues describe other studies.
_OFF_TOPIC = _rx(
    r"\bprevious(?:ly)?\b",
    r"\bearlier (?:stud|work|research|trial)\w*",
    r"\bprior (?:stud|research|work)\w*",
    r"\bpast (?:stud|research)\w*",
    r"\bother (?:stud|research|trial)\w*",
    r"\bhave (?:shown|found|suggested|linked)\b",
    r"\bhas been (?:shown|linked)\b",
    r"\b(?:is|are) (?:now )?(?:being )?(?:planned|designed|planning|under way)\b",
    r"\bplan(?:s|ning)? (?:to|a|an)\b",
    r"\bwill (?:be|need|now|test|start|enrol|begin|follow)\b",
    r"\bfuture\b",
    r"\bnext step\b",
    r"\bneeds? to be (?:tested|confirmed)\b",
    r"\bfurther (?:research|studies|trials)\b",
    r"\bmore research\b",
    r"\bbacks? (?:up )?(?:the )?(?:findings of )?(?:earlier|previous|animal)\b",
    r"\bin preparation\b",
    r"\bin vorbereitung\b",
    r"\bgeplant\b",
    r"\bfrüher\w*",
    r"\bprécédent\w*",
    r"\banterior\w*",
)

# The lead reports a study: "a study has found", "researchers found", "new research suggests".
_STUDY_REPORT = _rx(
    r"\b(?:a|the|new|this|latest|large|small) (?:\w+ ){0,3}(?:study|research|analysis|trial|survey|review)"
    r"(?: \w+){0,8} (?:found|finds|shows?|showed|suggests?|suggested|reveals?|revealed|concludes?|reports?)\b",
    r"\b(?:researchers|scientists|investigators|experts|the team|the authors) (?:\w+ ){0,3}(?:found|find|discovered|report|reported|showed|analy[sz]ed|studied|looked at)\b",
    r"\baccording to (?:a |the )?(?:new |latest )?(?:study|research)\b",
    r"\b(?:study|research) published\b",
    r"\bpublished (?:today |online |this week )?in (?:the )?(?:journal|\w+ journal)\b",
    r"\beine (?:neue |aktuelle )?studie\b",
    r"\bune (?:nouvelle )?étude\b",
    r"\bun (?:nuevo )?estudio\b",
)

_ANSWER = re.compile(
    r"\s*(?:yes|no|it depends|not always|short answer|ja|nein|oui|non|sí|no)\b[,.:]", _F
)
_QUESTIONS_TO_ASK = _rx(
    r"\b(?:what|questions) to ask (?:your|the) (?:doctor|oncologist|care team|nurse)\b",
    r"\bfragen (?:an|für) (?:ihren|den) arzt\b",
    r"\bquestions à poser à votre médecin\b",
    r"\bpreguntas para (?:su|el) médico\b",
)
_ASSOCIATION = _rx(
    r"\b(?:linked|associated|tied|connected) (?:to|with)\b",
    r"\blink between\b",
    r"\b(?:higher|lower|greater|increased|reduced) (?:\w+ )?risk\b",
    r"\brisk of\b",
    r"\bmore likely\b",
    r"\bless likely\b",
)

# Genre cues count in title and lead only; a passing "guideline" deep in a study report is
# context, not the article's subject.
_GENRE_BODY_FACTOR = 0.2

# ------------------------------------------------------------------ qualifiers
_NUM_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_PEOPLE = (
    r"patients|participants|people|persons|adults|children|kids|women|men|volunteers|subjects|"
    r"individuals|infants|babies|newborns|adolescents|teens|teenagers|youths|students|smokers|"
    r"survivors|veterans|pregnancies|mothers|fathers|parents|residents|employees|workers|"
    r"players|athletes|doctors|physicians|nurses|clinicians|pupils|boys|girls|twins|couples|"
    r"families|households|users|consumers|drinkers|retirees|pensioners|"
    r"patient(?:inn)?en|teilnehmer(?:innen)?|teilnehmende[n]?|probanden|menschen|erwachsene[n]?|"
    r"kinder[n]?|frauen|männer[n]?|personen|personnes|adultes|enfants|femmes|hommes|volontaires|"
    r"sujets|pacientes|participantes|personas|adultos|niños|mujeres|hombres|voluntarios|sujetos"
)
# words that cannot stand between a number and the people it counts ("6 servings for men")
_GAP_STOP = (
    r"for|of|with|in|on|at|to|per|and|or|than|by|from|who|which|that|were|was|are|is|had|have|"
    r"servings?|times|doses?|cups|drinks|years?|months?|weeks?|days|hours|minutes|"
    r"für|von|mit|und|oder|pour|de|avec|et|ou|para|con|y|o"
)
_NUMBER = r"\b(?P<num>\d{1,3}(?:[,.\u202f\u00a0 ]\d{3})+|\d+|" + "|".join(_NUM_WORDS) + r")"
_COUNT = re.compile(
    r"(?P<pre>\b(?:more than|over|nearly|almost|about|around|roughly|some|approximately|"
    r"at least|up to|mehr als|über|knapp|rund|fast|etwa|plus de|près de|environ|"
    r"más de|casi|cerca de|unos)\s+)?"
    + _NUMBER
    + r"(?:\s+(?P<mult>million|millions|billion|mio\.?|millionen|millones|milliers))?"
    + r"(?P<gap>(?:\s+(?!(?:"
    + _GAP_STOP
    + r")\b)[^\W\d][\w'’-]*){0,3}?)\s+(?P<noun>"
    + _PEOPLE
    + r")\b",
    _F,
)
_NOT_A_COUNT_BEFORE = re.compile(
    r"(?:\b(?:per|every|each|one in|\d+ in|für|pro|par|por|sur)\s*$)|(?:[%/]\s*$)",
    _F,
)
_STUDY_VERB = _rx(
    r"\benrol+ed\b",
    r"\brecruited\b",
    r"\bincluded\b",
    r"\binvolv\w+",
    r"\bstudied\b",
    r"\bstudy of\b",
    r"\btrial of\b",
    r"\bsample of\b",
    r"\bcohort of\b",
    r"\banaly[sz]\w+",
    r"\bexamined\b",
    r"\btracked\b",
    r"\bfollowed\b",
    r"\btreated\b",
    r"\brandomi[sz]ed\b",
    r"\bdata (?:from|on)\b",
    r"\bevaluated\b",
    r"\bsurveyed\b",
    r"\bdrew on\b",
    r"\bdrawn from\b",
    r"\bbased (?:on|their findings on)\b",
    r"\bamong\b",
    r"\bquestioned\b",
    r"\bmit\b",
    r"\bwertete\w*",
    r"\buntersucht\w*",
    r"\bchez\b",
    r"\bportant sur\b",
    r"\bincluy\w+",
    r"\bsiguió\b",
    r"\bcon\b",
)
_STUDY_WORD = _rx(
    r"\bstud(?:y|ies)\b",
    r"\bresearch\w*",
    r"\btrials?\b",
    r"\bparticipants\b",
    r"\bscientists\b",
    r"\binvestigators\b",
    r"\bauthors\b",
    r"\bteam\b",
    r"\bstudie\w*",
    r"\bforsch\w*",
    r"\bétude\w*",
    r"\bessai\w*",
    r"\bchercheurs\b",
    r"\bestudio\w*",
    r"\bensayo\w*",
    r"\binvestigador\w*",
)
_TREATED = _rx(
    r"\b(?:treated|dosed|vaccinated|injected|randomi[sz]ed|randomly assigned)\b",
    r"\bwere given\b",
    r"\breceived (?:the|a|an|either)\b",
    r"\bbehandelt\b",
    r"\berhielten\b",
    r"\btraités\b",
    r"\bont reçu\b",
    r"\btratados\b",
    r"\brecibieron\b",
)
_PHASE = re.compile(
    r"\b(?:phase|fase)[\s-]*(?P<a>[1-4]|iv|i{1,3})(?P<sub>[ab])?(?:\s*/\s*(?P<b>[1-4]|i{1,3}))?\b",
    _F,
)
_FIRST_IN_HUMAN = re.compile(
    r"\bfirst[- ]in[- ](?:human|man|humans)\b|\berstmals am menschen\b", _F
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_STUDIES = re.compile(
    r"\b(?P<num>\d{1,4}|" + "|".join(_NUM_WORDS) + r")\s+(?:\w+[\s-]+){0,3}?"
    r"(?P<what>studies|trials|randomi[sz]ed (?:controlled )?trials|studien|études|estudios)\b",
    _F,
)
_SPECIES = [
    ("mice", _rx(r"\bmice\b", r"\bmouse\b", r"\bmäuse\w*", r"\bsouris\b", r"\bratones\b")),
    ("rats", _rx(r"\brats?\b", r"\bratten\b", r"\bratas\b")),
    ("zebrafish", _rx(r"\bzebrafish\b")),
    ("flies", _rx(r"\bfruit fl(?:y|ies)\b", r"\bflies\b")),
    ("primates", _rx(r"\bmonkeys\b", r"\bnon-?human primates\b", r"\bmacaques\b")),
    ("organoids", _rx(r"\borganoids?\b", r"\bmini-?(?:retinas|brains|organs|tumou?rs)\b")),
    (
        "cells",
        _rx(
            r"\bin vitro\b(?! fertili)",
            r"\bcell lines?\b",
            r"\bcell[- ]based\b",
            r"\bcell cultures?\b",
            r"\bcells grown\b",
            r"\btest tubes?\b",
            r"\btissue samples\b",
            r"\bzellkultur\w*",
            r"\bzelllinie\w*",
            r"\blignées? cellulaires?\b",
            r"\bcultivos? celulares?\b",
        ),
    ),
]
_CAVEATS = [
    (
        "preliminary",
        _rx(
            r"\bpreliminary\b",
            r"\bearly (?:data|results|findings)\b",
            r"\bvorläufig\w*",
            r"\bpréliminaires?\b",
            r"\bpreliminar(?:es)?\b",
        ),
    ),
    (
        "not peer reviewed",
        _rx(
            r"\bnot (?:yet )?(?:been )?peer[- ]reviewed\b",
            r"\bbefore peer review\b",
            r"\bpreprints?\b",
            r"\bmedrxiv\b",
            r"\bbiorxiv\b",
            r"\b(?:has|have) not (?:yet )?been published\b",
            r"\bnot yet (?:been )?published\b",
            r"\bnoch nicht (?:in einer fachzeitschrift )?veröffentlicht\b",
            r"\bnicht begutachtet\b",
            r"\bdoivent encore être publiés\b",
            r"\bcomité de lecture\b",
        ),
    ),
]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


# ------------------------------------------------------------------ reading
@dataclass
class _Reading:
    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    phase: str | None = None
    patients: int | None = None
    population: str | None = None
    approx: str = ""
    studies: int | None = None
    species: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _off_topic(sentence: str) -> bool:
    return bool(_OFF_TOPIC.search(sentence))


def _number(raw: str) -> int | None:
    word = raw.lower()
    if word in _NUM_WORDS:
        return _NUM_WORDS[word]
    digits = re.sub(r"[,.\u202f\u00a0 ]", "", raw)
    return int(digits) if digits.isdigit() else None


def _score(title: str, text: str) -> dict[str, float]:
    scores = dict.fromkeys(KINDS, 0.0)
    regions = [(title, TITLE_WEIGHT, True)]
    lead, body = text[:LEAD_CHARS], text[LEAD_CHARS:]
    regions += [(lead, LEAD_WEIGHT, True), (body, BODY_WEIGHT, False)]
    for region, weight, up_front in regions:
        if not region:
            continue
        spans = _sentences(region)
        for kind, cues in CUES.items():
            genre = kind in GENRES or kind == "conference"
            for pattern, cue_weight in cues:
                hits = 0.0
                for m in pattern.finditer(region):
                    s, e = next(((a, b) for a, b in spans if a <= m.start() < b), (0, len(region)))
                    factor = OFF_TOPIC_FACTOR if _off_topic(region[s:e]) and not genre else 1.0
                    hits += factor
                    if hits >= 3:
                        break
                if not hits:
                    continue
                value = cue_weight * weight * min(hits, 3.0) ** 0.5
                if genre and not up_front:
                    value *= _GENRE_BODY_FACTOR
                scores[kind] += value
    if title.strip().endswith("?"):
        scores["explainer"] += 3.0
        if _ANSWER.match(text):
            scores["explainer"] += 2.0  # a question answered: "Yes, for many people it can"
    if _QUESTIONS_TO_ASK.search(text):
        scores["explainer"] += 2.0  # a patient explainer's own section, wherever it stands
    reports_study = bool(_STUDY_REPORT.search(title + " " + lead))
    if reports_study and _ASSOCIATION.search(title + " " + lead):
        # "a study found X is linked to Y": the wording of an observational finding
        scores["observational"] += 1.0
    if reports_study and not _has(CUES["guideline"], title):
        # a study report that mentions what a guideline recommends is still a study report
        scores["guideline"] *= _GENRE_BODY_FACTOR
    return scores


def _has(cues: list[tuple[re.Pattern[str], float]], text: str) -> bool:
    return any(p.search(text) for p, _w in cues)


def _phase(title: str, text: str) -> str | None:
    for region in (title, text[:4000]):
        for sentence in (region[a:b] for a, b in _sentences(region)):
            if _off_topic(sentence):
                continue
            m = _PHASE.search(sentence)
            if m:
                a = _ROMAN.get(m.group("a").lower(), m.group("a"))
                b = m.group("b")
                if b:
                    return f"{a}/{_ROMAN.get(b.lower(), b)}"
                return a
            if _FIRST_IN_HUMAN.search(sentence):
                return "1"
    return None


_STUDY_OF = re.compile(
    r"\b(?:study|survey|trial|cohort|sample|analysis|data) (?:of|from|on) (?P<pre>(?:more than|over|nearly|almost|about|around|some) )?"
    + _NUMBER
    + r"(?:\s+[^\W\d][\w'’-]*){0,2}?\s+(?P<noun>[^\W\d][\w'’-]*s)\b",
    _F,
)
_NOT_PEOPLE = re.compile(
    r"studies|trials|years|months|weeks|days|hours|cases|samples|products|items|countries|"
    r"hospitals|practices|areas|sites|centres|centers|records|deaths|doses|meals|papers|articles|"
    r"genes|cells|mice|rats|animals",
    _F,
)


def _count(title: str, text: str) -> tuple[int | None, str | None, str, str]:
    """The number of people studied: the first count in a sentence with a study verb."""
    best: tuple[int, int, str, str] | None = None  # (rank, position, ...)
    candidates = []
    region = text[:6000]
    for a, b in _sentences(title + ". " + region):
        sentence = (title + ". " + region)[a:b]
        for m in _COUNT.finditer(sentence):
            before = sentence[: m.start("num")]
            if _NOT_A_COUNT_BEFORE.search(before) and not m.group("pre"):
                continue
            after = sentence[m.end("num") : m.end("num") + 12]
            if re.match(r"\s*(?:%|percent|per cent|prozent|pour cent|por ciento)", after, _F):
                continue
            if re.search(r"\b(?:aged|age|years?|ans|jahre|años)\b", m.group("gap") or "", _F):
                continue
            n = _number(m.group("num"))
            mult = (m.group("mult") or "").lower()
            if n and mult:
                n *= 1000 if mult == "milliers" else 1_000_000_000 if mult == "billion" else 10**6
            if not n or n < 2 or n > 50_000_000:
                continue
            if re.fullmatch(r"(?:19|20)\d\d", m.group("num")):
                continue  # a year, not a count ("in 2016 patients ...")
            verb = bool(_STUDY_VERB.search(sentence))
            about_study = bool(_STUDY_WORD.search(sentence))
            rank = (
                (0 if verb else 1) + (0 if about_study else 1) + (3 if _off_topic(sentence) else 0)
            )
            studied = ""
            if verb and not _off_topic(sentence):
                # "treated 14 patients" is a trial; "512 patients treated with ..." is not
                treated = _TREATED.search(sentence[: m.start("num")])
                studied = "treated" if treated else "studied"
            candidates.append(
                (rank, a + m.start(), n, m.group("noun").lower(), m.group("pre") or "", studied)
            )
    if not candidates:
        for m in _STUDY_OF.finditer(title + ". " + region):
            n = _number(m.group("num"))
            if n and n >= 2 and not _NOT_PEOPLE.fullmatch(m.group("noun")):
                candidates.append(
                    (0, m.start(), n, m.group("noun").lower(), m.group("pre") or "", True)
                )
                break
    if candidates:
        best = min(candidates, key=lambda c: (c[0], c[1]))
        return best[2], best[3], best[4].strip().lower(), best[5]
    return None, None, "", ""


def _studies(text: str) -> int | None:
    for m in _STUDIES.finditer(text[:6000]):
        n = _number(m.group("num"))
        if n and n >= 2:
            return n
    return None


def _found(table: Sequence[tuple[str, re.Pattern[str]]], text: str) -> list[str]:
    return [name for name, pattern in table if pattern.search(text)]


def _read(title: str, text: str) -> _Reading:
    title = " ".join((title or "").split())
    text = (text or "")[:MAX_CHARS]
    r = _Reading(scores=_score(title, text))
    r.phase = _phase(title, text)
    r.patients, r.population, r.approx, studied = _count(title, text)
    if studied:
        # "a study of 6,120 women", "researchers analysed 512 patients": people were studied,
        # an observational design unless the sentence says they were treated ("treated 14
        # patients", "randomised 420 patients")
        r.scores["trial" if studied == "treated" else "observational"] += STUDIED_PEOPLE
    r.studies = _studies(title + ". " + text)
    r.species = _found(_SPECIES, title + "\n" + text[:8000])
    r.caveats = _found(_CAVEATS, title + "\n" + text)
    return r


# ------------------------------------------------------------------ deciding
GENRE_MIN = 5.0  # a genre needs cues up front, not a passing word
CONFERENCE_MIN = 4.0
DESIGN_MIN = 2.0
REVIEW_MIN = 4.0  # a review names the designs it pooled; from this score it is the review
STUDIED_PEOPLE = 2.0
ALSO_SHARE = 0.3
ALSO_MIN = 3.0  # a second design needs more than a passing mention  # another design counts as "also" from this share of the main one


def _decide(r: _Reading) -> Evidence:
    s = r.scores
    if r.phase and s["trial"] < DESIGN_MIN:
        s["trial"] = DESIGN_MIN
    designs = sorted(DESIGNS, key=lambda k: (k != "review" or s[k] < REVIEW_MIN, -s[k]))
    design = designs[0] if s[designs[0]] >= DESIGN_MIN else ""
    genre = max(GENRES, key=lambda k: s[k])
    if s[genre] >= GENRE_MIN and s[genre] >= 0.6 * s[design or "trial"]:
        kind = genre
    elif s["conference"] >= CONFERENCE_MIN:
        kind = "conference"
    else:
        kind = design
    also = tuple(
        k
        for k in designs
        if k != kind
        and s[k] >= ALSO_MIN
        and (k == design or s[k] >= ALSO_SHARE * s[design])
        and not (kind == "review" and k in ("observational", "trial"))  # what it pooled
    )
    if kind == "trial" or "trial" in also:
        # a trial report speaks of follow-up and data; that is not a second, observational study
        also = tuple(k for k in also if k != "observational")
    if kind in ("explainer", "opinion"):
        also = ()  # an explainer citing trials is still an explainer; details would mislead
    keep_numbers = kind in ("trial", "observational", "review", "conference") or bool(
        {"trial", "observational", "review"} & set(also)
    )
    species = tuple(r.species) if (kind == "preclinical" or "preclinical" in also) else ()
    return Evidence(
        kind=kind,
        phase=r.phase if (kind == "trial" or "trial" in also or kind == "conference") else None,
        patients=r.patients if keep_numbers else None,
        population=r.population if keep_numbers else None,
        studies=r.studies if (kind == "review" or "review" in also) else None,
        species=species,
        also=also,
        caveats=tuple(r.caveats),
        label="",
    )


def classify(title: str, text: str) -> Evidence:
    """The evidence label of one article (title and plain text)."""
    ev = _decide(_read(title, text))
    return _with_label(ev)


def combine(readings: Iterable[tuple[str, str]]) -> Evidence:
    """One label for the copies of a story: (title, text) pairs, the canonical copy first.

    Scores are summed over the copies (the first counts double), so a rewrite that leaves out
    the design does not hide it; numbers come from the first copy that gives them.
    """
    total = _Reading()
    first = True
    for title, text in readings:
        r = _read(title, text)
        for k, v in r.scores.items():
            total.scores[k] += v * (2.0 if first else 1.0)
        for name in ("phase", "patients", "population", "studies"):
            if getattr(total, name) is None and getattr(r, name) is not None:
                setattr(total, name, getattr(r, name))
                if name == "patients":
                    total.approx = r.approx
        total.species += [s for s in r.species if s not in total.species]
        total.caveats += [c for c in r.caveats if c not in total.caveats]
        first = False
    return _with_label(_decide(total))


def _fmt(n: int) -> str:
    return f"{n:,}"


# the people counted, in the language of the label
_ENGLISH = {
    **dict.fromkeys(["patienten", "patientinnen", "pacientes"], "patients"),
    **dict.fromkeys(
        ["teilnehmer", "teilnehmerinnen", "teilnehmende", "teilnehmenden", "participantes"],
        "participants",
    ),
    **dict.fromkeys(["probanden", "volontaires", "voluntarios"], "volunteers"),
    **dict.fromkeys(["menschen", "personen", "personnes", "personas"], "people"),
    **dict.fromkeys(["erwachsene", "erwachsenen", "adultes", "adultos"], "adults"),
    **dict.fromkeys(["kinder", "kindern", "enfants", "niños"], "children"),
    **dict.fromkeys(["frauen", "femmes", "mujeres"], "women"),
    **dict.fromkeys(["männer", "männern", "hommes", "hombres"], "men"),
    **dict.fromkeys(["sujets", "sujetos"], "subjects"),
}


def describe(ev: Evidence) -> str:
    """The one-line label, e.g. "Phase 2 trial, 64 patients", "Preclinical study (mice) +
    observational study, 512 patients", "Conference abstract: clinical trial, 14 patients ·
    preliminary", "Explainer / Q&A"."""
    if not ev.kind:
        return "Study type not stated"
    designs = [k for k in (ev.kind, *ev.also) if k in DESIGNS]
    counted = next((k for k in designs if k != "preclinical"), None)
    noun = _ENGLISH.get((ev.population or "").lower(), ev.population or "people")
    people = f"{_fmt(ev.patients)} {noun}" if ev.patients else ""

    def design(kind: str) -> str:
        if kind == "trial":
            text = f"phase {ev.phase} trial" if ev.phase else "clinical trial"
        elif kind == "preclinical":
            text = "preclinical study" + (f" ({', '.join(ev.species)})" if ev.species else "")
        elif kind == "review":
            text = (
                f"review / meta-analysis of {ev.studies} studies"
                if ev.studies
                else "review / meta-analysis"
            )
        else:
            text = "observational study"
        return text + (f", {people}" if kind == counted and people else "")

    if ev.kind in DESIGNS:
        text = " + ".join(design(k) for k in designs)
        text = text[0].upper() + text[1:]
    else:
        text = NAMES[ev.kind]
        joiner = ": " if ev.kind == "conference" else " · based on "
        if designs:
            text += joiner + " + ".join(design(k) for k in designs)
        elif people and ev.kind == "conference":
            text += f": {people}"
    return " · ".join([text, *ev.caveats])


def _with_label(ev: Evidence) -> Evidence:
    from dataclasses import replace

    return replace(ev, label=describe(ev))


def to_dict(ev: Evidence | None) -> dict | None:
    """The JSON shape (``"evidence": {...}`` in the digest JSON and webhooks)."""
    if ev is None:
        return None
    return {
        "kind": ev.kind or None,
        "label": ev.label or describe(ev),
        "phase": ev.phase,
        "patients": ev.patients,
        "population": ev.population,
        "studies": ev.studies,
        "species": list(ev.species),
        "also": list(ev.also),
        "caveats": list(ev.caveats),
    }


def from_dict(data: dict | None) -> Evidence | None:
    if not data:
        return None
    return Evidence(
        kind=data.get("kind") or "",
        label=data.get("label") or "",
        phase=data.get("phase"),
        patients=data.get("patients"),
        population=data.get("population"),
        studies=data.get("studies"),
        species=tuple(data.get("species") or ()),
        also=tuple(data.get("also") or ()),
        caveats=tuple(data.get("caveats") or ()),
    )


# ------------------------------------------------------------------ for summaries
def qualifier_spans(text: str) -> list[tuple[int, int, str]]:
    """Where `text` states what changes a finding's meaning: phase, sample size, species,
    "preliminary", "not peer reviewed". (start, end, kind) in text order."""
    spans: list[tuple[int, int, str]] = []
    for m in _PHASE.finditer(text):
        spans.append((m.start(), m.end(), "phase"))
    for m in _COUNT.finditer(text):
        spans.append((m.start(), m.end(), "sample"))
    for _name, pattern in _SPECIES:
        for m in pattern.finditer(text):
            spans.append((m.start(), m.end(), "species"))
    for m in CUES["preclinical"][0][0].finditer(text):
        spans.append((m.start(), m.end(), "species"))
    for name, pattern in _CAVEATS:
        for m in pattern.finditer(text):
            spans.append((m.start(), m.end(), name))
    return sorted(set(spans))
