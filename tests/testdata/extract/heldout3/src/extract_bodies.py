"""One-off: cut the English bodies out of the seeds and the InSciOut file into src/bodies/*.txt.
Bodies are then hand-edited (citation markers {^n}, markdown links, subheadings '## ', list items '- ').
Paragraphs are separated by blank lines."""
import gzip, json, re, pathlib
SEEDS = pathlib.Path('/work/shared/seeds')
ROWS = {json.loads(l)['id']: json.loads(l) for l in gzip.open('/work/shared/stories/insciout/articles.jsonl.gz', 'rt')}
OUT = pathlib.Path(__file__).parent / 'bodies'

def paras(t):
    return [p.strip() for p in re.split(r'\n\s*\n|\n(?=\S)', t) if p.strip()]

def seed(name):
    return (SEEDS / name).read_text()

def between(ps, first, last):
    i = next(k for k, p in enumerate(ps) if p.startswith(first))
    j = next(k for k, p in enumerate(ps) if p.startswith(last))
    return ps[i:j + 1]

jobs = {}
# seed 000: body only
jobs['clinicwire-01'] = between(paras(seed('000_c9832fba8efd116f.txt')), 'Advanced stage liver tumors may', 'Amgen, the pharmaceutical')
ps = paras(seed('004_c95fea79b3a62cc2.txt'))
ps = between(ps, 'Michael Green, M.D., Ph.D., noticed', '"It\'s always a challenge')
k = next(i for i, p in enumerate(ps) if p.endswith('autoimmune diseases,'))
ps[k:k + 2] = [ps[k] + ' ' + ps[k + 1]]
ps = [p.replace('*Nature Medicine*', 'Nature Medicine') for p in ps]
jobs['clinicwire-03'] = ps
ps = paras(seed('003_0f293954e033344f.txt'))
ps = between(ps, 'Dr Michael Green, from the Department', '“Identifying new immunosuppressive')
drop = ('When cancer metastasizes to the liver, the liver tumor sucks up important immune cells, so immunotherapy is ineffective, and a study',
        'A patient lying on a treatment device', 'A paper published on the 4th day')
ps = [p for p in ps if not p.startswith(drop)]
subheads = ('If liver metastases are present', 'Liver suppresses certain major', 'We plan to conduct clinical trials soon')
ps = ['## ' + p if p.startswith(subheads) else p for p in ps]
jobs['medbeat-02'] = ps
ps = paras(seed('002_eb0078f696d6e8f3.txt'))
ps = between(ps, 'Liver metastases are a common', '- How will we monitor')
ps = ['## ' + p if p in ('What the research says', 'What to ask your doctor') else p for p in ps]
ps = [re.sub(r' (\d+)\.$', r'{^\1}.', p) for p in ps]
ps = [re.sub(r' (\d+)\. ', r'{^\1}. ', p) for p in ps]
jobs['clearanswers-01'] = ps

def ins(i, first, last):
    return between(paras(ROWS[i]['text']), first, last)
jobs['clinicwire-02'] = ins('25-109:1', 'Indoor trampoline park injuries', 'Furthermore, public health')
jobs['clinicwire-04'] = ins('22-023:1', 'Many pain-sensing nerves', '“Our next step')
ps = ins('29-034:1', 'Thousands of lives could be saved', '"Professor Bown will harness')
jobs['clinicwire-05'] = [p for p in ps if p != '###']
jobs['medbeat-01'] = ins('25-196:41', 'Commonly prescribed painkillers', 'About 190,000 people')
jobs['medbeat-03'] = ins('25-151:10', 'Daily rinsing and gargling', 'The study was carried out by')
jobs['medbeat-04'] = ins('04-016:23', 'Children and teens with access', 'Poor sleep has been tied')
jobs['medbeat-05'] = ins('25-064:24', 'People who are socially isolated', '"Given that the effect')
ps = ins('25-141:1', 'The health risks and mortality', 'And they conclude that lifestyle')
k = next(i for i, p in enumerate(ps) if p.endswith('cause and effect.'))
ps[k:k + 3] = [ps[k] + ' ' + ps[k + 1] + ps[k + 2]]
jobs['clearanswers-02'] = ps
jobs['clearanswers-03'] = ins('25-096:3', 'Exercise therapy may benefit', '“Supervised exercise therapy')
ps = ins('25-126:7', 'A HONEY adored', 'Researchers said that further')
ps = [p for p in ps if p not in ("We believe that patients might also benefit from honey's anti-inflammatory properties", 'Professor Bashir Lwaleed')]
jobs['clearanswers-04'] = ps
jobs['clearanswers-05'] = ins('25-090:6', 'The number of cases of ovarian', '"It is essential that any woman')

for k, ps in jobs.items():
    (OUT / f'{k}.txt').write_text('\n\n'.join(ps) + '\n')
    print(k, len(ps), sum(len(p.split()) for p in ps))

# --- hand edits: markdown-link residue (syndication outlet), real links, numeric citation markers ---
EDITS = {
    'clinicwire-02': [('warn doctors in the journal Injury Prevention.', 'warn doctors in the journal [Injury Prevention](#).'),
                      ('popularity of indoor trampoline parks calls', 'popularity of indoor [trampoline parks](#) calls'),
                      ('an important emerging public health issue', 'an important emerging [public health](#) issue')],
    'clinicwire-04': [('published in Science Advances', 'published in [Science Advances](#)'),
                      ('develop new specific painkillers', 'develop new specific [painkillers](#)'),
                      ('for specific chronic pain conditions', 'for specific [chronic pain](#) conditions')],
    'clinicwire-05': [('abdominal aortic aneurysm (AAA)', '[abdominal aortic aneurysm](#) (AAA)'),
                      ('in the journal Circulation Research, was', 'in the journal [Circulation Research](https://www.ahajournals.org/journal/res), was'),
                      ('free aneurysm screening appointment', 'free [aneurysm screening](#) appointment')],
    'medbeat-01': [('For the paper, published in the BMJ on Tuesday', 'For the paper, [published in the BMJ](https://www.bmj.com/content/357/bmj.j1909) on Tuesday'),
                   ('at the British Heart Foundation, said', 'at the [British Heart Foundation](https://www.bhf.org.uk/), said')],
    'medbeat-03': [('published in the journal Sexually Transmitted Infections', 'published in the journal [Sexually Transmitted Infections](https://sti.bmj.com/)')],
    'medbeat-04': [('according to the results in JAMA Pediatrics', 'according to the results in [JAMA Pediatrics](https://jamanetwork.com/journals/jamapediatrics)')],
    'medbeat-05': [('published in the journal Heart,', 'published in the journal [Heart](https://heart.bmj.com/),')],
    'clearanswers-02': [('published in The BMJ today.', 'published in The BMJ today{^1}.'),
                        ('a cut-off point of 5.6-6.9 mmol/L.', 'a cut-off point of 5.6-6.9 mmol/L{^2,3}.'),
                        ('the lower cut-off point according to ADA criteria.', 'the lower cut-off point according to ADA criteria{^1}.')],
    'clearanswers-03': [('with this type of knee damage.', 'with this type of knee damage{^1}.'),
                        ('offers little benefit for most patients.', 'offers little benefit for most patients{^2}.')],
    'clearanswers-04': [('curbs the growth of microbes.', 'curbs the growth of microbes{^1}.'),
                        ('antibacterial and anti-inflammatory properties.', 'antibacterial and anti-inflammatory properties{^2,3}.')],
    'clearanswers-05': [('lowering it would save any additional money.', 'lowering it would save any additional money{^1}.'),
                        ('according to Cancer Research UK figures.', 'according to Cancer Research UK figures{^2}.')],
}
for k, edits in EDITS.items():
    f = OUT / f'{k}.txt'
    t = f.read_text()
    for old, new in edits:
        assert t.count(old) == 1, (k, old)
        t = t.replace(old, new)
    f.write_text(t)
