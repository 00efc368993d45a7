"""parse_html (decoding, structure, chrome vs main links, pagination) and discover (candidate documents)."""

from __future__ import annotations

from crpv_watch.crawl import discover
from crpv_watch.crawl.parse_html import decode_html, parse_html
from crpv_watch.sources.load import Source

LISTING = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Actualités – CRPV Essonne</title>
<link rel="canonical" href="/actualites/">
<link rel="alternate" type="application/rss+xml" title="Flux" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="https://crpv.example.fr/atom.xml">
<meta name="robots" content="index, follow">
</head><body class="blog has-sidebar">
<header id="masthead"><a href="/">Accueil</a><nav class="main-navigation"><a href="/ressources/">Ressources</a></nav></header>
<div id="cookie-notice"><a href="/mentions-legales/">En savoir plus</a></div>
<ul class="breadcrumb"><li><a href="/">Accueil</a></li></ul>
<main id="main">
  <article><h2><a href="/2024/03/contrat-de-ville/?utm_source=x#respond">Le contrat de ville 2024</a></h2>
    <p>Publié le 12 mars 2024 dans <a href="/category/actualites/">Actualités</a></p>
    <p><a href="/wp-content/uploads/2024/03/guide.PDF">Le guide (PDF)</a>
       <a href="/telecharger?id=4" type="application/pdf">Fiche</a></p></article>
  <article><h2><a href="https://crpv.example.fr/2024/02/gup/">Gestion urbaine de proximité</a></h2></article>
  <p><a href="https://partenaire.example.org/etude">Étude partenaire</a> <a href="mailto:a@b.fr">Écrire</a>
     <a href="javascript:void(0)">JS</a> <a href="#top">Haut</a> <a href="https://www.anct.gouv.fr/doc">ANCT</a></p>
  <div class="share-buttons"><a href="https://twitter.com/share?u=1">Partager</a></div>
  <nav class="navigation pagination" aria-label="Publications"><div class="nav-links">
    <span aria-current="page" class="page-numbers current">1</span>
    <a class="page-numbers" href="/actualites/page/2/">2</a>
    <a class="page-numbers" href="/actualites/page/3/">3</a></div></nav>
</main>
<aside id="secondary" class="widget-area"><section class="widget"><a href="/2023/old/">Ancien article</a></section></aside>
<footer><a href="/contact/">Contact</a></footer>
</body></html>"""


def _page(html=LISTING, url="https://crpv.example.fr/actualites/"):
    return parse_html(url, html.encode("utf-8"), "utf-8")


def test_decode_windows_1252_from_header_meta_and_sniffing():
    text = "<html><body><p>L’été, les œuvres des quartiers : « égalité »</p></body></html>"
    body = text.encode("cp1252")
    assert "L’été, les œuvres" in decode_html(body, "windows-1252")
    assert "L’été" in decode_html(body, "iso-8859-1")  # latin-1 labels mean windows-1252
    meta = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
            + text[6:]).encode("cp1252")
    assert "les œuvres" in decode_html(meta, None)
    assert "les œuvres" in decode_html(("<meta charset='windows-1252'>" + text).encode("cp1252"), None)
    # Header says UTF-8 but the bytes are not: fall through instead of producing mojibake.
    assert "L’été" in decode_html(body, "utf-8")
    long = ("<html><body>" + "<p>Les habitants des quartiers prioritaires ont été associés à l’évaluation.</p>" * 20)
    assert "l’évaluation" in decode_html(long.encode("cp1252"), None)
    assert decode_html("é".encode() , None) == "é"
    assert decode_html(b"\xef\xbb\xbf<p>\xc3\xa9</p>", "windows-1252") == "<p>é</p>"  # BOM wins


def test_structure_title_canonical_feeds_robots():
    page = _page()
    assert page.title == "Actualités – CRPV Essonne"
    assert page.canonical_url == "https://crpv.example.fr/actualites/"
    assert page.feed_links == ["https://crpv.example.fr/feed/", "https://crpv.example.fr/atom.xml"]
    assert not page.noindex and not page.nofollow
    robots = _page('<html><head><meta name="ROBOTS" content="NOINDEX, nofollow"></head><body></body></html>')
    assert robots.noindex and robots.nofollow
    none = _page('<html><head><meta name="robots" content="none"></head><body></body></html>')
    assert none.noindex and none.nofollow


def test_links_absolute_without_fragment_and_chrome_flags():
    page = _page()
    by_text = {link.text: link for link in page.links}
    assert by_text["Le contrat de ville 2024"].url == "https://crpv.example.fr/2024/03/contrat-de-ville/?utm_source=x"
    assert by_text["Le contrat de ville 2024"].in_main
    for chrome in ("Accueil", "Ressources", "En savoir plus", "Partager", "Ancien article", "Contact"):
        assert not by_text[chrome].in_main, chrome
    assert by_text["Le guide (PDF)"].kind == "pdf" and by_text["Fiche"].kind == "pdf"
    assert by_text["2"].kind == "next"
    assert by_text["Gestion urbaine de proximité"].kind == "page"
    assert not any(link.url.startswith(("mailto", "javascript")) for link in page.links)
    assert "Haut" not in by_text


def test_next_page_variants():
    assert _page().next_page == "https://crpv.example.fr/actualites/page/2/"
    rel = _page('<html><head><link rel="next" href="?page=2"></head><body><a href="/x">x</a></body></html>',
                "https://s.fr/liste?page=1")
    assert rel.next_page == "https://s.fr/liste?page=2"
    text = _page('<html><body><main><a href="/a">Article</a></main>'
                 '<div class="pager"><a href="/l?p=1">Page précédente</a> <a href="/l?p=3">Page suivante »</a></div>'
                 '</body></html>', "https://s.fr/l?p=2")
    assert text.next_page == "https://s.fr/l?p=3"
    spip = _page('<html><body><p class="pagination"><a href="/spip.php?rubrique3&debut_articles=0">1</a> '
                 '<strong class="on">2</strong> <a href="/spip.php?rubrique3&debut_articles=20">3</a> '
                 '<a href="/spip.php?rubrique3&debut_articles=30">4</a></p></body></html>',
                 "https://s.fr/spip.php?rubrique3&debut_articles=10")
    assert spip.next_page == "https://s.fr/spip.php?rubrique3&debut_articles=20"
    symbol = _page('<html><body><a href="/l/2">›</a><a href="/l/9">Dernière »</a></body></html>', "https://s.fr/l/1")
    assert symbol.next_page == "https://s.fr/l/2"
    assert _page("<html><body><a href='/a'>a</a></body></html>").next_page is None


def test_layout_classes_do_not_hide_main_content():
    html = ('<html><body><div class="site has-sidebar"><div class="elementor-widget-container">'
            '<p><a href="/doc">Document</a></p></div></div>'
            '<div class="sidebar"><a href="/autre">Autre</a></div>'
            '<div class="a-lire-aussi"><a href="/lire">Lire</a></div></body></html>')
    links = {link.text: link.in_main for link in _page(html, "https://s.fr/").links}
    assert links == {"Document": True, "Autre": False, "Lire": False}


def test_base_href_is_respected():
    page = _page('<html><head><base href="https://cdn.s.fr/dossier/"></head><body><a href="doc.pdf">d</a></body></html>',
                 "https://s.fr/page")
    assert page.links[0].url == "https://cdn.s.fr/dossier/doc.pdf"


def _source(**kw):
    return Source(id="essonne", name="CRPV Essonne", homepage="https://crpv.example.fr/", **kw)


def test_document_links_main_same_host_canonical_unique():
    page = _page()
    docs = discover.document_links(page, _source())
    assert docs == [
        "https://crpv.example.fr/2024/03/contrat-de-ville/",
        "https://crpv.example.fr/wp-content/uploads/2024/03/guide.PDF",
        "https://crpv.example.fr/telecharger?id=4",
        "https://crpv.example.fr/2024/02/gup/",
    ]


def test_document_links_include_and_exclude():
    page = _page()
    docs = discover.document_links(page, _source(include=[r"^https://www\.anct\.gouv\.fr/"], exclude=[r"/gup/"]))
    assert "https://www.anct.gouv.fr/doc" in docs
    assert "https://crpv.example.fr/2024/02/gup/" not in docs
    assert "https://partenaire.example.org/etude" not in docs
    assert discover.allowed_by_patterns("https://crpv.example.fr/x", _source())
    assert not discover.allowed_by_patterns("https://crpv.example.fr/x", _source(exclude=["/x$"]))
    assert not discover.allowed_by_patterns("https://autre.fr/x", _source())
    assert discover.allowed_by_patterns("https://autre.fr/x", _source(include=["autre\\.fr"]))


def test_document_links_skip_self_pagination_feeds_and_listings():
    html = ('<html><head><link rel="canonical" href="https://s.fr/liste/"></head><body><main>'
            '<a href="https://s.fr/liste/">Cette page</a><a href="/liste/?utm_medium=x">Encore</a>'
            '<a href="/feed/">RSS</a><a href="/" >Accueil</a><a href="/tag/emploi/">Emploi</a>'
            '<a href="/liste/page/2/">2</a><a rel="next" href="/liste/?p=2">Suite</a>'
            '<a href="/doc-a">A</a><a href="/doc-a#x">A bis</a></main></body></html>')
    page = _page(html, "https://s.fr/liste/")
    assert discover.document_links(page, None) == ["https://s.fr/doc-a"]
    assert discover.next_page(page) == "https://s.fr/liste/?p=2"
    assert discover.next_page(_page("<html><body></body></html>")) is None
