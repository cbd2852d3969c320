"""Words the extraction stage reads, in English, German, French, Spanish, Italian, Portuguese,
Dutch and Polish.

Structure decides first (position after the article's last paragraph, link density, a change
of block type, boxes and forms); these lists only name the kinds of lines that sit inside the
article container after the body and look like prose or labels: citation and reference blocks,
"where this came from" lines, copyright notices, feedback prompts, lists of cited research,
disclaimers, comment widgets, captions and credits, author bios. Every entry is a phrase of the
language, never one site's wording. All patterns run on one line of text, case-insensitively.
"""

from __future__ import annotations

import re
from functools import lru_cache


def _any(*phrases: str) -> str:
    return "(?:" + "|".join(phrases) + ")"


# -- headings that open an appendix: the whole (short) line is one of these ----------------------
_APPENDIX_HEADINGS = _any(
    # references, sources, cited research
    r"references?|reference list|sources?|bibliography|works cited|(?:studies|research|papers)"
    r" cited|cited (?:studies|research|papers|sources)|citations?|footnotes|notes and references"
    r"|further reading|more information|learn more|read more",
    r"quellen(?:angaben)?|quelle|literatur(?:verzeichnis|angaben|hinweise)?|referenzen"
    r"|einzelnachweise|zitierte (?:studien|literatur)|weiterführende (?:literatur|links)"
    r"|weitere informationen|mehr (?:zum thema|dazu|erfahren)",
    r"r[ée]f[ée]rences(?: bibliographiques)?|sources?|bibliographie|[ée]tudes cit[ée]es"
    r"|pour (?:aller|en savoir) plus|en savoir plus|plus d'informations",
    r"referencias(?: bibliogr[áa]ficas)?|fuentes?|bibliograf[íi]a|estudios citados"
    r"|lecturas? recomendadas?|m[áa]s informaci[óo]n|para saber m[áa]s",
    r"riferimenti(?: bibliografici)?|fonti|fonte|bibliografia|studi citati|per (?:saperne di pi[ùu]"
    r"|approfondire)|maggiori informazioni",
    r"refer[êe]ncias(?: bibliogr[áa]ficas)?|fontes?|bibliografia|estudos citados|saiba mais"
    r"|leia mais|mais informa[çc][õo]es",
    r"referenties|bronnen|bron|literatuur(?:lijst)?|geciteerde (?:studies|onderzoeken)"
    r"|meer (?:informatie|lezen|weten)",
    r"bibliografia|[źz]r[óo]d[łl]a|[źz]r[óo]d[łl]o|pi[śs]miennictwo|przypisy|literatura"
    r"|cytowane (?:badania|prace)|wi[ęe]cej informacji|dowiedz si[ęe] wi[ęe]cej",
    # other stories
    r"related(?: (?:articles?|stories|posts|content|news|research|reading|coverage))?"
    r"|around the web|you (?:may|might) also (?:like|be interested in)|recommended(?: for you)?"
    r"|more (?:from|on|news|stories|like this|to read)(?: [\w' ]{1,30})?|most (?:read|popular)"
    r"|latest (?:news|stories)|also read|see also|trending(?: now)?|what to read next|up next",
    r"mehr zum thema|weitere (?:artikel|beitr[äa]ge|nachrichten)|das k[öo]nnte sie (?:auch )?"
    r"interessieren|lesen sie auch|auch interessant|verwandte (?:artikel|themen)"
    r"|[äa]hnliche (?:artikel|beitr[äa]ge)|meistgelesen|empfehlungen",
    r"[àa] lire aussi|lire aussi|sur le m[êe]me (?:sujet|th[èe]me)|articles? (?:similaires|li[ée]s)"
    r"|vous aimerez aussi|vous pourriez aimer|les plus lus|dans la m[êe]me rubrique",
    r"lee tambi[ée]n|te puede interesar|tambi[ée]n te puede interesar|art[íi]culos relacionados"
    r"|noticias relacionadas|lo m[áa]s le[íi]do|m[áa]s noticias",
    r"leggi anche|potrebbe interessarti|ti potrebbe interessare|articoli correlati"
    r"|notizie correlate|i pi[ùu] letti|altre notizie",
    r"leia tamb[ée]m|voc[êe] tamb[ée]m pode gostar|artigos relacionados|not[íi]cias relacionadas"
    r"|mais lidas|veja tamb[ée]m",
    r"lees ook|ook interessant|gerelateerde artikelen|meer over dit onderwerp|meest gelezen",
    r"czytaj (?:tak[żz]e|te[żz])|zobacz (?:tak[żz]e|te[żz])|powi[ąa]zane artyku[łl]y"
    r"|podobne artyku[łl]y|najcz[ęe][śs]ciej czytane|polecane",
    # comments, the author, sharing, tags
    r"comments?|(?:\d+ )?responses?|leave a (?:comment|reply)|join the (?:discussion|conversation)"
    r"|about the authors?|share(?: this(?: article| story| post)?)?|tags|topics|keywords",
    r"kommentare?|kommentar (?:schreiben|hinterlassen)|[üu]ber (?:den autor|die autorin)"
    r"|(?:artikel )?teilen|schlagw[öo]rter|themen",
    r"commentaires?|laisser un commentaire|[àa] propos de l'auteure?|partager(?: cet article)?"
    r"|mots[- ]cl[ée]s",
    r"comentarios?|deja un comentario|sobre (?:el|la) autora?|acerca del autor"
    r"|compartir(?: este art[íi]culo)?|etiquetas",
    r"commenti|lascia un commento|sull'autore|l'autore|condividi(?: questo articolo)?|tag",
    r"coment[áa]rios|deixe (?:um coment[áa]rio|uma resposta)|sobre o autor|compartilh(?:e|ar)"
    r"|partilhar",
    r"reacties?|laat een reactie achter|over de auteur|delen|trefwoorden",
    r"komentarze|dodaj komentarz|zostaw komentarz|o autorze|o autorce|udost[ęe]pnij|tagi",
)
APPENDIX_HEADING = re.compile(r"^\W*" + _APPENDIX_HEADINGS + r"\W*$", re.IGNORECASE)

# -- lines that are boilerplate of a seed kind wherever they sit after the body -----------------
_CITATION = _any(
    r"citation\s*:|cite this|how to cite|to cite this|recommended citation|suggested citation",
    r"zitiervorschlag|zitierweise|zitiervorlage|zitieren sie",
    r"citer cet article|pour citer|citation recommand[ée]e",
    r"c[óo]mo citar|citar este art[íi]culo|cita recomendada",
    r"cita(?:re)? questo articolo|come citare|citazione",
    r"como citar|cite este artigo|cita[çc][ãa]o",
    r"citeer dit artikel|hoe te citeren|citeerwijze",
    r"jak cytowa[ćc]|cytowanie|cytuj",
)
_REFERENCE_LABEL = _any(
    r"more information|further information|journal reference|reference|original (?:publication"
    r"|paper|study|article)|publication|the (?:study|paper)|study|paper|doi|source article",
    r"weitere informationen|originalpublikation|originalver[öo]ffentlichung|originalartikel"
    r"|fachartikel|publikation|studie|literatur",
    r"plus d'informations|publication originale|article original|r[ée]f[ée]rence|[ée]tude",
    r"m[áa]s informaci[óo]n|publicaci[óo]n original|art[íi]culo original|referencia|estudio",
    r"maggiori informazioni|pubblicazione originale|articolo originale|riferimento|studio",
    r"mais informa[çc][õo]es|publica[çc][ãa]o original|artigo original|refer[êe]ncia|estudo",
    r"meer informatie|oorspronkelijke publicatie|originele publicatie|referentie|studie",
    r"wi[ęe]cej informacji|publikacja oryginalna|oryginalna publikacja|artyku[łl] [źz]r[óo]d[łl]owy"
    r"|badanie|publikacja",
)
_SOURCE = _any(
    r"source\s*:|sources\s*:|provided by|materials? provided by|story source|courtesy of"
    r"|adapted from|(?:re)?published (?:with permission |originally )?(?:by|on|in|from|at)"
    r"|originally (?:published|appeared)|this (?:article|story|post|content) (?:was|is|has been|first)"
    r" (?:originally |first )?(?:published|republished|reprinted|adapted|produced|provided|written)"
    r"|press release|news release|republished (?:from|under)|reprinted (?:from|with)",
    r"quelle\s*:|zur verf[üu]gung gestellt von|bereitgestellt von|mit freundlicher genehmigung"
    r"|urspr[üu]nglich (?:erschienen|ver[öo]ffentlicht)|(?:dieser|der) (?:artikel|beitrag|text)"
    r" (?:ist|erschien|wurde) (?:zuerst|urspr[üu]nglich|erstmals)|pressemitteilung|nach angaben von",
    r"source\s*:|fourni par|avec l'aimable autorisation|publi[ée] (?:initialement|à l'origine|"
    r"d'abord)|cet article (?:a [ée]t[ée]|est) (?:publi[ée]|initialement|adapt[ée]|repris)"
    r"|communiqu[ée] de presse|d'apr[èe]s un communiqu[ée]",
    r"fuente\s*:|proporcionado por|cortes[íi]a de|publicado (?:originalmente|inicialmente)"
    r"|este art[íi]culo (?:fue|ha sido|se public[óo]) (?:publicado|originalmente|adaptado)"
    r"|comunicado de prensa|nota de prensa",
    r"fonte\s*:|fornito da|per gentile concessione|pubblicato (?:originariamente|originalmente"
    r"|per la prima volta)|questo articolo [èe] stato (?:pubblicato|adattato|originariamente)"
    r"|comunicato stampa",
    r"fonte\s*:|fornecido por|cortesia de|publicado (?:originalmente|inicialmente)"
    r"|este artigo (?:foi|[ée]) (?:publicado|originalmente|adaptado|republicado)"
    r"|comunicado de imprensa|nota de imprensa|press release",
    r"bron\s*:|aangeleverd door|verstrekt door|met toestemming van|oorspronkelijk (?:gepubliceerd"
    r"|verschenen)|dit (?:artikel|stuk|bericht) (?:verscheen|is) (?:eerder|eerst|oorspronkelijk)"
    r"|persbericht",
    r"[źz]r[óo]d[łl]o\s*:|dostarczone przez|udost[ęe]pnione przez|dzi[ęe]ki uprzejmo[śs]ci"
    r"|pierwotnie opublikowan|artyku[łl] (?:ukaza[łl] si[ęe]|zosta[łl] opublikowany)"
    r"|informacja prasowa|komunikat prasowy",
)
_COPYRIGHT = _any(
    r"©|\(c\)\s*(?:19|20)\d\d|copyright|all rights reserved|subject to copyright"
    r"|(?:no part|none) of th\w+ (?:\w+ )?may be reproduced|may not be (?:reproduced|republished)"
    r"|reproduction (?:in whole or in part )?(?:is )?(?:prohibited|forbidden)",
    r"alle rechte vorbehalten|urheberrecht|urheberrechtlich gesch[üu]tzt|nachdruck (?:nur|verboten)",
    r"tous droits r[ée]serv[ée]s|droits d'auteur|reproduction (?:interdite|r[ée]serv[ée]e)",
    r"todos los derechos reservados|derechos de autor|prohibida (?:su|la) reproducci[óo]n",
    r"tutti i diritti riservati|diritto d'autore|riproduzione riservata|vietata la riproduzione",
    r"todos os direitos reservados|direitos autorais|direitos de autor|reprodu[çc][ãa]o proibida",
    r"alle rechten voorbehouden|auteursrecht|niets uit deze",
    r"wszelkie prawa zastrze[żz]one|prawa autorskie|kopiowanie zabronione",
)
_FEEDBACK = _any(
    r"(?:was|is) this (?:article|page|post|story|information|answer|content) (?:helpful|useful)"
    r"|did (?:you find )?this (?:article |page |post |information |answer )?(?:help|useful)"
    r"|did you find (?:this|it) (?:helpful|useful)|how (?:helpful|useful) (?:was|is|did)"
    r"|rate this (?:article|page|post|story)|(?:give|send|share) (?:us )?(?:your )?feedback"
    r"|tell us what you think|your feedback|we (?:value|welcome|appreciate) your (?:feedback|opinion)",
    r"war (?:dieser|der) (?:artikel|beitrag|text|inhalt) (?:hilfreich|n[üu]tzlich)"
    r"|(?:hat|haben) (?:ihnen|dir) (?:dieser|der) (?:artikel|beitrag|text) (?:geholfen|gefallen)"
    r"|wie (?:hilfreich|n[üu]tzlich) (?:war|ist|fanden)|bewerten sie (?:diesen|den) (?:artikel"
    r"|beitrag)|ihre meinung (?:ist|z[äa]hlt|interessiert)|feedback geben",
    r"(?:cet|l') article vous a(?:-t-il)? (?:[ée]t[ée] )?(?:utile|aid[ée])|avez-vous trouv[ée] cet"
    r" article (?:utile|int[ée]ressant)|cette (?:page|information|r[ée]ponse) (?:vous )?a(?:-t-elle)?"
    r" (?:[ée]t[ée] )?utile|notez cet article|donnez(?:-nous)? votre avis|votre avis (?:compte|nous)",
    r"(?:te|le|les) (?:ha |han )?(?:resultado|result[óo]|sido|parecido) [úu]til|(?:fue|es|ha sido)"
    r" [úu]til (?:este|esta|el|la) (?:art[íi]culo|informaci[óo]n|p[áa]gina|respuesta)"
    r"|valora (?:este|el) art[íi]culo|danos tu opini[óo]n|tu opini[óo]n (?:nos )?(?:importa|cuenta)",
    r"(?:questo|l') articolo (?:ti|vi|le) [èe] stato utile|(?:ti|vi|le) [èe] stat[oa] utile"
    r"|[èe] stato utile|valuta (?:questo|l') articolo|la tua opinione (?:conta|[èe] importante)",
    r"(?:este|esse) (?:artigo|conte[úu]do|texto) (?:foi|lhe foi|te foi) [úu]til|(?:esta|essa)"
    r" (?:informa[çc][ãa]o|resposta|p[áa]gina) (?:foi|lhe foi) [úu]til|avalie (?:este|o) artigo"
    r"|d[êe] (?:a )?sua opini[ãa]o|sua opini[ãa]o [ée] importante",
    r"(?:was|is) (?:dit|deze) (?:artikel|pagina|informatie|antwoord|bericht) (?:nuttig|behulpzaam)"
    r"|heeft (?:dit|deze) (?:artikel|pagina|informatie) (?:je|u) geholpen|beoordeel (?:dit|het)"
    r" artikel|(?:uw|jouw) mening (?:telt|is belangrijk)|geef (?:je|uw) (?:mening|feedback)",
    r"czy (?:ten|to) (?:artyku[łl]|tekst|informacja|odpowied[źz]) (?:by[łl][ao]? )?(?:pomocn"
    r"|przydatn)|czy artyku[łl] (?:by[łl] )?(?:pomocny|przydatny)|oce[ńn] (?:ten )?artyku[łl]"
    r"|twoja opinia (?:jest wa[żz]na|si[ęe] liczy)|podziel si[ęe] opini[ąa]",
)
_DISCLAIMER = _any(
    r"(?:not|no|never) (?:be )?(?:a )?substitute for (?:professional |individual |personal )?"
    r"(?:medical )?(?:advice|care|diagnosis|consultation)|(?:do|does|will) not (?:provide|give|offer)"
    r" (?:individuali[sz]ed|individual|personal(?:i[sz]ed)?|specific)? ?(?:medical )?advice"
    r"|for (?:general )?information(?:al)? purposes only|not intended (?:as|to be|to provide)"
    r" (?:a substitute|medical advice|advice)|does not constitute (?:medical )?advice"
    r"|(?:question|answer) (?:is|was) (?:drawn|taken|compiled) from",
    r"ersetz(?:t|en) (?:keine|nicht (?:die|den|eine)) (?:pers[öo]nliche |individuelle )?"
    r"(?:[äa]rztliche|medizinische|fach[äa]rztliche)? ?(?:beratung|behandlung|diagnose|arzt)"
    r"|keine (?:individuelle|pers[öo]nliche) (?:medizinische )?beratung|dien(?:t|en) (?:nur|"
    r"ausschlie[ßs]lich|lediglich) (?:der|zur) (?:allgemeinen )?information",
    r"ne (?:remplace|saurait remplacer|se substitue) (?:pas|en aucun cas) (?:à )?(?:l'avis|une"
    r" consultation|un avis|un diagnostic|le conseil)|[àa] titre (?:informatif|d'information)"
    r"|ne constitue pas un (?:avis|conseil) m[ée]dical|aucun conseil (?:m[ée]dical )?personnalis",
    r"no (?:sustituye|reemplaza) (?:el|la|a un|al) (?:consejo|consulta|diagn[óo]stico|m[ée]dico"
    r"|asesoramiento)|(?:con|tiene) fines (?:meramente )?informativos|no constituye"
    r" (?:un )?(?:consejo|asesoramiento) m[ée]dico|no (?:ofrecemos|proporcionamos) (?:consejo|"
    r"asesoramiento) (?:m[ée]dico )?(?:individual|personalizado)",
    r"non (?:sostituisce|sostituiscono|intende sostituire) (?:il|la|un) (?:parere|consulenza"
    r"|consulto|diagnosi|medico)|(?:a|ha) (?:scopo|carattere) (?:puramente |esclusivamente )?"
    r"informativo|non costituisce (?:un )?(?:parere|consiglio) medico",
    r"n[ãa]o (?:substitui|substituem) (?:o|a|um|uma) (?:aconselhamento|consulta|parecer|"
    r"diagn[óo]stico|m[ée]dico)|(?:para|com|tem) fins (?:meramente )?informativos|n[ãa]o constitui"
    r" (?:aconselhamento|conselho|parecer) m[ée]dico",
    r"vervangt (?:geen|niet het) (?:medisch |persoonlijk )?(?:advies|arts|consult|diagnose)"
    r"|(?:uitsluitend|alleen|enkel) ter (?:algemene )?informatie|geen (?:individueel|persoonlijk)"
    r" (?:medisch )?advies",
    r"nie zast[ęe]puje (?:porady|konsultacji|wizyty|diagnozy) (?:lekarskiej|lekarza|medycznej|"
    r"specjalisty)|(?:ma )?charakter (?:wy[łl][ąa]cznie |jedynie )?informacyjny|w celach"
    r" (?:wy[łl][ąa]cznie )?informacyjnych|nie stanowi porady (?:lekarskiej|medycznej)",
)
_COMMENTS = _any(
    r"leave a (?:comment|reply)|post a comment|add a comment|comments are closed|this site uses"
    r" akismet|your email address will not be published|log in to (?:comment|reply)"
    r"|be the first to comment|join the (?:discussion|conversation)|\d+ comments?",
    r"kommentar (?:schreiben|hinterlassen|verfassen)|ihre e-mail-adresse wird nicht"
    r" ver[öo]ffentlicht|diese website verwendet akismet|\d+ kommentare?",
    r"laisser un commentaire|ajouter un commentaire|votre adresse (?:e-mail|email|de messagerie)"
    r" ne sera pas publi[ée]e|ce site utilise akismet|\d+ commentaires?",
    r"deja (?:un|tu) comentario|dejar un comentario|tu (?:direcci[óo]n de )?correo electr[óo]nico"
    r" no (?:ser[áa]|se) publica|este sitio usa akismet|\d+ comentarios?",
    r"lascia un commento|il tuo indirizzo email non sar[àa] pubblicato|questo sito usa akismet"
    r"|\d+ commenti",
    r"deixe (?:um coment[áa]rio|uma resposta)|o seu endere[çc]o de (?:e-?mail|email) n[ãa]o ser[áa]"
    r" publicado|este site utiliza o akismet|\d+ coment[áa]rios?",
    r"laat een reactie achter|geef een reactie|je e-?mailadres wordt niet gepubliceerd|deze site"
    r" gebruikt akismet|\d+ reacties?",
    r"dodaj komentarz|zostaw komentarz|tw[óo]j adres e-?mail nie zostanie opublikowany|ta witryna"
    r" u[żz]ywa akismet|\d+ komentarzy",
)
_PAYWALL = _any(
    r"subscribers? only|(?:for|to) (?:paying )?subscribers|subscribe (?:now |today )?to (?:continue|"
    r"read|keep)|continue reading|(?:log|sign) in to (?:continue|read)|already a subscriber"
    r"|this (?:article|content|story) is (?:only )?(?:available|reserved|exclusive)",
    r"nur f[üu]r abonnent|f[üu]r abonnenten|jetzt abonnieren|weiterlesen mit|bereits abonnent"
    r"|abo abschlie[ßs]en|plus-artikel",
    r"r[ée]serv[ée] aux abonn[ée]s|abonnez-vous|d[ée]j[àa] abonn[ée]|pour lire la suite",
    r"(?:solo|s[óo]lo|exclusivo) para suscriptores|suscr[íi]bete|ya eres suscriptor"
    r"|para seguir leyendo",
    r"riservato agli abbonati|abbonati (?:ora|subito)|sei gi[àa] abbonato|per continuare a leggere",
    r"exclusivo para assinantes|assine (?:j[áa]|agora)|j[áa] [ée] assinante|para continuar lendo",
    r"alleen voor abonnees|word (?:nu )?abonnee|al abonnee|lees verder met",
    r"(?:tylko|wy[łl][ąa]cznie) dla (?:prenumerator[óo]w|subskrybent[óo]w)|wykup (?:dost[ęe]p"
    r"|prenumerat)|masz ju[żz] (?:konto|prenumerat)",
)
PAYWALL = re.compile(_PAYWALL, re.IGNORECASE)
_PAYWALL_WORDS = frozenset(
    """subscriber subscribers subscribe subscription continue abonnent abonnenten abonnieren
    weiterlesen abonnés abonné abonnez suscriptores suscríbete suscriptor abbonati abbonato
    assinantes assine assinante abonnees abonnee prenumeratorów subskrybentów wykup
    prenumeratę plus reading leyendo lendo leggere suite""".split()
)


def paywall_prompt(text: str) -> bool:
    """A line asking the reader to subscribe or log in to read on."""
    if len(text) > 300 or _PAYWALL_WORDS.isdisjoint(words_of(text)):
        return False
    return bool(PAYWALL.search(text))


_LEAD = re.compile(r"^\W{0,3}(?:" + _CITATION + r"|" + _SOURCE + r")", re.IGNORECASE)
# The other kinds may sit anywhere in a line; each runs only when one of its words is there
# (a regex with hundreds of alternatives tried at every position costs a few hundred µs a line).
_ANYWHERE = (
    (
        frozenset(
            """copyright rights rechte droits derechos diritti direitos rechten prawa urheberrecht
            urheberrechtlich auteursrecht reproduced republished reproduction reproducción
            riproduzione reprodução reprodu nachdruck niets kopiowanie""".split()
        ),
        re.compile(_COPYRIGHT),
    ),
    (
        frozenset(
            """helpful useful feedback rate hilfreich nützlich geholfen gefallen bewerten meinung
            utile aidé avis notez útil valora opinión opinione valuta opinião avalie nuttig
            behulpzaam geholpen beoordeel mening pomocny pomocna pomocne przydatny przydatna
            przydatne oceń opinia opinią think""".split()
        ),
        re.compile(_FEEDBACK),
    ),
    (
        frozenset(
            """substitute advice informational information purposes intended constitute drawn
            ersetzt ersetzen beratung information dient dienen remplace remplacer substitue
            informatif information constitue conseil sustituye reemplaza informativos constituye
            sostituisce sostituiscono informativo costituisce substitui substituem informativos
            constitui vervangt informatie advies zastępuje informacyjny informacyjnych stanowi""".split()
        ),
        re.compile(_DISCLAIMER),
    ),
    (
        frozenset(
            """comment comments reply akismet published kommentar kommentare veröffentlicht
            commentaire commentaires publiée comentario comentarios publicada publica commento
            commenti pubblicato comentário comentários publicado reactie reacties gepubliceerd
            komentarz komentarzy opublikowany conversation discussion""".split()
        ),
        re.compile(_COMMENTS),
    ),
)
_WORDS = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=2048)
def words_of(text: str) -> frozenset[str]:
    """The lower-case words of a line (cached: several kinds read the same line)."""
    return frozenset(_WORDS.findall(text.lower()))


def appendix_line(text: str) -> re.Match | None:
    """The words that make ``text`` boilerplate of a seed kind, if any (a match on its lower-case
    form, whose start tells where they are)."""
    lead = _LEAD.match(text)
    if lead:
        return lead
    low = text.lower()
    words = words_of(text)
    for triggers, pattern in _ANYWHERE:
        if not triggers.isdisjoint(words) or ("©" in low and triggers is _ANYWHERE[0][0]):
            found = pattern.search(low)
            if found:
                return found
    return None


#: "Label: value" lines whose label names a reference or a study
REFERENCE_LABEL = re.compile(r"^\W{0,3}" + _REFERENCE_LABEL + r"\s*:", re.IGNORECASE)
COPYRIGHT = re.compile(_COPYRIGHT, re.IGNORECASE)

# -- captions and credits: short lines only -----------------------------------------------------
_CREDIT_LABEL = re.compile(
    r"^\W{0,3}(?:(?:photo|image|picture|illustration|video|graphic)(?: credit)?s?|credits?"
    r"|foto(?:s|grafie)?|bild(?:quelle)?|abbildung|grafik|cr[ée]dits?(?: photo)?|photo"
    r"|cr[ée]dito(?: de (?:la )?(?:imagen|foto|imagem))?|imagen|immagine|imagem|beeld|afbeelding"
    r"|fot\.|zdj[ęe]cie|ilustracja)\s*:"
    r"|^\W{0,3}(?:©\s*)?(?:getty(?: images)?|shutterstock|istock(?:photo)?|ap photo|reuters|dpa|afp"
    r"|keystone|picture alliance|adobe stock)\b",
    re.IGNORECASE,
)
_AGENCY_END = re.compile(r"(?:getty images|shutterstock|istock|ap photo|afp|reuters|dpa)\W{0,3}$")


_CREDIT_END = re.compile(
    r"\((?:photo|image|picture|illustration|credit|foto|bild|imagen|immagine|imagem|beeld"
    r"|cr[ée]dit|zdj[ęe]cie)s?\s*:[^()]{1,80}\)\W{0,2}$",
    re.IGNORECASE,
)


def credit_line(text: str) -> bool:
    """A caption's credit: "Photo: ...", "Credit: ...", "... / Getty Images", a caption ending
    in "(Image: ...)"."""
    return bool(
        _CREDIT_LABEL.match(text)
        or _AGENCY_END.search(text[-40:].lower())
        or _CREDIT_END.search(text[-100:])
    )


# -- author bios: a name, then a journalist's role -------------------------------------------
_ROLES = frozenset(
    """writer reporter editor journalist correspondent contributor columnist producer experience
    redakteur redakteurin journalistin korrespondent korrespondentin autor autorin journaliste
    rédacteur rédactrice correspondant correspondante chroniqueur chroniqueuse periodista redactor
    redactora editora corresponsal columnista giornalista redattore redattrice corrispondente
    jornalista redator redatora correspondente colunista redacteur verslaggever dziennikarka
    dziennikarką dziennikarzem redaktorka redaktorką redaktorem korespondent""".split()
)


def author_bio(text: str) -> bool:
    """A sentence introducing the author: a name, then a journalist's role."""
    if _ROLES.isdisjoint(words_of(text)):
        return False
    return bool(_AUTHOR_BIO.search(text))


_AUTHOR_BIO = re.compile(
    r"^[\w.'’ -]{2,60}? (?:is|was) (?:a|an|the) (?:[\w-]+ ){0,3}(?:writer|reporter|editor|journalist"
    r"|correspondent|contributor|columnist|producer)\b|has (?:more than|over) \d+ years of"
    r" experience (?:as|in)"
    r"|^[\w.'’ -]{2,60}? ist (?:\w+ ){0,3}(?:redakteur|journalist|korrespondent|autor|reporter)(?:in)?\b"
    r"|^[\w.'’ -]{2,60}? est (?:\w+ ){0,3}(?:journaliste|r[ée]dact(?:eur|rice)|correspondante?"
    r"|chroniqueu(?:r|se))\b"
    r"|^[\w.'’ -]{2,60}? es (?:\w+ ){0,3}(?:periodista|redact(?:or|ora)|editora?|corresponsal"
    r"|columnista)\b"
    r"|^[\w.'’ -]{2,60}? [èe] (?:\w+ ){0,3}(?:giornalista|redatt(?:ore|rice)|corrispondente)\b"
    r"|^[\w.'’ -]{2,60}? [ée] (?:\w+ ){0,3}(?:jornalista|redat(?:or|ora)|editora?|correspondente"
    r"|colunista)\b"
    r"|^[\w.'’ -]{2,60}? is (?:\w+ ){0,3}(?:journalist|redacteur|redactrice|verslaggever"
    r"|correspondent)\b"
    r"|^[\w.'’ -]{2,60}? jest (?:\w+ ){0,3}(?:dziennikark[aą]|dziennikarzem|redaktork[aą]"
    r"|redaktorem|korespondent)",
    re.IGNORECASE,
)

# -- a list entry that cites research: authors, year, journal, volume, pages, DOI ----------------
# (an entry shows two different parts, one of them a part only citations have: a web address
# and a capitalised word before an initial are also in shopping lists and captions)
_CITATION_PARTS = re.compile(
    r"\bet al\b|\(\d{4}[a-z]?\)|\b(?:19|20)\d\d\s*[;,]\s*\d+|\b\d+\s*\(\d+\)\s*:\s*\d+|\bdoi\b"
    r"|\b10\.\d{4,9}/|\bpmid\b|(?:https?://|\bwww\.)|\b[A-Z][a-z]+ [A-Z]{1,2}[,.]|\bvol\.|\bpp?\.\s*\d"
    r"|\b[A-Z][\w'-]+, [A-Z]\.(?: ?[A-Z]\.)*"
    r"|\b(?:journal|j\.|lancet|nature|science|jama|nejm|bmj|n engl j med|plos|cell|oncol"
    r"|cancer)\b"
)
_WEAK_PART = re.compile(r"^(?:https?://|www\.|[A-Z][a-z]+ [A-Z]{1,2}[,.]|[A-Z][\w'-]+, [A-Z]\.)")


def citation_entry(text: str) -> bool:
    """An entry of a list of cited research: two different citation parts, one of them more
    than a web address or a name with an initial."""
    if not _DIGIT.search(text, 0, 400) and "et al" not in text:
        return False
    parts = set(_CITATION_PARTS.findall(text))
    return len(parts) >= 2 and any(not _WEAK_PART.match(p) for p in parts)


#: a caption's words: a line that names a picture is a caption or its credit
PICTURE = re.compile(
    r"\b(?:photos?|images?|pictures?|illustrations?|fotos?|fotografie|bild(?:er)?|imagen|immagine"
    r"|imagem|beeld|afbeelding|zdj[ęe]ci[ea])\b",
    re.IGNORECASE,
)


# -- kinds told by two words together (stems, any of the eight languages) ------------------------
# A disclaimer says that something does not replace a doctor; a source line says the text is
# based on, or provided as, someone's information or release. Either word alone is common in
# articles; both in one short line after the body are not.
_PAIRS = (
    (
        ("replac", "substitut", "ersetz", "remplac", "sustitu", "sostitu", "substitu", "vervang",
         "zastęp", "zastep"),
        ("doctor", "physician", "clinician", "arzt", "ärzt", "médecin", "medecin", "médic",
         "medic", "arts", "lekarz", "professional"),
    ),
    (
        ("based", "basiert", "beruht", "basé", "basado", "basato", "baseado", "gebaseerd",
         "podstawie", "facilitad", "tratt", "divulgad", "aangeleverd", "przygotowan", "adapted",
         "angepasst", "adapté", "adaptado", "adattato"),
        ("material", "informa", "mitteilung", "communiqu", "comunicad", "comunicat",
         "persbericht", "komunikat", "release", "press"),
    ),
)  # fmt: skip
_BIO_VERB = re.compile(  # a first and a last name (particles allowed), then the verb
    r"^[A-ZÀ-ÖØ-Þ][\w'’-]+ (?:(?:de|van|von|der|den|da|di|del|dos|du|le|la) )*[A-ZÀ-ÖØ-Þ][\w'’-]+"
    r"(?: [A-ZÀ-ÖØ-Þ][\w'’-]+)? (?:writes|covers|reports|blogs|schreibt|berichtet"
    r"|écrit|couvre|escribe|cubre|scrive|si occupa|escreve|cobre|schrijft|pisze|relacjonuje)\b"
)


def paired_words(text: str) -> bool:
    """A short line that is a disclaimer, a source line or a bio by two of its words."""
    if len(text) > 300:
        return False
    if _BIO_VERB.match(text):
        return True
    low = text.lower()
    return any(first.search(low) and second.search(low) for first, second in _PAIR_PATTERNS)


_PAIR_PATTERNS = [
    tuple(re.compile(r"(?<!\w)(?:" + "|".join(stems) + ")") for stems in pair) for pair in _PAIRS
]


# -- provenance: where the text came from (only read in the lines after the article's last
# paragraph, where a story's own sentences rarely say it was adapted or reprinted) ------------
_PROVENANCE = re.compile(
    r"\bpermission\b|\bcourtesy of\b|\badapted (?:from|with|by)\b|\breprint(?:ed)?\b"
    r"|\brepublish|\bsyndicat|\bpress release|\bnews release|\bprovided by\b|\bon behalf of\b|\bmaterials? (?:from|provided)"
    r"|genehmigung|freundliche[rn]? unterst[üu]tzung|[üu]bernommen (?:von|aus|mit)|pressemitteilung"
    r"|bereitgestellt|nachdruck|nach (?:informationen|angaben) (?:der|des|von)|basierend auf"
    r"|autorisation|aimable|adapt[ée]e? (?:de|d'apr[èe]s|avec)|repris (?:de|avec|d')|communiqu[ée]"
    r"|\bpermiso\b|cortes[íi]a|adaptad[oa] (?:de|con)|comunicado|reproducid[oa] (?:con|de)"
    r"|autorizzazione|concessione|adattat[oa] (?:da|con)|comunicato|ripres[oa] (?:da|con)"
    r"|autoriza[çc][ãa]o|cortesia|reproduzid[oa] (?:com|de)"
    r"|toestemming|overgenomen|persbericht|bewerkt (?:naar|van)"
    r"|zgod[ąa]|przedruk|komunikat|udost[ęe]pnion|na podstawie (?:informacji|materia[łl]|komunikatu)",
    re.IGNORECASE,
)


# a piece of every phrase above: substring tests are much cheaper than the regex, which runs
# only on the few lines that hold one
_PROVENANCE_PIECES = (
    "permi", "courtes", "adapt", "reprint", "republi", "syndicat", "release", "provided",
    "behalf", "material", "genehm", "freundlich", "bernommen", "mitteilung", "bereitgestellt",
    "nachdruck", "nach inform", "nach angab", "basierend", "autoris", "aimable", "repris",
    "communiq", "cortes", "comunica", "reproduc", "autorizza", "concessione", "ripres",
    "autoriza", "reproduz", "toestemming", "overgenomen", "persbericht", "bewerkt", "zgod",
    "przedruk", "komunikat", "udost", "na podstawie",
)  # fmt: skip


def provenance(text: str) -> bool:
    """A line saying the text was adapted, reprinted or provided by someone, or published with
    their permission (eight languages)."""
    if len(text) > 300:
        return False
    low = text.lower()
    return any(map(low.__contains__, _PROVENANCE_PIECES)) and bool(_PROVENANCE.search(low))


# -- a bio's shape: a person's name, then a copula or a verb of writing (any of the eight
# languages; whether the name is a stranger to the article is for the caller to say) ----------
_NAME = r"[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’.-]+"
BIO_SHAPE = re.compile(  # after an optional label ("About the writer: ..."); or a label and a name
    rf"^[^:,\d]{{1,30}}: ((?:Dr\.? |Prof\.? )?{_NAME} (?:(?:de|van|von|der|den|da|di|del|dos|du|le|la) )*{_NAME})$"
    rf"|^(?:[^:,\d]{{1,30}}: )?((?:Dr\.? |Prof\.? )?{_NAME} (?:(?:de|van|von|der|den|da|di|del|dos|du|le|la) )*{_NAME}"
    rf"(?: {_NAME})?)(,| (?:is|has|ist|hat|est|a|es|ha|è|é|tem|jest|ma|heeft|writes"
    r"|covers|reports|schreibt|berichtet|écrit|couvre|escribe|cubre|scrive|escreve|cobre|schrijft"
    r"|pisze|works|arbeitet|travaille|trabaja|lavora|trabalha|werkt|pracuje)\b)"
)


# -- the text speaking of itself or of its publisher ("this article", "our newsroom"): in the
# lines after the article's last paragraph, that is the publication talking, not the story ----
_SELF_REFERENCE = re.compile(
    r"\b(?:this|the present) (?:article|story|page|post|answer|text|piece|content|site|website"
    r"|newsletter|feature|series)\b|\bour (?!own\b)\w+"
    r"|\b(?:dieser|diese|dieses|unser(?:e[mnrs]?)?) (?:artikel|beitrag|text|seite|website"
    r"|redaktion|newsletter|angebot|arbeit|journalismus)\b"
    r"|\b(?:cet|cette|notre|nos) (?:article|texte|page|site|r[ée]daction|newsletter|journal"
    r"|travail|journalisme)\b"
    r"|\b(?:este|esta|nuestr[oa]s?) (?:art[íi]culo|texto|p[áa]gina|web|sitio|redacci[óo]n"
    r"|bolet[íi]n|trabajo|periodismo)\b"
    r"|\b(?:questo|questa|nostr[oaie]) (?:articolo|testo|pagina|sito|redazione|newsletter"
    r"|lavoro|giornalismo)\b"
    r"|\b(?:este|esta|nosso|nossa) (?:artigo|texto|p[áa]gina|site|reda[çc][ãa]o|trabalho"
    r"|jornalismo)\b"
    r"|\b(?:dit|deze|onze|ons) (?:artikel|stuk|tekst|pagina|site|website|redactie|nieuwsbrief"
    r"|werk|journalistiek)\b"
    r"|\b(?:ten|ta|to|nasz(?:a|e|y|ą|ej|ego)?) (?:artyku[łl]|tekst|strona|stron[eę]|serwis"
    r"|redakcj[aię]|prac[aęy]|dziennikarstw[oa])",
    re.IGNORECASE,
)
_QUOTED = re.compile('["“”«»„]')


_SELF_WORDS = frozenset(
    """this our dieser diese dieses unser unsere unserem unseren unserer unseres cet cette notre
    nos este esta nuestro nuestra nuestros nuestras questo questa nostro nostra nostri nostre
    nosso nossa dit deze onze ons ten ta to nasz nasza nasze naszej naszą naszego""".split()
)


def self_reference(text: str) -> bool:
    """A line in which the text speaks of itself or of its publisher, outside quotations."""
    if len(text) > 300 or _SELF_WORDS.isdisjoint(words_of(text)):
        return False
    return not _QUOTED.search(text) and bool(_SELF_REFERENCE.search(text))
