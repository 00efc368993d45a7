"""Keyword-rule tagger: themes, pillars and document type of short realistic French texts, with explanations."""

from __future__ import annotations

import datetime as dt

import pytest

from crpv_watch.items import ExtractedDocument
from crpv_watch.tagging.matching import doc_terms
from crpv_watch.tagging.tagger import Tagger
from crpv_watch.tagging.thesaurus import Vocabulary
from crpv_watch.text.analysis import analyze_terms


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(Vocabulary.load())


def doc(title="", text="", url="https://www.example.org/page", summary="", pdf=False) -> ExtractedDocument:
    return ExtractedDocument(url=url, canonical_url=url, title=title, text=text, summary=summary,
                             content_type="application/pdf" if pdf else "text/html")


JARDIN = doc(
    url="https://www.professionbanlieue.org/Un-jardin-partage-aux-Francs-Moisins",
    title="Un jardin partagé pour les habitants des Francs-Moisins",
    summary="Fiche d'expérience : un jardin partagé créé avec le conseil citoyen dans un quartier prioritaire.",
    text="""Porteur de projet : association Les Jardins du Franc. Territoire concerné : quartier prioritaire des
Francs-Moisins (QPV), Saint-Denis. Objectifs : créer du lien entre habitants, favoriser l'agriculture urbaine et
l'alimentation durable, végétaliser les pieds d'immeubles. Déroulement : le conseil citoyen a proposé le projet en
2021 ; une concertation avec le bailleur et la ville a permis de choisir la parcelle. Résultats : quarante familles
cultivent une parcelle ; les jardins partagés sont devenus un lieu de rencontre. La participation des habitants
s'est renforcée. Points de vigilance : l'arrosage en été. Partenaires : ville, bailleur social, conseil citoyen.""")

CASES = {
    "fiche_jardin": (JARDIN, "fiche_experience", {"transition_ecologique", "participation_habitants"}),
    "offre_coordination": (doc(
        url="https://www.reseau-crpv.fr/le-reseau-recrute/",
        title="Le réseau recrute un·e chargé·e de coordination (CDI – temps plein)",
        text="""Missions : animer le réseau national des centres de ressources politique de la ville, organiser les
rencontres nationales, suivre les partenariats avec l'ANCT. Profil recherché : formation supérieure. Rémunération
selon la convention collective. Date de prise de poste : septembre. Envoyer CV et lettre de motivation."""),
        "offre_emploi", set()),
    "offre_sante": (doc(
        url="https://www.professionbanlieue.org/spip.php?article1234",
        title="Chargé de mission santé (H/F) – Ville de Bobigny",
        text="""La ville recrute pour son atelier santé ville. Missions : coordonner le contrat local de santé,
animer le réseau des acteurs de la prévention santé, développer la médiation en santé dans les quartiers. Profil
recherché : master en santé publique. Date limite de candidature : 15 mai."""),
        "offre_emploi", {"sante"}),
    "appel_a_projets": (doc(
        url="https://www.professionbanlieue.org/Appels-a-projets-Appel-a-manifestation-d-interet/aap-2025",
        title="Appel à projets 2025 du contrat de ville de Plaine Commune",
        text="""Le contrat de ville Engagements Quartiers 2030 lance son appel à projets annuel. Les associations
déposent un dossier sur Dauphin avant le 15 janvier. Critères de sélection : l'action doit bénéficier aux habitants
des quartiers prioritaires. Dossier de candidature et cahier des charges en ligne."""),
        "appel_a_projets", {"gouvernance_contrat_de_ville"}),
    "guide": (doc(
        url="https://www.oriv.org/documents/guide-observation/",
        title="Guide méthodologique de l'observation sociale territorialisée",
        text="""Ce guide propose une méthode pour construire un observatoire local : choisir les indicateurs,
mobiliser les données de l'Insee, construire un tableau de bord et partager le diagnostic territorial. Chaque étape
est illustrée par des exemples. Points de vigilance : la qualité des données à l'échelle des quartiers."""),
        "guide_methodologique", {"observation_evaluation_ingenierie"}),
    "actes": (doc(
        url="https://www.villesaucarre.org/retour-sur-la-rencontre-regionale-cites-educatives/",
        title="Actes de la rencontre régionale des cités éducatives",
        text="""La rencontre régionale s'est tenue le 12 octobre à Tours et a rassemblé 120 participants :
coordinateurs des cités éducatives, principaux de collège, agents des programmes de réussite éducative. Les ateliers
ont porté sur l'alliance éducative, la continuité éducative et le décrochage scolaire."""),
        "actes_compte_rendu", {"education_reussite_educative"}),
    "webinaire": (doc(
        url="https://www.reseau-crpv.fr/type-evenement/webinaire/sante-mentale",
        title="Webinaire : santé mentale des jeunes dans les quartiers prioritaires",
        text="""Jeudi 22 mai 2025 – 13h-14h, en visioconférence. Inscription gratuite, places limitées. Le
webinaire présentera les conseils locaux de santé mentale et les actions de prévention auprès des jeunes et des
adolescents. S'inscrire via le formulaire."""),
        "agenda_evenement", {"sante", "jeunesse"}),
    "rapport_activite": (doc(
        url="https://www.irev.fr/sites/default/files/rapport-activite-2023.pdf", pdf=True,
        title="Rapport d'activité 2023",
        text="""L'IREV a accompagné en 2023 les 40 contrats de ville de la région. Le conseil d'administration a
validé le programme. L'équipe a animé des journées régionales sur la gestion urbaine et sociale de proximité,
l'abattement de TFPB et la tranquillité publique. Budget : 900 000 euros."""),
        "rapport_activite", {"gestion_urbaine_proximite"}),
    "lettre": (doc(
        url="https://www.professionbanlieue.org/IMG/pdf/lettre-140.pdf", pdf=True,
        title="La Lettre de Profession Banlieue n°140",
        text="""Édito. À la une : les adultes-relais dans les villes. Brèves : la médiation sociale dans les
transports. Agenda des rencontres. Directeur de publication : le président."""),
        "newsletter", {"mediation_sociale"}),
    "pre": (doc(
        url="https://www.resovilles.com/?p=1234",
        title="Le PRE de Saint-Nazaire fête ses dix ans",
        text="""Le programme de réussite éducative accompagne chaque année 300 enfants et leurs familles. Les équipes pluridisciplinaires
construisent des parcours individualisés avec l'école et les parents."""),
        "actualite", {"education_reussite_educative"}),
    "etude_onpv": (doc(
        title="Rapport annuel 2023 de l'ONPV : l'emploi des jeunes des quartiers",
        text="""Ce rapport analyse l'insertion professionnelle des jeunes des quartiers prioritaires. Méthodologie :
enquête auprès d'un échantillon de 5 000 jeunes ; entretiens. Résultats : le taux de chômage reste deux fois plus
élevé ; l'accès à l'emploi passe par la mission locale et l'apprentissage."""),
        # « les jeunes » is the audience here, not a subject: alone it never makes the jeunesse theme.
        "etude_rapport", {"emploi_insertion", "observation_evaluation_ingenierie"}),
    "retour_webinaire": (doc(
        url="https://www.villesetterritoireslr.fr/category/nos-actions/webinaire-gusp",
        title="Webinaire régional sur la gestion urbaine et sociale de proximité",
        text="""Le webinaire s'est tenu le 3 mars et a rassemblé 60 participants. Les intervenants ont présenté les
diagnostics en marchant et la lutte contre les dépôts sauvages."""),
        "actes_compte_rendu", {"gestion_urbaine_proximite"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_realistic_documents(tagger, name):
    document, doctype, themes = CASES[name]
    tags = tagger.tag(document)
    assert tags.doctype == doctype, tags.doctype_explanation
    assert set(tags.theme_ids) == themes, [(t.theme_id, t.score, t.explanation) for t in tags.themes]
    assert len(tags.themes) <= Tagger.max_themes
    for theme in tags.themes:
        parent = tagger.vocabulary.pillar_of(theme.theme_id)
        assert parent is None or parent in tags.pillars


def test_explanations(tagger):
    tags = tagger.tag(JARDIN)
    assert tags.theme_ids[0] == "transition_ecologique"
    participation = next(t for t in tags.themes if t.theme_id == "participation_habitants")
    explained = {(e["signal"], e["field"]): e["count"] for e in participation.explanation}
    # "conseil citoyen" and "conseils citoyens" analyse alike: the first spelling of themes.yaml names the signal.
    assert explained[("conseils citoyens", "summary")] == 1
    assert explained[("conseils citoyens", "body")] == 2
    assert ("participation des habitants", "body") in explained
    assert all(set(e) == {"signal", "field", "count"} for e in participation.explanation)
    fields = [e["field"] for e in participation.explanation]
    assert fields == sorted(fields, key=("title", "summary", "body", "source").index)
    assert tags.pillars == ["pilier_cadre_de_vie_renouvellement_urbain", "pilier_cohesion_sociale"]
    signals = {(e["signal"], e["field"]) for e in tags.doctype_explanation}
    assert ("porteur de projet", "body") in signals and ("partenaires", "body") in signals
    theme_scores = [t.score for t in tags.themes]
    assert theme_scores == sorted(theme_scores, reverse=True)


def test_acronyms_are_case_sensitive(tagger):
    pre = tagger.tag(doc("Bilan du PRE", "Le PRE accompagne les enfants avec la cité éducative et le REP+ voisin."))
    assert "education_reussite_educative" in pre.theme_ids
    signals = {e["signal"] for e in pre.themes[0].explanation}
    assert {"PRE", "REP+"} <= signals
    meadow = tagger.tag(doc("Balade au pré communal", "Une balade dans le pré. Les enfants ont vu les vaches au pré."))
    assert meadow.theme_ids == []
    lower = tagger.tag(doc("Le pre et le rep", "pre rep clas pedt"))
    assert lower.theme_ids == []


def test_ambiguous_terms_need_another_signal_of_the_theme(tagger):
    alone = tagger.tag(doc("L'école et le collège du village", "L'école, le collège et encore l'école."))
    assert "education_reussite_educative" not in alone.theme_ids
    scores, _ = tagger.score_themes(doc("L'école et le collège du village", "L'école, le collège."))
    assert "education_reussite_educative" not in {d.theme_id for d in scores}
    backed = tagger.tag(doc("L'école et le collège de la cité éducative", "L'école et le collège du quartier."))
    assert "education_reussite_educative" in backed.theme_ids
    caf_only = tagger.score_themes(doc("La CAF et les familles", "Les familles et les parents."))[0]
    assert "parentalite_petite_enfance" not in {d.theme_id for d in caf_only}


def test_phrases_use_the_index_analysis(tagger):
    text = "Les Conseils Citoyens du quartier ; l'égalité femmes-hommes ; vivre-ensemble ; co-construction."
    assert doc_terms(text) == analyze_terms(text.replace("-", " "))
    tags = tagger.tag(doc("Les conseils citoyens et la DÉMOCRATIE PARTICIPATIVE", ""))
    assert tags.theme_ids == ["participation_habitants"]
    unaccented = tagger.tag(doc("Reussite educative et cites educatives", ""))
    assert unaccented.theme_ids == ["education_reussite_educative"]


def test_phrases_losing_a_meaningful_word_match_as_written(tagger):
    # "Quartiers d'été" analyses to "quartier" alone (été is a stop word): it must not fire on every quartier.
    scores = tagger.score_themes(doc("Le quartier et les quartiers", "Un quartier, des quartiers."))[0]
    assert "jeunesse" not in {d.theme_id for d in scores}
    tags = tagger.tag(doc("Quartiers d'été 2024 : les animations pour les jeunes", ""))
    assert "jeunesse" in tags.theme_ids
    assert {"Quartiers d'été", "jeunes"} <= {e["signal"] for e in tags.themes[0].explanation}


def test_nested_phrases_count_once(tagger):
    tags = tagger.tag(doc("Le programme de réussite éducative", ""))
    [theme] = tags.themes
    assert theme.explanation == [{"signal": "programme de réussite éducative", "field": "title", "count": 1}]


def test_default_themes_are_a_weak_prior(tagger):
    nothing = doc("Assemblée générale", "Le bureau a été renouvelé.")
    assert tagger.tag(nothing, default_themes=["integration_langue"]).theme_ids == []
    faint = doc("Nouvelles du centre", "Une page d'actualités du centre de ressources, qui parle un peu "
                "de primo-arrivants, parmi beaucoup d'autres sujets de la vie de l'association. "
                + "L'équipe a préparé la saison, rangé les bureaux et accueilli de nouveaux stagiaires. " * 12)
    without = tagger.tag(faint)
    with_prior = tagger.tag(faint, default_themes=("integration_langue",))
    assert "integration_langue" not in without.theme_ids
    assert "integration_langue" in with_prior.theme_ids
    prior = next(t for t in with_prior.themes if t.theme_id == "integration_langue")
    assert prior.explanation[-1] == {"signal": "thème par défaut de la source", "field": "source", "count": 1}


def test_job_offer_versus_call_for_projects(tagger):
    only_deadline = doc("Chargé de mission : appel à candidatures", "Date limite de candidature : 3 juin.")
    assert tagger.tag(only_deadline).doctype == "appel_a_projets"
    weak_title_alone = doc("Chargé de mission participation", "Le chargé de mission a rencontré les habitants.")
    assert tagger.tag(weak_title_alone).doctype != "offre_emploi"
    job = doc("Chargé de mission participation", "Missions : animer. Profil recherché : master.")
    tags = tagger.tag(job)
    assert tags.doctype == "offre_emploi"
    assert {"signal": "chargé de mission", "field": "title", "count": 1} in tags.doctype_explanation
    assert "emploi_insertion" not in tagger.tag(doc("Offre d'emploi : médiateur social", "")).theme_ids


def test_agenda_versus_report_of_a_meeting(tagger):
    upcoming = tagger.tag(doc("Rencontre régionale du 12 juin : inscrivez-vous", "Inscription gratuite. Lieu : Lyon."))
    assert upcoming.doctype == "agenda_evenement"
    past = tagger.tag(doc("Séminaire régional de la GUSP", "Le séminaire s'est tenu à Lille et a rassemblé 80 personnes."))
    assert past.doctype == "actes_compte_rendu"
    assert any(e["field"] == "cue" for e in past.doctype_explanation)
    # Dates against the publication date: the meeting comes after the page, so it is announced.
    announced = doc("Forum de la participation", "Le forum réunira les conseils citoyens le 12 juin 2025 à Lyon.")
    announced.published = dt.date(2025, 5, 2)
    assert tagger.tag(announced).doctype == "agenda_evenement"
    announced.published = dt.date(2025, 7, 20)
    assert tagger.tag(announced).doctype == "actes_compte_rendu"
    # A replay is a recording, not an event to come; a deadline for files is a call, not a job.
    replay = tagger.tag(doc("Webinaire : l'habitat inclusif", "Retrouvez le webinaire en replay et la vidéo."))
    assert replay.doctype == "media_audiovisuel"
    call = tagger.tag(doc("Quartiers solidaires 2025", "Date limite de dépôt : 3 mai. Les porteurs de projets "
                          "déposent leur dossier de candidature."))
    assert call.doctype == "appel_a_projets"


def test_url_is_weak_evidence_and_thin_evidence_is_a_qualifier(tagger):
    # A URL segment alone does not decide: « /ressources/ » holds every genre on most centres' sites.
    url_only = tagger.tag(doc("Des habitants jardiniers", "", url="https://www.professionbanlieue.org/Les-fiches-experience/x"))
    assert url_only.doctype == "a_qualifier"
    assert tagger.doctypes.scores(url_only_doc := doc("Des habitants jardiniers", "",
                                  url="https://www.professionbanlieue.org/Les-fiches-experience/x"))[
        "fiche_experience"].why == [{"signal": "les-fiches-experience", "field": "url", "count": 1}]
    # … only as a whole segment: « ami » is not in « amis » nor « dynamique ».
    assert "appel_a_projets" not in tagger.doctypes.scores(doc("x", "", url="https://x.fr/amis-dynamique/ami-x"))
    # With one more piece of evidence of the same genre, it does.
    with_body = doc("Des habitants jardiniers", "Contexte : un quartier. Partenaires : le bailleur. Objectifs : "
                    "créer du lien. L'association a mis en place un jardin.", url=url_only_doc.url)
    assert tagger.tag(with_body).doctype == "fiche_experience"
    plain = tagger.tag(doc("Bonjour", "Texte sans indice.", url="https://www.example.org/p/42"))
    assert plain.doctype == "a_qualifier" and plain.doctype_explanation[0]["field"] == "fallback"
    pdf = tagger.tag(doc("Document", "Texte sans indice.", url="https://www.example.org/actualites/x.pdf", pdf=True))
    assert pdf.doctype == "a_qualifier"
    assert tagger.vocabulary.doctype_label("a_qualifier") == "À qualifier"
    assert all("défaut" not in d.label for d in tagger.vocabulary.doctypes.values())


def test_empty_and_english_documents(tagger):
    empty = tagger.tag(doc("", ""))
    assert empty.themes == [] and empty.pillars == [] and empty.doctype == "a_qualifier"
    english = tagger.tag(doc("Urban renewal in French deprived neighbourhoods",
                             "This report reviews urban policy in France: participation, housing and employment.",
                             url="https://www.example.org/en/2024/urban"))
    assert english.themes == [] and english.pillars == []


def test_long_document_is_tagged_sensibly(tagger):
    # Speed is measured in bench/tagging.py --timing, never asserted here.
    page = " ".join(d.text for d, _, _ in CASES.values())
    text = (page + "\n") * (300 * 3000 // len(page) + 1)  # ≈ 300 pages of 3,000 characters
    tags = tagger.tag(doc("Rapport final de l'évaluation", text, pdf=True))
    assert 1 <= len(tags.themes) <= Tagger.max_themes
    assert tags.doctype in tagger.vocabulary.doctypes
    assert len(tags.departments) <= 8 and len(tags.qpvs) <= 10


def test_acronyms_in_another_sense(tagger):
    # Capitalised words that are acronyms of the field elsewhere: a pharmacy, a car, a computer, a chemistry lab.
    text = ("Le PRE-ventif du laboratoire : la CAF (capacité d'absorption de fluide) et le GUP (gel ultra-pur) ont "
            "été testés. Le modèle ASV de la voiture, le processeur ANRU-X et la norme QPV-12 de l'industrie. "
            "Les résultats du CLAS (contrôle logistique avancé des stocks) sont publiés.")
    tags = tagger.tag(doc("Essais techniques du trimestre", text))
    assert len(tags.themes) <= 1, [(t.theme_id, t.explanation) for t in tags.themes]
    assert tags.qpvs == []


def test_prior_does_not_lift_a_passing_mention_in_a_long_text(tagger):
    filler = "Le centre de ressources a organisé de nombreuses actions au cours de l'année. " * 400
    long = doc("Bilan", filler + " Une action concernait des primo-arrivants.")
    assert "integration_langue" not in tagger.tag(long, default_themes=["integration_langue"]).theme_ids


def test_doctype_rules_from_the_train_split(tagger):
    def doctype(title, text="", pdf=False):
        tags = tagger.tag(doc(title, text, pdf=pdf))
        return tags.doctype, tags.doctype_explanation

    # The text naming its own genre is evidence on its own, below title and URL.
    kind, why = doctype("Décrochage scolaire : ce que disent les données", "Ce rapport compare les taux de sortie.")
    assert kind == "etude_rapport" and {"signal": "ce rapport", "field": "body", "count": 1} in why
    assert doctype("Les chiffres se suivent", "Le rapport compare les taux.")[0] == "a_qualifier"  # not "ce rapport"
    assert doctype("Rapport d'activité 2023", "Ce film retrace l'année.")[0] == "rapport_activite"  # title first
    # « arrêté » alone is the verb once accents are folded; « décret n° » is a reference, not a revue issue.
    assert doctype("Un bus itinérant s'arrête dans les quartiers")[0] != "texte_officiel"
    assert doctype("Arrêté du 5 mars 2024 fixant la liste des cités éducatives")[0] == "texte_officiel"
    assert doctype("Décret n° 2023-1314 du 28 décembre 2023")[0] == "texte_officiel"
    assert doctype("Le bulletin du réseau, numéro d'automne")[0] == "newsletter"
    assert doctype("Revue Diversité, numéro 205")[0] == "revue_cahier"
    # « programme » / « atelier » are events only with a practical detail of one.
    assert doctype("Évaluation nationale du programme adultes-relais", pdf=True)[0] == "etude_rapport"
    assert doctype("Programme de travail 2024")[0] == "rapport_activite"
    assert doctype("Les ateliers de français affichent complet", "Une liste d'attente est ouverte.")[0] \
        != "agenda_evenement"
    assert doctype("Atelier cuisine du quartier", "Inscription auprès du centre social, lieu : salle Jaurès.")[0] \
        == "agenda_evenement"
    assert doctype("Semaine de la santé : le programme", "Toutes les dates et les lieux à télécharger.")[0] \
        == "agenda_evenement"
    # « comment … ? » is only a question: the genre named in the title wins, and says why.
    kind, why = doctype("Note : les foncières commerciales, comment ça marche ?")
    assert kind == "note_synthese"
    assert doctype("Comment monter un jardin partagé ?")[0] == "guide_methodologique"


def test_the_contrat_de_ville_as_context_is_not_a_theme(tagger):
    # Named in passing by a text about sport, the contrat de ville is its frame, not its subject…
    sport = doc("Le sport au cœur des quartiers",
                "Le sport et l'activité physique pour tous : clubs sportifs, éducateurs sportifs et pratique sportive "
                "des jeunes filles. Les clubs de sport du quartier prioritaire, soutenus par le contrat de ville et "
                "la politique de la ville, accueillent les enfants le mercredi.")
    decisions, _ = tagger.score_themes(sport)
    assert "gouvernance_contrat_de_ville" in {d.theme_id for d in decisions}  # scored…
    assert tagger.tag(sport).theme_ids == ["sport"]  # … not kept beside a theme that clearly leads
    # … while a text about the contrat de ville itself keeps it, and another theme beside it.
    contrat = doc("Le nouveau contrat de ville signé",
                  "Le contrat de ville Engagements Quartiers 2030 a été signé par les partenaires : délégué du préfet,"
                  " crédits spécifiques et droit commun. Un volet porte sur le sport et l'activité physique et un "
                  "autre sur les clubs sportifs.")
    assert tagger.tag(contrat).theme_ids[0] == "gouvernance_contrat_de_ville"


def test_a_secondary_theme_named_by_several_words_is_kept(tagger):
    # The title makes entrepreneuriat dominant; emploi, named by four different words, is a subject all the same.
    text = ("Le programme Entrepreneuriat Quartiers 2030 accompagne la création d'entreprise : entrepreneuriat, "
            "incubateurs, CitésLab, BPI et création d'entreprises dans les quartiers. " * 3
            + "Il s'appuie aussi sur France Travail, les demandeurs d'emploi et les cités de l'emploi.")
    tags = tagger.tag(doc("Lancement du programme Entrepreneuriat Quartiers 2030", text))
    emploi = next(d for d in tagger.score_themes(doc("Lancement du programme Entrepreneuriat Quartiers 2030",
                                                     text))[0] if d.theme_id == "emploi_insertion")
    assert emploi.score < Tagger.relative_threshold * tags.themes[0].score  # below the relative threshold…
    assert "emploi_insertion" in tags.theme_ids  # … kept for its several distinct signals


def test_an_ambiguous_word_the_body_repeats_is_the_subject(tagger):
    once = doc("Paroles de quartier", "Un récit de vie dans le quartier ; les jeunes y participent. Un film.")
    assert "jeunesse" not in tagger.tag(once).theme_ids
    voices = doc("Paroles de quartier", "Les jeunes ont écrit leur autoportrait. Les jeunes racontent leur vie "
                                        "quotidienne, et les jeunes disent leur envie de faire tomber les préjugés.")
    assert "jeunesse" in tagger.tag(voices).theme_ids
    # Weak words never count alone, however often: the QPV named three times is not a governance text.
    weak = doc("Un jardin", "Un jardin partagé en QPV. Le QPV du Nord et le QPV du Sud ont un jardin partagé.")
    assert "gouvernance_contrat_de_ville" not in {d.theme_id for d in tagger.score_themes(weak)[0]}


def test_genre_cues_count_what_their_written_patterns_find():
    # The leading \b of a cue is checked outside the regular expression engine (speed): same counts as written.
    import re

    from crpv_watch.tagging.genre import CUES
    from crpv_watch.tagging.matching import fold

    texts = [fold(d.text + " " + d.title) for d, _, _ in CASES.values()] + [
        "s'est tenue, ressest tenue ; a reuni et areuni ; interet (ami) et interet(ami) ; poste a pourvoir",
        "rencontre annoncee : aura lieu le 3 mai de 14h a 17h, lieu : mairie ; inscriptions ; sommaire ; edito"]
    assert any(cue.word_start for cue in CUES)
    for cue in CUES:
        written = re.compile((r"\b" if cue.word_start else "") + cue.pattern.pattern)
        for text in texts:
            for cap in (1, 3, 100):
                expected = sum(1 for _ in zip(range(cap), written.finditer(text), strict=False))
                assert cue.count(text, cap) == expected, (cue.name, text[:40], cap)
