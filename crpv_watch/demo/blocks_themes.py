"""Hand-written paragraphs, three or four per theme of the thesaurus, in the theme's natural vocabulary.

Placeholders: ``{ville}`` (a town), ``{q}`` (« le quartier des Tilleuls »), ``{dq}`` (« du quartier des
Tilleuls »), ``{n}`` (a small number), ``{annee}`` (a year). They are filled by ``catalogue.py`` so that a
paragraph reused by two documents never reads exactly the same.
"""

from __future__ import annotations

THEME_PARAGRAPHS: dict[str, list[str]] = {
    "jeunesse": [
        "À {ville}, l’équipe de prévention spécialisée et la mission locale vont à la rencontre des jeunes de 16-25 ans qui ne sont ni en emploi, ni en formation, ni en études. Ce repérage des jeunes « invisibles » passe par la rue, les réseaux sociaux et les maisons des jeunes : {n} jeunes adultes ont été accompagnés cette année.",
        "L’animation jeunesse {dq} s’appuie sur l’éducation populaire : chantiers de jeunes, séjours Ville Vie Vacances, accueil au point information jeunesse. Les adolescents y construisent leurs propres projets et découvrent le service civique, une porte d’entrée vers l’engagement des jeunes dans la vie locale.",
        "Le décrochage des adolescents commence souvent bien avant seize ans. Les animateurs de la maison des jeunes et de la culture de {ville} proposent des temps d’écoute et des activités en soirée pendant les Quartiers d’été, en lien avec la prévention spécialisée et les familles.",
    ],
    "egalite_femmes_hommes": [
        "Les marches exploratoires réunissent des femmes {dq} qui parcourent l’espace public à différentes heures pour repérer ce qui freine leur présence : éclairage, recoins, absence de bancs. Leurs propositions nourrissent une réflexion plus large sur la place des femmes dans l’espace public et l’égalité femmes-hommes à {ville}.",
        "L’approche intégrée de l’égalité demande de regarder chaque action au prisme du genre : qui fréquente les équipements, qui bénéficie des subventions ? La budgétisation sensible au genre, expérimentée à {ville}, a montré que {n} % seulement des crédits de loisirs profitaient aux filles.",
        "Avec le CIDFF, les actrices de terrain animent des permanences sur les droits des femmes et la lutte contre les violences faites aux femmes et les violences intrafamiliales. Les familles monoparentales, nombreuses {dq}, y trouvent un appui pour leur émancipation et leur accès à l’emploi.",
    ],
    "lutte_contre_discriminations": [
        "Le plan territorial de lutte contre les discriminations de {ville} s’attaque aux discriminations à l’embauche, au logement et dans l’accès aux loisirs. Les vingt-cinq critères de discrimination reconnus par la loi y sont rappelés, et le Défenseur des droits tient une permanence mensuelle au centre social.",
        "Une campagne de testing menée auprès d’agences immobilières a mis en évidence une discrimination à l’adresse : les candidatures venant {dq} obtiennent moins de réponses. La prévention des discriminations passe aussi par la déconstruction des stéréotypes et des préjugés dès l’école.",
        "Racisme, antisémitisme, haine anti-LGBTQIA+ : les ateliers proposés aux agents publics de {ville} rappellent le principe d’égalité de traitement et donnent des outils concrets pour réagir. La lutte contre les discriminations devient ainsi une compétence partagée plutôt qu’une affaire de spécialistes.",
    ],
    "citoyennete_valeurs_republique": [
        "La formation Valeurs de la République et laïcité du plan VRL s’adresse aux professionnels et bénévoles au contact des habitants. En deux journées, ils revisitent l’histoire de la laïcité, le cadre juridique et des cas pratiques tirés de leur quotidien à {ville}.",
        "L’éducation à la citoyenneté prend des formes multiples {dq} : débat public avec les collégiens, parrainage républicain, cérémonies de citoyenneté pour les nouveaux électeurs. Ces temps font vivre la fraternité et l’engagement citoyen au-delà des discours.",
        "Les associations subventionnées signent le contrat d’engagement républicain. À {ville}, cette obligation a été l’occasion d’un travail collectif sur la prévention de la radicalisation et sur la mémoire et l’histoire des quartiers, pour éviter tout amalgame entre vigilance et suspicion.",
    ],
    "participation_habitants": [
        "Le conseil citoyen {dq} compte {n} membres, habitants tirés au sort et acteurs locaux. Il participe aux instances du contrat de ville et mène ses propres diagnostics. La participation des habitants ne se décrète pas : elle suppose du temps, un lieu et une vraie capacité à peser sur les décisions.",
        "Les tables de quartier de {ville} reprennent l’idée de la commission Mechmache : développer le pouvoir d’agir des habitants en partant de leurs préoccupations. La co-construction avec les services municipaux a permis de réaménager une aire de jeux en tenant compte de l’expertise d’usage des familles.",
        "Le fonds de participation des habitants finance de petits projets portés par des collectifs : fête de voisins, sortie culturelle, atelier de réparation. Un budget participatif complète le dispositif ; {n} projets ont été soumis au vote, preuve que la démocratie participative peut mobiliser au-delà des habitués de la concertation.",
        "Au sein de la maison du projet, une consultation citoyenne a réuni les habitants autour des maquettes. Les habitants-relais ont traduit les enjeux techniques en mots simples et recueilli les avis lors d’un diagnostic en marchant, pour une concertation qui ne se limite pas à une réunion publique.",
    ],
    "education_reussite_educative": [
        "Le programme de réussite éducative de {ville} accompagne des enfants de 2 à 16 ans repérés par l’école, la protection maternelle et infantile ou le service social. Chaque parcours individualisé associe la famille ; {n} enfants en ont bénéficié cette année, en réseau d’éducation prioritaire REP+.",
        "Labellisée cité éducative, {ville} fédère l’éducation nationale, la ville et la préfecture dans une alliance éducative autour des 0-25 ans. La continuité éducative entre l’école, le collège, le périscolaire et les vacances apprenantes y est travaillée par la communauté éducative tout entière.",
        "Accompagnement à la scolarité, Devoirs faits, Cordées de la réussite : la persévérance scolaire s’appuie sur des dispositifs complémentaires. Le projet éducatif territorial de {ville} les articule pour lutter contre le décrochage scolaire sans multiplier les interlocuteurs pour les familles.",
    ],
    "parentalite_petite_enfance": [
        "Le lieu d’accueil enfants-parents {dq} accueille gratuitement les tout-petits avec leurs parents, deux matinées par semaine. Soutenu par la CAF et le réseau d’écoute, d’appui et d’accompagnement des parents, il favorise la socialisation avant la crèche et rompt l’isolement de familles arrivées récemment.",
        "Le soutien à la parentalité passe aussi par la relation familles-école : cafés des parents, dispositif Ouvrir l’école aux parents pour la réussite des enfants, médiation familiale. La coéducation suppose que les parents se sentent légitimes face à l’institution scolaire de {ville}.",
        "Les crèches à vocation d’insertion professionnelle réservent des places aux parents en recherche d’emploi. À {ville}, {n} mères isolées ont pu suivre une formation grâce à ce mode d’accueil de la petite enfance, sans avoir à choisir entre garde d’enfant et retour à l’emploi.",
    ],
    "sante": [
        "L’atelier santé ville de {ville} coordonne les acteurs de la prévention santé et de l’accès aux soins dans les quartiers prioritaires. Dépistages, actions sur la nutrition, promotion de la santé bucco-dentaire : {n} actions ont été menées en lien avec le contrat local de santé et l’ARS.",
        "La santé mentale est devenue une préoccupation majeure des professionnels {dq}. Le conseil local de santé mentale réunit psychiatrie, bailleurs, police municipale et associations pour prévenir les situations de crise et réduire le non-recours aux soins.",
        "Les médiateurs en santé font le lien entre les habitants éloignés du soin et les professionnels. Une maison de santé pluriprofessionnelle s’est installée {dq} pour répondre au désert médical ; la santé communautaire y associe les habitants à la définition des priorités et à la lutte contre les inégalités sociales de santé.",
    ],
    "securite_prevention_delinquance": [
        "Le conseil local de sécurité et de prévention de la délinquance (CLSPD) de {ville} a adopté une nouvelle stratégie territoriale de sécurité et de prévention de la délinquance. Elle met l’accent sur la prévention des rixes entre adolescents et sur l’aide aux victimes.",
        "La tranquillité publique {dq} passe par une présence humaine : correspondants de nuit, gardiens, police de sécurité du quotidien. Le fonds interministériel de prévention de la délinquance (FIPD) finance aussi des mesures de prévention de la récidive et des postes de travail d’intérêt général.",
        "Le démantèlement des points de deal ne suffit pas à restaurer la tranquillité résidentielle. À {ville}, la cellule de veille associe bailleurs, éducateurs et forces de l’ordre pour traiter les incivilités et la délinquance avant qu’elles ne dégénèrent en violences urbaines.",
    ],
    "mediation_sociale": [
        "{n} adultes-relais travaillent aujourd’hui à {ville}. Ces médiateurs sociaux, recrutés parmi les habitants des quartiers prioritaires, assurent une présence de proximité, désamorcent les conflits de voisinage et orientent vers les services compétents.",
        "La médiation sociale repose sur l’aller-vers : les médiateurs vont au-devant des habitants au pied des immeubles, à la sortie des écoles ou sur le marché. Les femmes-relais y ajoutent une dimension de médiation sociale et culturelle précieuse auprès des familles {dq}.",
        "La médiation scolaire et la médiation de nuit complètent le dispositif. Le réseau France Médiation a accompagné la professionnalisation des adultes-relais de {ville} : formation, analyse de pratiques et reconnaissance du métier de médiateur social.",
    ],
    "acces_aux_droits_services_publics": [
        "La maison France Services {dq} accueille chaque mois près de {n} personnes pour des démarches administratives : retraite, RSA, titres de séjour, impôts. L’accès aux droits y est pensé avec le CCAS et un écrivain public, pour réduire le non-recours.",
        "Le point d’accès au droit de {ville} et la maison de justice et du droit tiennent des permanences gratuites. Face à la précarité et à la pauvreté, l’accès aux services publics reste un enjeu : domiciliation, aide alimentaire et accompagnement social doivent être connus pour être utilisés.",
        "La lutte contre le non-recours commence par l’information. Des agents du CCAS et des bénévoles vont au-devant des habitants {dq} pour vérifier l’ouverture des droits sociaux et proposer un rendez-vous lorsque les démarches administratives semblent trop complexes.",
    ],
    "culture_patrimoine_memoire": [
        "La Micro-Folie installée à la médiathèque de {ville} donne accès aux chefs-d’œuvre des institutions culturelles nationales. Des ateliers d’éducation artistique et culturelle y sont proposés aux écoles et aux familles {dq}, dans une logique de droits culturels.",
        "Le travail de mémoire des quartiers a donné lieu à une exposition de photographies et de témoignages d’habitants. L’histoire des quartiers, leur patrimoine architectural des années 1960 et les parcours des familles arrivées à {ville} y sont racontés à plusieurs voix.",
        "Une résidence d’artistes a investi un appartement vacant {dq} pendant {n} semaines. Pratiques artistiques, spectacle vivant et lectures publiques avec la bibliothèque : l’accès à la culture se construit au plus près des habitants.",
    ],
    "sport": [
        "Grâce au plan 5000 terrains de sport, un city stade et des équipements sportifs de proximité ont été livrés {dq}. Les clubs sportifs et les éducateurs sportifs de {ville} y proposent une pratique sportive encadrée, gratuite et ouverte à tous les âges.",
        "Le sport-santé s’adresse aux habitants éloignés de l’activité physique : marche nordique, renforcement musculaire, aquagym. Le Pass’Sport a permis à {n} enfants de s’inscrire dans un club, et le label Terre de Jeux a prolongé la dynamique des Jeux olympiques et paralympiques.",
        "Le sport féminin progresse lorsque les créneaux et les équipements sont pensés pour les filles. Soutenus par l’Agence nationale du sport, les clubs {dq} ont ouvert des sections de football et de boxe éducative réservées aux adolescentes.",
    ],
    "numerique_inclusion": [
        "La dématérialisation des démarches a creusé la fracture numérique. Les conseillers numériques de {ville} proposent des ateliers d’initiation, un accompagnement individuel et des Pass numériques pour lutter contre l’illectronisme des habitants {dq}.",
        "Un tiers-lieu labellisé fabrique numérique de territoire a ouvert {dq} : fablab, espace de coworking et médiation numérique. On y développe les compétences numériques des jeunes comme des seniors, et le réseau Aidants Connect y forme les travailleurs sociaux.",
        "L’inclusion numérique ne se limite pas à l’équipement numérique. Sur {n} personnes accompagnées, la moitié possède un smartphone mais ne maîtrise pas les usages numériques nécessaires à la recherche d’emploi ou à la relation avec l’administration.",
    ],
    "integration_langue": [
        "Les ateliers sociolinguistiques du centre social de {ville} accueillent des femmes et des hommes primo-arrivants. L’apprentissage du français y part des situations de la vie quotidienne : prendre un rendez-vous médical, parler avec l’école, lire un courrier.",
        "L’intégration des personnes immigrées passe par la maîtrise de la langue, mais aussi par la connaissance des institutions. En complément du contrat d’intégration républicaine signé avec l’OFII, des cours de français langue étrangère sont proposés {dq} en soirée.",
        "La lutte contre l’illettrisme concerne aussi des personnes scolarisées en France. Avec l’appui de l’ANLCI, {n} stagiaires ont suivi un parcours de remise à niveau ; l’interculturalité et l’accueil des réfugiés font partie de la formation des bénévoles.",
    ],
    "vie_associative": [
        "Le tissu associatif {dq} repose sur une trentaine d’associations de proximité, souvent portées par des bénévoles. Le financement des associations par subventions annuelles fragilise leurs projets : une convention pluriannuelle d’objectifs leur donne une visibilité sur trois ans.",
        "Les postes Fonjep soutiennent l’emploi associatif dans les quartiers prioritaires de {ville}. Le dispositif Quartiers solidaires et le FDVA complètent les aides ; la saisie du dossier Dauphin reste pourtant un obstacle pour les plus petites associations.",
        "Le bénévolat évolue : engagement associatif plus ponctuel, bénévoles plus jeunes, besoin de formation. Le point d’appui à la vie associative de {ville} accompagne {n} associations dans la gestion de leurs subventions aux associations et de leur comptabilité.",
    ],
    "renouvellement_urbain_npnru": [
        "Inscrit au nouveau programme national de renouvellement urbain, le projet de renouvellement urbain {dq} prévoit la démolition de {n} logements, la réhabilitation de trois résidences et la résidentialisation des pieds d’immeubles. La convention ANRU a été signée après un protocole de préfiguration.",
        "Le relogement des ménages concernés par les démolitions est encadré par une charte de relogement. À {ville}, chaque famille bénéficie d’un entretien individuel ; la reconstruction de l’offre hors site participe à la diversification de l’habitat.",
        "Quartier d’intérêt régional du NPNRU, {q} change de visage : nouvelles voiries, équipements publics, maison du projet. La rénovation urbaine ne réussit que si l’accompagnement social des habitants suit le rythme des chantiers.",
    ],
    "habitat_logement": [
        "La conférence intercommunale du logement de l’agglomération de {ville} a adopté une convention intercommunale d’attribution. Objectif : une meilleure mixité sociale dans l’occupation du parc de logement social et des attributions plus équilibrées entre bailleurs sociaux.",
        "Les copropriétés dégradées {dq} cumulent impayés, précarité énergétique et habitat indigne. Une opération programmée d’amélioration de l’habitat (OPAH) accompagne {n} copropriétaires dans la rénovation de leurs logements.",
        "Le programme local de l’habitat prévoit de favoriser les parcours résidentiels des ménages HLM. La mobilité résidentielle reste faible {dq} : les locataires souhaitent rester dans le quartier, mais dans un logement adapté à la taille de leur famille.",
    ],
    "gestion_urbaine_proximite": [
        "La gestion urbaine et sociale de proximité (GUSP) {dq} coordonne la ville, l’agglomération et les bailleurs pour la propreté, l’entretien des espaces et la collecte des encombrants. Un diagnostic en marchant trimestriel permet de repérer les dysfonctionnements avec les habitants.",
        "L’abattement de TFPB accordé aux bailleurs en quartier prioritaire finance des actions de qualité de service : gardiens supplémentaires, lutte contre les dépôts sauvages, chantiers éducatifs. À {ville}, {n} actions ont été valorisées dans le bilan annuel de l’abattement de taxe foncière.",
        "La régie de quartier de {ville} assure l’entretien des pieds d’immeubles et le ramassage des déchets tout en proposant des parcours d’insertion aux habitants. La gestion urbaine de proximité y gagne une présence régulière et un lien direct avec les locataires.",
    ],
    "mobilite": [
        "La plateforme de mobilité de {ville} propose un diagnostic mobilité aux demandeurs d’emploi, des locations de scooters et de vélos à petit prix et l’accès à une auto-école sociale pour préparer le permis de conduire.",
        "Le désenclavement {dq} passe par l’arrivée du tramway et une meilleure desserte en transports en commun en soirée. La mobilité solidaire complète l’offre : transport à la demande, garage solidaire et aide à la mobilité pour les horaires décalés.",
        "Pour {n} % des habitants interrogés, la mobilité est un frein à l’emploi. La mobilité inclusive suppose d’apprendre à se déplacer : lire un plan de réseau, utiliser une application de transport, oser sortir de son quartier.",
    ],
    "transition_ecologique": [
        "Les îlots de chaleur frappent durement {q} : dalles minérales, peu d’arbres, logements mal isolés. La végétalisation des cours d’école et la création de jardins partagés font partie du plan d’adaptation au changement climatique de {ville}.",
        "L’écologie du quotidien se construit avec les habitants : ateliers de cuisine pour une alimentation durable, agriculture urbaine sur les toits, ressourcerie et économie circulaire. La transition écologique devient une source d’emploi et de lien social {dq}.",
        "Le Fonds vert finance la rénovation énergétique de {n} équipements publics et la renaturation des espaces. La justice environnementale rappelle que les quartiers populaires sont les plus exposés au climat et à la pollution, alors qu’ils émettent le moins.",
    ],
    "emploi_insertion": [
        "La cité de l’emploi de {ville} rassemble France Travail, la mission locale, le PLIE et les structures d’insertion par l’activité économique autour des demandeurs d’emploi des quartiers prioritaires. {n} personnes ont retrouvé un emploi ou une formation professionnelle.",
        "Les clauses sociales des marchés publics et du renouvellement urbain offrent des heures d’insertion professionnelle aux habitants {dq}. Combinées aux emplois francs et au parcours emploi compétences, elles facilitent l’accès à l’emploi des personnes éloignées du marché du travail.",
        "L’école de la deuxième chance et le contrat d’engagement jeune proposent un accompagnement intensif vers l’emploi. À {ville}, l’expérimentation Territoires zéro chômeur de longue durée a créé une entreprise à but d’emploi qui lutte contre le chômage de longue durée.",
    ],
    "entrepreneuriat": [
        "Le dispositif Entrepreneuriat Quartiers 2030 soutenu par Bpifrance accompagne les créateurs d’entreprise {dq} : ateliers d’émergence, microcrédit avec l’ADIE, mise en relation avec un incubateur. {n} projets de création d’entreprise ont été détectés cette année.",
        "La pépinière d’entreprises de {ville}, installée en zone franche urbaine, héberge de jeunes entreprises à loyer modéré. Les entrepreneurs des quartiers y trouvent un accompagnement, un réseau et, pour certains, une première commande publique.",
        "L’économie sociale et solidaire offre un autre chemin vers l’entrepreneuriat : couveuse, coopérative d’activité et d’emploi, tiers-lieux productifs. Les lauréats de Talents des Cités venus de {ville} témoignent de la diversité des entrepreneurs des quartiers.",
    ],
    "commerce_proximite": [
        "Le centre commercial {dq} souffre d’une vacance commerciale élevée : {n} cellules commerciales sur quarante sont vides. Une foncière commerce a racheté les murs pour redynamiser l’offre commerciale et installer une boulangerie, une pharmacie et un artisan.",
        "La redynamisation commerciale passe aussi par les marchés forains et les rez-de-chaussée actifs. À {ville}, des locaux d’activité à loyer réduit accueillent des commerces de proximité et des artisans du quartier.",
        "Les commerces de proximité jouent un rôle social : lieu de rencontre, dépannage, services rendus aux personnes âgées. Le programme Action cœur de ville et l’ancien EPARECA ont inspiré la stratégie commerciale de {ville} pour ses quartiers prioritaires.",
    ],
    "gouvernance_contrat_de_ville": [
        "Le contrat de ville Engagements Quartiers 2030 de l’agglomération de {ville} couvre {n} quartiers prioritaires. Signé par l’EPCI, l’État et les partenaires, il remplace la logique des trois piliers par des enjeux locaux, et mobilise le droit commun avant les crédits spécifiques du programme 147.",
        "La géographie prioritaire actualisée au 1er janvier 2024 a fait entrer de nouveaux quartiers dans la politique de la ville. Le délégué du préfet et le chef de projet politique de la ville de {ville} animent la gouvernance du contrat et le comité de pilotage annuel.",
        "La dotation politique de la ville et la dotation de solidarité urbaine complètent les moyens des communes. Le pacte financier et fiscal de solidarité de l’agglomération de {ville} précise la part de la solidarité intercommunale consacrée aux quartiers prioritaires.",
    ],
    "observation_evaluation_ingenierie": [
        "L’observatoire de {ville} a construit un tableau de bord de {n} indicateurs à partir des données de l’INSEE, de la CAF et de France Travail, à l’échelle des IRIS. Ces statistiques alimentent le diagnostic territorial et l’évaluation du contrat de ville.",
        "L’évaluation à mi-parcours ne se réduit pas à un bilan chiffré. Elle pose des questions évaluatives, croise données et entretiens, et associe les conseils citoyens. La capitalisation des enseignements permet ensuite d’ajuster les actions.",
        "L’ingénierie territoriale de la politique de la ville repose sur des équipes souvent réduites. Les cycles de qualification des acteurs proposés par le centre de ressources favorisent la montée en compétences des chefs de projet, des délégués du préfet et des agents de développement.",
    ],
}
