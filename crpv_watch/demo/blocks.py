"""Hand-written building blocks of the demo content: fictional places, document-type sections, dates.

Every name here is invented for the demo (towns, quartiers, centres, people). Placeholders in the
templates are filled by ``catalogue.py``: ``{ville}``, ``{q}``, ``{dq}``, ``{n}``, ``{annee}``, ``{limite}``
(a date in words), ``{centre}`` (the centre's short name).
"""

from __future__ import annotations

import datetime as dt

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def date_fr(d: dt.date, weekday: bool = False) -> str:
    """« 12 mars 2024 » (« 1er » for the first of the month)."""
    day = "1er" if d.day == 1 else str(d.day)
    text = f"{day} {MONTHS[d.month - 1]} {d.year}"
    return f"{DAYS[d.weekday()]} {text}" if weekday else text


# Fictional towns, by INSEE region code of the centre that writes about them.
TOWNS: dict[str, list[str]] = {
    "32": ["Montclar-sur-Lys", "Hautmesnil", "Saint-Aubin-les-Forges", "Wasquelin"],
    "84": ["Valbrune", "Roche-Aiguë", "Bellerive-la-Forêt", "Lanvoisin"],
    "44": ["Thionzel", "Haguenoy", "Ardennay", "Moselbourg"],
    "75": ["Castelbrune", "Mérignet", "Port-Sainte-Claire", "Sauveterre-d’Adour"],
    "11": ["Villemont-sur-Seine", "Aubervalle", "Noisy-les-Prés", "Champfleury-la-Ville"],
}

# Fictional quartiers: (« le quartier des Tilleuls », « du quartier des Tilleuls »).
QUARTIERS: list[tuple[str, str]] = [
    (f"le quartier {de}", f"du quartier {de}") for de in [
        "des Tilleuls", "de la Source", "du Val-Fleuri", "des Genêts", "de la Croix-Blanche", "du Petit-Bois",
        "des Cerisiers", "de Bellevue-Coteaux", "du Clos-Saint-Roch", "des Œillets", "du Champ-du-Moulin",
        "de l’Étang-Rouge", "des Hauts-de-Sorbiers", "de la Roseraie-Haute", "des Pâquerettes", "du Moulin-Vert",
        "de la Garenne-Neuve", "des Quatre-Vents", "du Bois-l’Abbé-Sud", "de la Pépinière",
    ]
]

# Sections by document type: (heading or "", [variant templates]). A document takes one variant of each section,
# in turn; small documents keep the first sections only.
DOCTYPE_SECTIONS: dict[str, list[tuple[str, list[str]]]] = {
    "fiche_experience": [
        ("Le contexte", [
            "L’action est née d’un constat partagé par les professionnels {dq} : les réponses existantes ne touchaient qu’une partie des habitants. Le porteur de projet a réuni les partenaires pour imaginer une démarche différente.",
            "Tout est parti d’une réunion de quartier tendue, à {ville}, où des parents ont dit ne plus savoir à qui s’adresser. L’équipe a pris ces paroles au sérieux et proposé d’y répondre avec eux plutôt que pour eux.",
            "Le diagnostic du contrat de ville avait pointé un manque : peu d’actions atteignaient les habitants {dq} les plus isolés. Une association locale a proposé de tester une approche plus souple, avec l’appui de la ville.",
        ]),
        ("Objectifs et public visé", [
            "Territoire concerné : {q}, à {ville}. Public visé : les habitants du quartier, avec une attention aux personnes qui ne fréquentent pas les équipements. Objectifs : créer de la confiance, faire connaître les ressources existantes, donner envie d’agir.",
            "L’objectif n’était pas de créer un dispositif de plus, mais de relier ceux qui existaient. Le public visé réunit des familles, des jeunes adultes et des retraités {dq}, soit environ {n}0 personnes la première année.",
            "Trois objectifs ont été fixés dès le départ : toucher des personnes jamais rencontrées, les accompagner jusqu’au bout de leur démarche, et mesurer ce qui change pour elles au bout d’un an.",
        ]),
        ("Déroulement", [
            "La démarche s’est déroulée en trois temps : une phase d’écoute de deux mois, une phase d’expérimentation avec un petit groupe d’habitants, puis l’ouverture à tout le quartier. Un comité de suivi se réunit chaque trimestre.",
            "Concrètement, l’équipe tient une permanence hebdomadaire dans un local prêté par le bailleur, complétée par des rendez-vous à domicile. Les partenaires se retrouvent tous les deux mois pour examiner les situations bloquées.",
            "Après un démarrage lent, le bouche-à-oreille a fait son œuvre : les premiers participants sont devenus les meilleurs relais. Une journée de bilan a réuni habitants et professionnels au printemps {annee}.",
        ]),
        ("Résultats et points de vigilance", [
            "Résultats : une fréquentation en hausse et des partenariats durables. Points de vigilance : la continuité des financements et le renouvellement des bénévoles. Facteurs de réussite : un binôme de professionnels stable et un lieu identifié.",
            "Le bilan est encourageant, mais fragile : l’action repose sur deux personnes et sur un financement annuel. Les partenaires réfléchissent à l’inscrire dans le droit commun pour la pérenniser.",
        ]),
        ("Contact", [
            "Porteur de projet : association Horizons partagés, {ville}. Partenaires : ville, bailleur social, centre social. Financements : contrat de ville, fonds propres. Date de création : {annee}.",
            "Porteur de projet : centre social Arc-en-ciel, {ville}. Partenaires : département, caisse d’allocations familiales, associations du quartier. Financements : crédits politique de la ville et fondation privée.",
            "Porteur de projet : régie de quartier Les Trois Rives, {ville}. Partenaires : intercommunalité, bailleurs, services de l’État. Financements : contrat de ville et mécénat local.",
        ]),
    ],
    "guide_methodologique": [
        ("À qui s’adresse ce guide ?", ["Ce guide pratique s’adresse aux chefs de projet, aux agents de développement et aux associations. Il propose une méthode en étapes, des questions à se poser et des points de vigilance, illustrés par des exemples de terrain."]),
        ("Les étapes", ["Première étape : poser un diagnostic partagé. Deuxième étape : définir des objectifs atteignables. Troisième étape : organiser le pilotage. Quatrième étape : suivre et ajuster. Une check-list et une trame de compte rendu sont proposées en annexe."]),
        ("Points de vigilance", ["Ne pas confondre vitesse et précipitation : chaque étape demande du temps et l’accord des partenaires. Le guide rappelle aussi qu’un outil n’a de sens que s’il est approprié par ceux qui l’utilisent."]),
    ],
    "etude_rapport": [
        ("Méthodologie", ["L’étude repose sur une enquête par questionnaire auprès de {n}0 habitants, une vingtaine d’entretiens avec des professionnels et l’exploitation des données disponibles à l’échelle des quartiers prioritaires."]),
        ("Principaux résultats", ["Les résultats confirment des écarts importants avec le reste de l’agglomération, mais montrent aussi des ressources méconnues : solidarités familiales, dynamisme associatif, attachement au quartier."]),
        ("Préconisations", ["Les recommandations portent sur la coordination des acteurs, la simplification des démarches et l’association des habitants au suivi. Les annexes détaillent la méthode et les sources."]),
    ],
    "actes_compte_rendu": [
        ("", ["La rencontre s’est tenue le {jour} à {ville} et a réuni {n}0 participants : élus, professionnels, conseillers citoyens et représentants de l’État. Elle a alterné table ronde, ateliers et temps d’échanges informels."]),
        ("Table ronde", ["Les intervenants ont croisé leurs regards sur les conditions de réussite : une gouvernance claire, des moyens dans la durée et la reconnaissance de l’expertise des habitants. Plusieurs ont insisté sur la nécessité de sortir des appels à projets annuels."]),
        ("Ce qu’il faut retenir", ["Trois enseignements se dégagent des ateliers : partir des besoins exprimés, outiller les professionnels, évaluer en continu. Les supports des intervenants sont disponibles auprès du centre de ressources."]),
    ],
    "note_synthese": [
        ("À retenir", ["En résumé, trois points clés : le cadre national a évolué, les acteurs locaux disposent de marges de manœuvre, et la coordination entre partenaires reste la condition de l’efficacité.",
                       "L’essentiel tient en quelques lignes : un dispositif ancien mais méconnu, des règles qui ont changé récemment, et des collectivités qui peuvent s’en saisir davantage."]),
        ("Le point sur le cadre", ["Cette note de synthèse rappelle les textes de référence, les acteurs en présence et les financements mobilisables, puis propose quelques repères pour agir à l’échelle d’un quartier."]),
    ],
    "revue_cahier": [
        ("Éditorial", ["Ce numéro des cahiers rassemble analyses, témoignages et retours d’expérience. Il est le fruit d’un travail collectif du comité de rédaction avec des chercheurs et des praticiens de la politique de la ville."]),
        ("Sommaire", ["Au sommaire : un entretien avec une sociologue, trois portraits de quartiers, une analyse des politiques publiques et une bibliographie. Directrice de la publication : la présidente du centre de ressources."]),
    ],
    "newsletter": [
        ("Édito", ["Chères lectrices, chers lecteurs, cette lettre d’information revient sur les temps forts des dernières semaines et annonce les prochains rendez-vous du centre de ressources."]),
        ("À la une", ["À la une de ce numéro : les premiers enseignements des contrats Engagements Quartiers 2030 et le lancement d’un nouveau cycle de qualification."]),
        ("Brèves et agenda", ["Brèves : nouvelles publications, arrivées dans l’équipe, appels à projets en cours. Agenda : les prochaines rencontres sont ouvertes sur inscription. Pour ne rien manquer, abonnez-vous ; vous pouvez vous désinscrire à tout moment."]),
    ],
    "veille_revue_de_presse": [
        ("", ["Notre sélection d’articles du mois, vue dans la presse nationale et régionale : Localtis revient sur la programmation des crédits, La Gazette des communes sur la situation des associations, et la presse régionale sur plusieurs initiatives d’habitants. Source : veille documentaire du centre de ressources."]),
    ],
    "offre_emploi": [
        ("Le poste", ["Dans le cadre de son développement, {centre} recrute. Poste basé à {ville}, temps plein, déplacements réguliers dans la région. Date de prise de poste : dès que possible."]),
        ("Missions", ["Les missions principales : animer des temps de qualification, produire des ressources, accompagner les acteurs locaux, contribuer à la vie de l’équipe. La fiche de poste complète est disponible sur demande.",
                      "Sous l’autorité de la direction, vous assurez le suivi des partenaires, la préparation des instances et la rédaction de notes. Vous participez aux réseaux régionaux et représentez la structure auprès des acteurs locaux."]),
        ("Profil recherché", ["Profil recherché : formation supérieure en sciences sociales ou aménagement, connaissance de la politique de la ville, qualités rédactionnelles et goût du travail en réseau. Compétences requises : animation, conduite de projet, maîtrise des outils bureautiques."]),
        ("Candidature", ["Rémunération selon la grille de la convention collective. Envoyer CV et lettre de motivation avant le {limite}. Date limite de candidature : {limite}."]),
    ],
    "appel_a_projets": [
        ("Objectifs de l’appel à projets", ["Cet appel à projets soutient des actions innovantes dans les quartiers prioritaires. Les porteurs de projet peuvent solliciter une subvention pour une action nouvelle ou le développement d’une action existante.",
                                            "L’appel vise à faire émerger des projets portés au plus près des habitants, avec une attention particulière aux territoires où l’offre associative est faible. Le montant de l’aide est plafonné à la moitié du budget de l’action."]),
        ("Conditions d’éligibilité et critères de sélection", ["Sont éligibles les associations, collectivités et bailleurs intervenant au bénéfice des habitants des quartiers prioritaires. Critères de sélection : réponse à un besoin identifié, implication des habitants, partenariats, évaluation prévue."]),
        ("Calendrier et dépôt des dossiers", ["Date limite de dépôt des dossiers : {limite}. Le dossier de candidature se dépose sur la plateforme Dauphin ; le cahier des charges et le règlement sont téléchargeables. Les projets retenus seront connus un mois après la date de clôture."]),
    ],
    "agenda_evenement": [
        ("Programme", ["Le {jour}, de 9h30 à 16h30 : accueil, conférence introductive, ateliers en petits groupes et restitution en plénière. Le programme détaillé sera envoyé aux inscrits.",
                       "Rendez-vous le {jour}, de 13h à 14h30, pour une intervention de vingt minutes suivie d’un temps de questions-réponses et de témoignages de professionnels de terrain."]),
        ("Informations pratiques", ["Lieu : maison des associations de {ville}, en présentiel, et en visioconférence pour la conférence du matin. Gratuit, places limitées : inscription obligatoire."]),
    ],
    "formation": [
        ("Objectifs pédagogiques", ["À l’issue de la formation, les participants sauront situer les enjeux, mobiliser les outils existants et construire une démarche adaptée à leur territoire.",
                                    "La formation alterne apports théoriques, études de cas et mises en situation. Chaque participant repart avec un plan d’action pour sa structure."]),
        ("Public cible et prérequis", ["Public cible : professionnels des collectivités, de l’État, des associations et des bailleurs. Aucun prérequis. Durée : deux jours de formation, à {ville}, avec une formatrice et un formateur expérimentés. Une attestation est remise."]),
        ("Inscription", ["Session limitée à {n} participants, inscription avant le {limite}."]),
    ],
    "rapport_activite": [
        ("L’année en bref", ["En {annee}, le centre de ressources a organisé {n}0 demi-journées de qualification, réuni plus de mille participants et publié une dizaine de ressources. Le conseil d’administration s’est réuni quatre fois et le bureau chaque mois."]),
        ("L’équipe et les financeurs", ["L’équipe compte six salariés. Les financeurs sont l’État (ANCT), la région, les départements et les intercommunalités adhérentes. Le budget est resté stable par rapport à l’exercice précédent."]),
    ],
    "dossier_documentaire": [
        ("Sélection documentaire", ["Cette bibliographie rassemble des ouvrages, rapports et articles disponibles au centre de documentation. Chaque notice précise l’auteur, l’éditeur, l’année et la cote ; les ouvrages peuvent être empruntés sur rendez-vous."]),
        ("Pour aller plus loin", ["Webographie : sites des centres de ressources, de l’ANCT et de l’Observatoire national de la politique de la ville. Nouveautés du centre de documentation : acquisitions de l’année."]),
    ],
}

# Chapter titles for the longer PDFs, by document type (theme labels are added by the catalogue).
PDF_CHAPTERS: dict[str, list[str]] = {
    "guide_methodologique": ["Pourquoi ce guide ?", "Les étapes de la démarche", "Associer les habitants",
                             "Organiser le pilotage", "Outils et trames", "Points de vigilance"],
    "etude_rapport": ["Contexte et méthodologie", "Le territoire en chiffres", "Principaux résultats",
                      "Paroles d’acteurs", "Préconisations", "Annexes"],
    "actes_compte_rendu": ["Ouverture de la rencontre", "Table ronde", "Ateliers", "Ce qu’il faut retenir",
                           "Liste des intervenants"],
    "rapport_activite": ["Le mot de la présidente", "L’année en bref", "Qualification des acteurs",
                         "Publications et ressources", "L’équipe et les financeurs"],
    "revue_cahier": ["Éditorial", "Analyse", "Entretien", "Portraits de quartiers", "Bibliographie"],
    "newsletter": ["Édito", "À la une", "Brèves", "Agenda"],
    "note_synthese": ["À retenir", "Le cadre", "Les acteurs", "Repères pour agir"],
    "dossier_documentaire": ["Présentation", "Ouvrages", "Rapports et études", "Pour aller plus loin"],
    "fiche_experience": ["La fiche expérience"],
}

# The 20-page evaluation guide has its own plan: one chapter per page, with the themes it draws on.
GUIDE_EVALUATION_CHAPTERS: list[tuple[str, list[str]]] = [
    ("Pourquoi évaluer un contrat de ville ?", ["observation_evaluation_ingenierie", "gouvernance_contrat_de_ville"]),
    ("Le cadre d’Engagements Quartiers 2030", ["gouvernance_contrat_de_ville"]),
    ("Définir les questions évaluatives", ["observation_evaluation_ingenierie"]),
    ("Mobiliser les données et les indicateurs", ["observation_evaluation_ingenierie"]),
    ("Associer les conseils citoyens", ["participation_habitants"]),
    ("Évaluer l’éducation et la jeunesse", ["education_reussite_educative", "jeunesse", "parentalite_petite_enfance"]),
    ("Évaluer la santé et l’accès aux droits", ["sante", "acces_aux_droits_services_publics"]),
    ("Évaluer la tranquillité et la médiation", ["securite_prevention_delinquance", "mediation_sociale"]),
    ("Évaluer la culture, le sport et la vie associative", ["culture_patrimoine_memoire", "sport", "vie_associative"]),
    ("Évaluer l’inclusion numérique et l’intégration", ["numerique_inclusion", "integration_langue"]),
    ("Évaluer le cadre de vie et le renouvellement urbain", ["renouvellement_urbain_npnru", "habitat_logement",
                                                            "gestion_urbaine_proximite"]),
    ("Évaluer la mobilité et la transition écologique", ["mobilite", "transition_ecologique"]),
    ("Évaluer l’emploi et le développement économique", ["emploi_insertion", "entrepreneuriat", "commerce_proximite"]),
    ("Évaluer les axes transversaux", ["egalite_femmes_hommes", "lutte_contre_discriminations",
                                        "citoyennete_valeurs_republique"]),
    ("Évaluer la gouvernance", ["gouvernance_contrat_de_ville"]),
    ("Analyser et partager les résultats", ["observation_evaluation_ingenierie", "participation_habitants"]),
    ("Capitaliser et ajuster les actions", ["observation_evaluation_ingenierie"]),
]
