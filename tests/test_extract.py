"""extract_html: main text without chrome, title without site suffix, dates, language, summary, attachments."""

from __future__ import annotations

import datetime as dt

import pytest

from crpv_watch.crawl.extract import extract_html, parse_date, strip_site_suffix
from crpv_watch.crawl.parse_html import parse_html
from crpv_watch.items import FeedEntry

BODY = ("<p>Le nouveau contrat de ville « Quartiers 2030 » a été signé par l’État, la communauté "
        "d’agglomération et les bailleurs sociaux. Il couvre les onze quartiers prioritaires du territoire.</p>"
        "<p>Les conseils citoyens ont participé à son élaboration pendant un an : ateliers, diagnostics en marchant "
        "et réunions publiques ont permis de fixer trois priorités, l’emploi des jeunes, la tranquillité publique "
        "et la rénovation des écoles.</p>"
        "<p>Le document complet est disponible : <a href=\"/wp-content/uploads/2024/03/contrat-2030.pdf\">"
        "télécharger le contrat (PDF)</a>.</p>")

WORDPRESS = f"""<!doctype html><html lang="fr-FR"><head><meta charset="UTF-8">
<title>Signature du contrat de ville 2030 – CRPV Essonne</title>
<meta property="og:site_name" content="CRPV Essonne">
<meta property="og:title" content="Signature du contrat de ville 2030 – CRPV Essonne">
<meta property="article:published_time" content="2024-03-12T09:30:00+00:00">
<meta name="author" content="Claire Martin">
<link rel="canonical" href="https://crpv.example.fr/2024/03/signature-contrat/">
</head><body class="post-template-default single has-sidebar">
<a class="skip-link" href="#content">Aller au contenu</a>
<div id="cookie-law-info-bar">Nous utilisons des cookies pour mesurer l’audience. <a href="/cookies/">Accepter</a></div>
<header id="masthead" class="site-header"><p class="site-title"><a href="/">CRPV Essonne</a></p>
<nav id="site-navigation" class="main-navigation"><ul><li><a href="/qui-sommes-nous/">Qui sommes-nous</a></li>
<li><a href="/ressources/">Centre de ressources documentaires</a></li></ul></nav></header>
<div id="content" class="site-content"><main id="main" class="site-main">
<article class="post type-post"><header class="entry-header"><h1 class="entry-title">Signature du contrat de ville 2030</h1>
<div class="entry-meta">Publié le <time class="entry-date published" datetime="2024-03-12T09:30:00+00:00">12 mars 2024</time></div></header>
<div class="entry-content">{BODY}</div>
<footer class="entry-footer"><span class="cat-links"><a href="/category/actualites/">Actualités</a></span></footer>
</article>
<div class="sharedaddy sd-sharing-enabled"><h3>Partager :</h3><a href="https://twitter.com/share">Twitter</a></div>
<section class="a-lire-aussi"><h2>À lire aussi</h2><ul><li><a href="/2024/02/gup/">Gestion urbaine de proximité : les nouveaux diagnostics partagés</a></li></ul></section>
</main>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2>Articles récents</h2>
<ul><li><a href="/2023/12/bilan/">Bilan de l’observatoire des quartiers 2023</a></li></ul></section></aside></div>
<footer id="colophon" class="site-footer"><p>© 2024 CRPV Essonne – Mentions légales – Plan du site – Accessibilité : non conforme</p>
<a href="/wp-content/uploads/plaquette.pdf">Plaquette</a></footer>
</body></html>"""

SPIP = f"""<html lang="fr"><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>Évaluation à mi-parcours | Ressources Ville</title>
<meta name="description" content="Retour sur l’évaluation à mi-parcours des contrats de ville.">
</head><body><div class="page">
<div class="header"><a href="./">Ressources Ville</a></div>
<div class="menu menu_rubriques"><a href="spip.php?rubrique1">Emploi</a> <a href="spip.php?rubrique2">Habitat</a></div>
<div class="ariane"><a href="./">Accueil</a> &gt; <a href="spip.php?rubrique4">Actualités</a></div>
<div class="contenu-principal"><div class="cartouche"><h1 class="surlignable">Évaluation à mi-parcours</h1>
<p class="info-publi">Publié le 5 février 2023</p></div>
<div class="texte surlignable">{BODY}</div></div>
<div class="aside"><div class="menu"><h2>Dans la même rubrique</h2><a href="spip.php?article9">Autre article de la rubrique très intéressant</a></div></div>
<div class="footer">Plan du site | Se connecter | Contact | Mentions légales du site Ressources Ville</div>
</div></body></html>"""


def _extract(html: str, url: str, encoding: str | None = "utf-8", entry=None):
    body = html.encode("cp1252" if encoding == "windows-1252" else "utf-8")
    return extract_html(parse_html(url, body, encoding), entry)


CHROME_WORDS = ["cookies", "Qui sommes-nous", "Centre de ressources documentaires", "Partager", "À lire aussi",
                "nouveaux diagnostics partagés", "Articles récents", "observatoire des quartiers", "Mentions légales",
                "Plan du site", "Aller au contenu", "Dans la même rubrique", "Autre article", "Se connecter"]


@pytest.mark.parametrize("kind", ["wordpress", "spip"])
def test_main_text_without_chrome(kind):
    if kind == "wordpress":
        doc = _extract(WORDPRESS, "https://crpv.example.fr/2024/03/signature-contrat/?utm_source=nl")
    else:
        doc = _extract(SPIP, "https://ressources-ville.example.org/spip.php?article12", "windows-1252")
    assert "onze quartiers prioritaires" in doc.text
    assert "l’emploi des jeunes" in doc.text
    for word in CHROME_WORDS:
        assert word not in doc.text, word


def test_wordpress_metadata():
    doc = _extract(WORDPRESS, "https://crpv.example.fr/2024/03/signature-contrat/?utm_source=nl")
    assert doc.title == "Signature du contrat de ville 2030"
    assert doc.published == dt.date(2024, 3, 12)
    assert doc.author == "Claire Martin"
    assert doc.language == "fr"
    assert doc.canonical_url == "https://crpv.example.fr/2024/03/signature-contrat/"
    assert doc.attachments == ["https://crpv.example.fr/wp-content/uploads/2024/03/contrat-2030.pdf"]
    assert doc.summary.startswith("Le nouveau contrat de ville") and len(doc.summary) <= 301
    assert doc.content_type == "text/html"


def test_spip_metadata_from_visible_date_and_description():
    doc = _extract(SPIP, "https://ressources-ville.example.org/spip.php?article12", "windows-1252")
    assert doc.title == "Évaluation à mi-parcours"
    assert doc.published == dt.date(2023, 2, 5)
    assert doc.summary == "Retour sur l’évaluation à mi-parcours des contrats de ville."
    assert doc.canonical_url == "https://ressources-ville.example.org/spip.php?article12"


def test_feed_entry_wins_for_title_and_date():
    entry = FeedEntry(url="https://crpv.example.fr/x", title="Titre du flux", published=dt.date(2024, 1, 2))
    doc = _extract(WORDPRESS, "https://crpv.example.fr/x", entry=entry)
    assert doc.title == "Titre du flux"
    assert doc.published == dt.date(2024, 1, 2)


def test_title_suffix_from_title_tag_when_no_h1():
    html = ("<html><head><title>Guide des conseils citoyens | CRPV Occitanie</title></head><body><main>"
            + BODY + "</main></body></html>")
    assert _extract(html, "https://s.fr/guide").title == "Guide des conseils citoyens"


def test_fallback_when_trafilatura_finds_nothing():
    html = "<html><body><article><p>Court texte sur la cohésion sociale.</p></article><footer>Pied</footer></body></html>"
    doc = _extract(html, "https://s.fr/court")
    assert "cohésion sociale" in doc.text and "Pied" not in doc.text


@pytest.mark.parametrize(("value", "expected"), [
    ("Publié le 12 mars 2024", dt.date(2024, 3, 12)),
    ("1er avril 2023", dt.date(2023, 4, 1)),
    ("le 3 août 2022 à 10h", dt.date(2022, 8, 3)),
    ("12 déc. 2021", dt.date(2021, 12, 12)),
    ("12/03/2024", dt.date(2024, 3, 12)),
    ("2024-03-12T09:30:00+00:00", dt.date(2024, 3, 12)),
    ("31/02/2024", None),
    ("aucune date", None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(("title", "site", "expected"), [
    ("Contrat de ville – CRPV Essonne", "CRPV Essonne", "Contrat de ville"),
    ("Contrat de ville | Site", "", "Contrat de ville"),
    ("Contrat de ville - Site", "", "Contrat de ville"),
    ("CRPV Essonne | Contrat de ville", "CRPV Essonne", "Contrat de ville"),
    ("Contrat de ville", "", "Contrat de ville"),
])
def test_strip_site_suffix(title, site, expected):
    assert strip_site_suffix(title, site) == expected
