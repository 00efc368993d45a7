"""Genre cues of a text's own wording: tense and time of a meeting, practical details of an announcement, the
formulas of a job offer, a call for projects, a periodical, a catalogue record, an official text.

Each cue is a named pattern over the folded start of the body (lower case, no accents) and gives weighed evidence
to one or more document types (negative weights speak against a type: a meeting that took place is not an
announcement). The same cues are features of the learned model (``model.py``), which sets its own weights.

Cues seen on the real texts of the network (the shared corpus' dev split): reports of past meetings say "a réuni",
"s'est tenue", "se sont tenues", "retour sur", "ont participé"; announcements "aura lieu en ligne … de 14h à 17h",
"inscription"; replays "retrouvez le webinaire"; job offers "poste à pourvoir", "profil recherché"; calls "date limite
de dépôt", "(AMI)". Dates in the text weigh against the publication date when the crawler knows it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .matching import fold


@dataclass(frozen=True)
class Cue:
    name: str  # shown in explanations (French, as editors read it)
    pattern: re.Pattern
    weights: tuple[tuple[str, float], ...]  # (doctype, weight)
    # The pattern's leading \b, checked by ``count`` instead of the engine: a pattern that starts with a choice
    # of words lets the engine skip in C to the positions where one of their first letters stands, where the
    # \b would have it try every position (the cues were a fifth of the tagging time).
    word_start: bool = False

    def count(self, folded: str, cap: int) -> int:
        """Occurrences, up to ``cap``: what ``finditer`` of the written pattern finds."""
        if not self.word_start:
            return sum(1 for _ in zip(range(cap), self.pattern.finditer(folded), strict=False))
        n, pos, search = 0, 0, self.pattern.search
        while n < cap:
            m = search(folded, pos)
            if m is None:
                break
            start = m.start()
            if start and _is_word(folded[start - 1]) == _is_word(folded[start]):
                pos = start + 1  # no word boundary: the written pattern's \b refuses it, look further
                continue
            n, pos = n + 1, m.end()
        return n


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # \w of a str pattern


def _cue(name: str, pattern: str, **weights: float) -> Cue:
    if pattern.startswith(r"\b("):
        return Cue(name, re.compile(pattern[2:]), tuple(weights.items()), word_start=True)
    return Cue(name, re.compile(pattern), tuple(weights.items()))


# Patterns run on folded text: "s'est tenue" is "s'est tenue", "réuni" is "reuni". \b at both ends unless a
# pattern ends on punctuation.
CUES = (
    # A meeting that took place…
    _cue("rencontre passée (s'est tenue, a réuni…)",
         r"\b(s'est (tenue?s?|deroulee?s?|reunie?s?)|se sont (tenue?s|deroulee?s|reunie?s)|a eu lieu|ont eu lieu"
         r"|a (reuni|rassemble|accueilli)|ont (reuni|rassemble|participe|echange|assiste)|se deroulait"
         r"|s'etait tenue?|etaient presents|a ete l'occasion|ont ete presentee?s|a ete (proposee?|organisee?)"
         r"|ont ete au coeur|etaient mobilisee?s|a permis|ont permis|a propose|se sont associee?s"
         r"|ont pu|a fait le deplacement)\b",
         actes_compte_rendu=1.2, agenda_evenement=-0.8),
    _cue("retour sur une rencontre", r"\b(retour sur|retours sur|premiers retours|en images|ce qu'il faut retenir"
         r"|les enseignements|synthese des echanges|restitution)\b", actes_compte_rendu=1.2, agenda_evenement=-0.5),
    _cue("récit à l'imparfait (visait, c'était…)", r"\b(visait|visaient|c'etait|etait organisee?|etaient organisee?s"
         r"|experience d'un seminaire)\b", actes_compte_rendu=0.5),
    _cue("intervenants, table ronde", r"\b(intervenant(e)?s|table ronde|tables rondes|grand temoin"
         r"|propos introductif|en presence de)\b", actes_compte_rendu=0.6),
    # … or one announced.
    _cue("rencontre annoncée (aura lieu, se tiendra…)",
         r"\b(aura lieu|se tiendra|se deroulera|auront lieu|vous invite|vous convie|est organisee? le|save the date"
         r"|rendez-vous le|a vos agendas)\b", agenda_evenement=1.5, actes_compte_rendu=-0.6),
    _cue("inscription", r"\b(inscriptions?|s'inscrire|inscrivez-vous|places limitees|sur inscription)\b",
         agenda_evenement=0.8, formation=0.5, actes_compte_rendu=-0.3),
    _cue("détails pratiques (de 14h à 17h, lieu :…)", r"(\b\d{1,2} ?h ?\d{0,2} ?(a|-|–) ?\d{1,2} ?h\b|\blieu ?:"
         r"|\bdates et (les )?lieux\b|\bprogramme detaille\b)", agenda_evenement=0.8),
    # A recording.
    _cue("enregistrement (replay, retrouvez la vidéo…)",
         r"\b(replay|en replay|retrouvez (le|la|l'|les) ?(webinaire|video|podcast|emission|captation|episode|enregistrement)"
         r"|a (re)?voir|a (re)?ecouter|visionner|transcription|podcast|episode|realisateur|realisatrice|court-metrage"
         r"|documentaire|la video)\b", media_audiovisuel=1.5, agenda_evenement=-0.6),
    # A job offer.
    _cue("offre d'emploi (poste à pourvoir, profil recherché…)",
         r"\b(poste a pourvoir|profil recherche|profil souhaite|vos missions|missions principales|fiche de poste"
         r"|lettre de motivation|cv et lettre|remuneration|cadre d'emplois|type d'offre|nature de l'emploi"
         r"|temps complet|prise de poste|description du poste|le poste|recrute|recrutement|candidatures? (a|au plus)"
         r"|categorie [abc]\b)", offre_emploi=1.0),
    # A call for projects.
    _cue("appel à projets (date limite de dépôt…)",
         r"\b(date limite de depot|depot des (dossiers|candidatures|projets)|dossiers? de candidature|eligibles?"
         r"|criteres de selection|cahier des charges|lance un appel|appel a manifestation d'interet|\(ami\)"
         r"|appel a projets?|appel a candidatures?|porteurs de projets?|candidater|deposer (un|leur|votre) (projet|dossier))\b",
         appel_a_projets=1.0),
    # A periodical's issue, a newsletter.
    _cue("sommaire, édito", r"\b(sommaire|edito|editorial|directeur de (la )?publication|directrice de (la )?"
         r"(publication|redaction)|comite de redaction|issn|revue semestrielle|revue trimestrielle|semestriel)\b",
         revue_cahier=1.0, newsletter=0.6),
    _cue("lettre d'information", r"\b(lettre d'information|newsletter|infolettre|se desinscrire|abonnez-vous"
         r"|bimensuel|bimensuelle|mensuel d'information)\b", newsletter=1.2),
    # Press review.
    _cue("veille (lire la suite, source :)", r"\b(lire la suite|lire l'article|revue de presse|veille|localtis"
         r"|la gazette des communes|source ?:)", veille_revue_de_presse=1.0),
    # A catalogue record, a bibliography.
    _cue("notice documentaire (auteur, éditeur, ISBN…)",
         r"\b(bibliographie|isbn|notice|documents disponibles|titre ?:|editeur ?:|cote ?:|ouvrages|webographie"
         r"|type de document)\b", dossier_documentaire=1.2),
    # Official texts.
    _cue("texte officiel (NOR, Mesdames et Messieurs les préfets…)",
         r"\b(nor ?:|vu le code|article 1er|mesdames et messieurs les prefets|le premier ministre|journal officiel"
         r"|circulaire|decret|instruction (du|relative)|arrete (du|n)|relative? (a|aux) )", texte_officiel=0.8),
    # Training.
    _cue("formation (objectifs pédagogiques, formation-action…)",
         r"\b(formation-action|formations?|cycle de qualification|projet de qualification|objectifs pedagogiques"
         r"|stagiaires|modules?|formateurs?|formatrices?|qualification)\b", formation=0.7),
    # A fiche expérience: one action, its actors and its course.
    _cue("fiche d'action (contexte, objectifs, partenaires…)",
         r"\b(contexte|objectifs?|partenaires?|porteurs? de l'action|porteur|maitre d'ouvrage|maitre d'oeuvre"
         r"|public vise|resultats|facteurs de reussite|points de vigilance|mots cles|financements?|quels furent"
         r"|la structure|l'association)\b", fiche_experience=0.4),
    # An activity report, a work programme.
    _cue("bilan d'activité (assemblée générale, programme d'actions…)",
         r"\b(assemblee generale|rapport d'activites?|bilan d'activites?|programme d'actions|conseil d'administration"
         r"|membres du gip|orientations|programme de travail|bilan 20\d\d)\b", rapport_activite=1.0),
    # A study.
    _cue("étude (méthodologie, enquête, résultats…)",
         r"\b(methodologie|enquete|echantillon|entretiens|analyse|etude|insee|recommandations|preconisations"
         r"|donnees|statistiques|taux de)\b", etude_rapport=0.5),
    # An explainer of a programme or a notion.
    _cue("présentation d'un dispositif (vise à, a pour objectif…)",
         r"\b(dispositifs?|vise a|visent a|a pour (objectif|but|mission|vocation)|ont pour (objectif|mission|vocation)"
         r"|permet de|permettent de|en quoi|qu'est-ce que|c'est quoi|definition|les principes|repose sur"
         r"|s'adresse a|s'adressent a|est un outil|sont charges de|ont ete crees?)\b", note_synthese=0.7),
    # One local action, its actors and its course.
    _cue("action locale (depuis 2014, expérimente, a mis en place…)",
         r"\b(depuis (19|20)\d\d|experimente|experimentent|a mis en place|ont mis en place|a cree|ont cree"
         r"|met en place|mettent en place|beneficiaires|aupres des habitants|sur le terrain|au quotidien)\b",
         fiche_experience=0.6),
    # A how-to.
    _cue("guide (étapes, fiches méthodologiques…)",
         r"\b(guide|fiches? methodologiques?|etapes?|outils?|mode d'emploi|pas a pas|boite a outils|vade-mecum"
         r"|reperes|demarche)\b", guide_methodologique=0.5),
    # News.
    _cue("annonce d'actualité (publie, vient de, lancement…)",
         r"\b(publie|vient de|viennent de|a annonce|annonce|lancement|communique|a ete signee?|a ete lance"
         r"|ont ete (annonce|devoile)e?s?)\b", actualite=0.6),
)
CUE_CAP = 3  # a cue repeated many times is still one kind of evidence: counts beyond this are ignored

MONTHS = {m: i for i, m in enumerate("janvier fevrier mars avril mai juin juillet aout septembre octobre novembre "
                                     "decembre".split(), 1)}
_DATE = re.compile(r"\b(\d{1,2})(?:er)? (" + "|".join(MONTHS) + r") (\d{4})\b")


# A news verb in the title makes the genre it names the object of a news item: "l'ANCT publie un guide".
TITLE_NEWS = re.compile(r"\b(publie|publient|lance|lancent|devoile|devoilent|annonce|annoncent|se mobilise"
                        r"|se mobilisent|signent|adoptent? (le|la|les|son|sa|ses|un|une)|nouvelle page|lancement|fete (ses|son|sa|les)"
                        r"|celebre|inaugure|inauguration|signee?s?|relancee?s?|s'inquiete(nt)?|affichent|ouvre|ouvrent"
                        r"|accueille|accueillent|rejoint|obtient|remporte|devient|s'installe|se dote|renouvelee?s?"
                        r"|prolongee?s?|labellisee?s?)\b")
TITLE_NEWS_LABEL = "titre d'actualité (publie, lance, annonce…)"
# Names of an event in a title: the event may be announced or reported; tense and dates decide.
TITLE_EVENT = re.compile(r"\b(rencontres?|conference|conference-debat|forum|journees?|seminaires?|webinaires?"
                         r"|webinar|colloque|assises|matinale|cafe-debat|visite|ceremonie)\b")
TITLE_EVENT_LABEL = "titre nommant une rencontre (annoncée ou passée)"
# "Comment monter un jardin partagé ?": a how-to, unless the title names another genre or the body a meeting.
TITLE_HOWTO = re.compile(r"^(\W*)comment (bien |mieux )?\w+(er|ir|re)\b")
TITLE_HOWTO_LABEL = "titre « comment + verbe »"


def cue_counts(folded: str) -> dict[str, int]:
    """Cue name → occurrences (capped) in an already folded text."""
    out = {}
    for cue in CUES:
        n = cue.count(folded, CUE_CAP)
        if n:
            out[cue.name] = n
    return out


def dates_in(folded: str) -> list[dt.date]:
    out = []
    for day, month, year in _DATE.findall(folded):
        try:
            out.append(dt.date(int(year), MONTHS[month], int(day)))
        except ValueError:
            continue
    return out


def time_cue(folded: str, published: dt.date | None) -> str | None:
    """"future" when the text's first dated day comes after the publication date, "past" when before by more than
    a week (a text published the day after its meeting is a report); None without both dates."""
    if published is None:
        return None
    dates = dates_in(folded)
    if not dates:
        return None
    first = dates[0]
    if first > published:
        return "future"
    if (published - first).days > 7:
        return "past"
    return None


TIME_WEIGHTS = {"future": (("agenda_evenement", 1.2), ("actes_compte_rendu", -0.8)),
                "past": (("actes_compte_rendu", 0.6), ("agenda_evenement", -1.2))}
TIME_LABELS = {"future": "date de la rencontre après la publication", "past": "date de la rencontre passée"}


def genre_evidence(text: str, published: dt.date | None = None,
                   title: str = "") -> tuple[dict[str, float], dict[str, list[str]], dict[str, int]]:
    """(doctype → summed weight, doctype → cue names that spoke for it, cue → count) for a body start."""
    folded = fold(text)
    counts = cue_counts(folded)
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    folded_title = fold(title)
    if TITLE_NEWS.search(folded_title):
        counts[TITLE_NEWS_LABEL] = 1
        scores["actualite"] = 2.2
        reasons["actualite"] = [TITLE_NEWS_LABEL]
    if TITLE_HOWTO.search(folded_title):
        counts[TITLE_HOWTO_LABEL] = 1
        scores["guide_methodologique"] = 0.8
        reasons["guide_methodologique"] = [TITLE_HOWTO_LABEL]
    if TITLE_EVENT.search(folded_title):
        counts[TITLE_EVENT_LABEL] = 1
        scores["actes_compte_rendu"] = 1.5
        scores["agenda_evenement"] = -0.6
        reasons["actes_compte_rendu"] = [TITLE_EVENT_LABEL]
    for cue in CUES:
        n = counts.get(cue.name)
        if not n:
            continue
        factor = 1.0 + 0.25 * (n - 1)
        for doctype, weight in cue.weights:
            scores[doctype] = scores.get(doctype, 0.0) + weight * factor
            if weight > 0:
                reasons.setdefault(doctype, []).append(cue.name)
    when = time_cue(folded, published)
    if when:
        counts[TIME_LABELS[when]] = 1
        for doctype, weight in TIME_WEIGHTS[when]:
            scores[doctype] = scores.get(doctype, 0.0) + weight
            if weight > 0:
                reasons.setdefault(doctype, []).append(TIME_LABELS[when])
    return scores, reasons, counts
