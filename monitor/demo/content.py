"""The demo's sample news: four made-up outlets, written by the monitor team for the demo.

The studies, people, institutions, trial numbers and DOIs below are fictional (DOIs use the
10.5555 test prefix). They reproduce the situations the product exists for: one press release
republished by a trade magazine with shared quotes, one study retold by a translated aggregator
in other words, a patient Q&A on the same field that is a story of its own, and items that a
keyword alert would wrongly send (melanoma immunotherapy, fatty liver).
"""

from __future__ import annotations

OUTLETS = {
    "wire": {
        "name": "Health Sciences Wire",
        "kind": "press-release syndication site",
        "feed": "rss",
    },
    "opt": {
        "name": "Oncology Practice Today",
        "kind": "trade magazine",
        "feed": "atom",
    },
    "euromed": {
        "name": "EuroMed Digest",
        "kind": "translated aggregator",
        "feed": "rss",
    },
    "ask": {
        "name": "Ask the Oncologist",
        "kind": "patient Q&A site",
        "feed": "rss",
    },
}

# Each article: outlet, slug, date, title, body paragraphs (blank-line separated in `body`),
# and optional reference block (shown in the page's footer, not part of the article text).
ARTICLES = [
    {
        "outlet": "wire",
        "slug": "pembrolizumab-radiation-colorectal-liver-metastases",
        "date": "2026-11-18T09:00:00Z",
        "title": "Checkpoint inhibitor plus targeted radiation shrinks colorectal liver metastases in phase 2 trial",
        "body": """Combining the PD-1 inhibitor pembrolizumab with stereotactic radiation aimed at liver tumours shrank colorectal cancer liver metastases in more than a third of patients, according to a phase 2 trial reported by researchers at Northfield University Cancer Center.

The LIVERPEM-2 trial (NCT09512345) enrolled 64 patients whose microsatellite-stable colorectal cancer had spread to the liver and had progressed after at least two lines of chemotherapy. Microsatellite-stable tumours rarely respond to checkpoint inhibitors on their own.

"Radiation seems to open the door for the immune system in a setting where immunotherapy alone almost never works," said Laura Mendes, M.D., professor of medical oncology at Northfield University and lead author of the study. "Seeing responses in liver metastases that had outlasted every chemotherapy we had was striking."

Patients received three fractions of stereotactic body radiation to one or two liver lesions, followed by pembrolizumab every three weeks. The overall response rate was 38 percent, and median progression-free survival reached 7.9 months, compared with historical figures below three months in this population.

Responses were also seen in lesions that had not been irradiated, which the investigators interpret as an abscopal effect driven by T cells primed in the treated tumours. Blood samples showed a rise in circulating effector T cells within two weeks of radiation.

Side effects were in line with those of each treatment alone. Eleven percent of patients had grade 3 immune-related adverse events, most often colitis, and no treatment-related deaths occurred.

"These results need confirmation in a randomised trial, and that trial is now being designed," said co-author Tomas Keller, Ph.D., a radiation biologist at the centre. "The question is which patients benefit, and our biomarker work is aimed squarely at that."

The study was funded by the Northfield Cancer Research Foundation. Merck supplied pembrolizumab but had no role in the analysis.""",
        "references": "More information: Laura Mendes et al, Stereotactic radiation and pembrolizumab for microsatellite-stable colorectal liver metastases (LIVERPEM-2): a phase 2 trial, Journal of Clinical Demo Oncology (2026). DOI: 10.5555/jcdo.2026.0142",
        "provided_by": "Northfield University Cancer Center",
        "doi": "10.5555/jcdo.2026.0142",
        "journal": "Journal of Clinical Demo Oncology",
    },
    {
        "outlet": "opt",
        "slug": "radiation-unlocks-immunotherapy-liver-mets-mss-crc",
        "date": "2026-11-19T14:30:00Z",
        "title": "Radiation may unlock immunotherapy for liver metastases in MSS colorectal cancer",
        "body": """Microsatellite-stable colorectal cancer has long been called a cold tumour: checkpoint inhibitors barely touch it. A new phase 2 study from Northfield University Cancer Center suggests a few fractions of liver-directed radiation can change that.

In the LIVERPEM-2 trial, 64 patients with chemotherapy-refractory colorectal cancer metastatic to the liver were treated with stereotactic body radiation to up to two liver lesions, then given pembrolizumab. Thirty-eight percent responded, and median progression-free survival was 7.9 months.

"Radiation seems to open the door for the immune system in a setting where immunotherapy alone almost never works," lead investigator Laura Mendes, M.D., told Oncology Practice Today. She added that several of the responders had exhausted standard options.

What caught the attention of outside experts was shrinkage of liver lesions that were never irradiated. "If that abscopal signal holds up, it changes how we think about sequencing local therapy and immunotherapy in the liver," said an oncologist not involved in the trial.

Grade 3 immune-related side effects occurred in 11 percent of patients, mainly colitis.

Co-author Tomas Keller, Ph.D., said the team is now planning a randomised trial and working on blood biomarkers to pick the patients most likely to benefit. The results appear in the Journal of Clinical Demo Oncology.""",
        "bio": "Dana Whitfield, Senior Editor. Dana has covered oncology drug development for more than 12 years and previously reported on medical devices.",
        "journal": "Journal of Clinical Demo Oncology",
    },
    {
        "outlet": "wire",
        "slug": "liver-metastases-drain-t-cells-immunotherapy",
        "date": "2026-11-16T10:00:00Z",
        "title": "Liver metastases siphon off T cells and blunt immunotherapy throughout the body",
        "body": """Cancer that has spread to the liver can undermine immunotherapy everywhere in the body by drawing away and destroying the T cells that checkpoint inhibitors depend on, researchers at the Riverside Institute for Immunology report.

The team, led by Anna Lindqvist, Ph.D., and Samuel Okafor, M.D., analysed outcomes of 512 patients treated with PD-1 or PD-L1 inhibitors for melanoma, lung or bladder cancer. Patients with liver metastases had markedly shorter survival than those whose cancer had spread to other organs, even when their tumour burden was similar.

In mouse models, the researchers found that tumours in the liver attract activated CD8 T cells and trigger their death through liver macrophages. The loss of these cells left tumours elsewhere in the body without the immune attack that immunotherapy is meant to unleash.

"The liver is acting like a sink for the very cells we are trying to mobilise," said Lindqvist. "It turns a local problem into a systemic one."

When the researchers treated the liver tumours with targeted radiation before starting checkpoint blockade, T cells returned to distant tumours and the mice responded to immunotherapy again. The same effect was seen when the liver macrophages were depleted.

"This gives us a rationale to treat liver metastases first, and to design trials around that idea," Okafor said. Clinical trials combining liver-directed radiation with immunotherapy are being planned at the institute.

The work was supported by national research grants and a foundation award for cancer immunology.""",
        "references": "More information: Anna Lindqvist et al, Liver metastases eliminate activated T cells and limit systemic immunotherapy efficacy, Demo Journal of Medicine (2026). DOI: 10.5555/djm.2026.0311",
        "provided_by": "Riverside Institute for Immunology",
        "doi": "10.5555/djm.2026.0311",
        "journal": "Demo Journal of Medicine",
    },
    {
        "outlet": "euromed",
        "slug": "why-immunotherapy-fails-with-liver-metastases",
        "date": "2026-11-17T07:15:00Z",
        "title": "Why immune therapy often fails when tumours have reached the liver",
        "body": """Doctors have observed for years that patients whose tumours settled in the liver profit less from modern immune therapies. A research group at the Riverside Institute for Immunology now offers an explanation published in the Demo Journal of Medicine.

The scientists around Anna Lindqvist and Samuel Okafor evaluated the records of 512 patients who had received checkpoint inhibitors against PD-1 or PD-L1 because of skin, lung or bladder cancer. Whoever had metastases in the liver lived clearly shorter, independent of how much tumour mass was present.

Experiments in mice delivered the mechanism: liver tumours pull killer T cells to themselves, where scavenger cells of the liver eliminate them. In the rest of the body these defensive cells are then missing, so the treatment loses its force.

According to Lindqvist, the organ works like a drain for precisely the immune cells that therapy should activate. A local spread thereby becomes a problem of the whole organism.

Irradiation of the liver tumours before the start of therapy restored the T cells in the animals, and the immune therapy worked again. Removing the scavenger cells had the same effect.

Okafor sees in this a reason to treat liver metastases first. Studies that combine irradiation of the liver with immune therapy are in preparation.""",
        "translated": True,
        "journal": "Demo Journal of Medicine",
    },
    {
        "outlet": "ask",
        "slug": "immunotherapy-if-cancer-spread-to-liver",
        "date": "2026-11-15T12:00:00Z",
        "title": "Can immunotherapy still help if my cancer has spread to the liver?",
        "body": """Yes, for many people it can, but the liver is a special place for the immune system, and that affects how well immunotherapy works.

Several studies have found that checkpoint inhibitors such as pembrolizumab or nivolumab tend to work less well when cancer has spread to the liver than when it has spread to the lungs or lymph nodes. Researchers think the liver naturally calms immune reactions, which may protect it from damage but can also shield tumours.

That does not mean immunotherapy is pointless. In melanoma, kidney cancer and some lung cancers, people with liver metastases still benefit, and combinations of two checkpoint inhibitors, or immunotherapy with treatments aimed at the liver such as radiation or ablation, are being tested to improve results.

What to ask your doctor:

Is my cancer type one where immunotherapy helps even with liver metastases?

Would treating the liver tumours first, with radiation, ablation or surgery, make immunotherapy work better for me?

Is there a clinical trial combining immunotherapy with liver-directed treatment that I could join?""",
        "disclaimer": "This answer is drawn from common patient questions and published research. We do not provide individualized medical advice; talk to your care team about your situation.",
    },
    {
        "outlet": "wire",
        "slug": "nivolumab-relatlimab-melanoma-five-year",
        "date": "2026-11-17T15:00:00Z",
        "title": "Five-year data confirm durable survival with dual checkpoint blockade in advanced melanoma",
        "body": """Five years after starting treatment, nearly half of patients with advanced melanoma who received a combination of a PD-1 and a LAG-3 inhibitor were still alive, according to long-term results presented by investigators of an international phase 3 trial.

The trial randomised 714 previously untreated patients to the combination or to PD-1 blockade alone. Overall survival at five years was 48 percent with the combination and 41 percent with the single drug.

"Durability is the whole promise of immunotherapy, and these numbers show it holds," said the study's principal investigator, an oncologist at a university hospital in Sydney.

Serious side effects were more common with the combination, at 21 percent, than with a single agent. No new safety signals emerged with longer follow-up.

Researchers are now studying whether patients who respond early can safely stop treatment after two years.""",
        "provided_by": "Melanoma Research Consortium",
    },
    {
        "outlet": "opt",
        "slug": "fatty-liver-disease-young-adults",
        "date": "2026-11-18T08:00:00Z",
        "title": "Fatty liver disease climbing among young adults, national survey finds",
        "body": """Metabolic dysfunction-associated steatotic liver disease, formerly called non-alcoholic fatty liver disease, now affects roughly one in four adults under 35, according to a national health survey that used transient elastography to measure liver fat.

The prevalence has risen by about a third in a decade, in step with obesity and type 2 diabetes. Among participants with obesity, more than half had excess liver fat, and one in ten showed signs of fibrosis.

"We are seeing liver disease in people who would never have been screened for it," said the survey's lead hepatologist. "By the time fibrosis shows up in routine tests, years of damage have accumulated."

The authors call for screening of young adults with metabolic risk factors and note that weight loss of seven to ten percent can reverse liver fat in many patients.""",
        "bio": "Marcus Ibe, Staff Writer. Marcus writes about hepatology, gastroenterology and public health.",
    },
]
