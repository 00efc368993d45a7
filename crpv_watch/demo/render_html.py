"""HTML of the demo sites: one page layout per centre (WordPress-like, static, SPIP-like, plain, portal).

Chrome (cookie banner, header and menu, « À lire aussi » aside, share buttons, footer) always sits outside
``<main>``; the document's text sits in ``<article>`` inside ``<main>``.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import quote
from zoneinfo import ZoneInfo

from .blocks import date_fr
from .compose import Doc
from .sites import COOKIE_TEXT, FOOTER_CREDIT, MEMBER_AREA, RELATED_MORE, SHARE_LABEL, SiteDef

PARIS = ZoneInfo("Europe/Paris")

# Menu of each site: (path, label). The member area and the about/legal pages are chrome-only pages.
NAV: dict[str, list[tuple[str, str]]] = {
    "rss": [("/", "Accueil"), ("/category/ressources/", "Ressources"), ("/a-propos/", "Qui sommes-nous ?"),
            ("/espace-adherents/", MEMBER_AREA)],
    "atom": [("/", "Accueil"), ("/a-propos/", "Le centre"), ("/atom.xml", "S’abonner au flux"),
             ("/espace-adherents/", MEMBER_AREA)],
    "spip": [("/", "Accueil"), ("/Les-fiches-experiences", "Expériences"),
             ("/Appels-a-projets-et-offres-d-emploi", "Appels à projets et emplois"), ("/Qui-sommes-nous", "Qui sommes-nous ?"),
             ("/Espace-adherents", MEMBER_AREA)],
    "pdf": [("/", "Accueil"), ("/publications/", "Publications"), ("/a-propos.html", "L’Atelier"),
            ("/espace-adherents.html", MEMBER_AREA)],
    "portail": [("/", "Accueil"), ("/actualites/", "Actualités du réseau"), ("/le-portail/", "Le portail"),
                ("/espace-adherents/", MEMBER_AREA)],
}
LEGAL = {"rss": "/mentions-legales/", "atom": "/mentions-legales/", "spip": "/Mentions-legales",
         "pdf": "/mentions-legales.html", "portail": "/mentions-legales/"}


def t(text: str) -> str:
    return escape(text, quote=False)


def a(text: str) -> str:
    return escape(text, quote=True)


def published_iso(d: dt.date) -> str:
    return dt.datetime(d.year, d.month, d.day, 9, 30, tzinfo=PARIS).isoformat()


def sections_html(doc: Doc, heading_tag: str = "h2", heading_class: str = "") -> str:
    cls = f' class="{heading_class}"' if heading_class else ""
    out = []
    for heading, paras in doc.sections:
        if heading:
            out.append(f"<{heading_tag}{cls}>{t(heading)}</{heading_tag}>")
        out.extend(f"<p>{t(p)}</p>" for p in paras)
    return "\n".join(out)


def attachments_html(doc: Doc, base: str, titles: dict[str, str]) -> str:
    return "\n".join(f'<p class="document-joint"><a href="{base}{p}" type="application/pdf">Télécharger « {t(titles[p])} » '
                     f"(PDF)</a></p>" for p in doc.attachments)


def updates_html(updates: list[str]) -> str:
    return "\n".join(f'<p class="mise-a-jour">{t(u)}</p>' for u in updates)


def article_html(site: SiteDef, doc: Doc, base: str, titles: dict[str, str], updates: list[str]) -> str:
    """The ``<article>`` element of a document, in the markup of its site."""
    date_txt, iso = date_fr(doc.published), doc.published.isoformat()
    body = "\n".join(x for x in (sections_html(doc), attachments_html(doc, base, titles), updates_html(updates)) if x)
    if site.key == "rss":
        return (f'<article id="post-{doc.key}" class="post type-post status-publish format-standard hentry">\n'
                f'<header class="entry-header"><h1 class="entry-title">{t(doc.title)}</h1>\n'
                f'<div class="entry-meta"><span class="posted-on">Publié le <time class="entry-date published" '
                f'datetime="{published_iso(doc.published)}">{date_txt}</time></span></div></header>\n'
                f'<div class="entry-content">\n<p><strong>{t(doc.lead)}</strong></p>\n{body}\n</div>\n</article>')
    if site.key == "atom":
        return (f'<article class="ressource">\n<h1>{t(doc.title)}</h1>\n'
                f'<p class="date">Mis en ligne le <time datetime="{iso}">{date_txt}</time></p>\n'
                f'<p class="chapo">{t(doc.lead)}</p>\n{body}\n</article>')
    if site.key == "spip":
        body = body.replace("<h2>", '<h2 class="spip">')
        return (f'<article class="article">\n<header class="cartouche"><h1 class="surlignable">{t(doc.title)}</h1>\n'
                f'<p class="info-publi">Publié le {date_txt}</p></header>\n'
                f'<div class="chapo surlignable"><p>{t(doc.lead)}</p></div>\n'
                f'<div class="texte surlignable">\n{body}\n</div>\n</article>')
    return (f'<article class="node node--type-actualite">\n<h1 class="page-title">{t(doc.title)}</h1>\n'
            f'<div class="field--name-field-date">Publié le <time datetime="{iso}">{date_txt}</time></div>\n'
            f'<div class="field--name-body">\n<p>{t(doc.lead)}</p>\n{body}\n</div>\n</article>')


def related_html(related: list[Doc], base: str) -> str:
    if not related:
        return ""
    items = "\n".join(f'<li><a href="{base}{d.path}">{t(d.title)}</a></li>' for d in related)
    return (f'<aside class="a-lire-aussi related-posts" aria-label="À lire aussi">\n<h2>À lire aussi</h2>\n<ul>\n{items}\n'
            f'</ul>\n<p><a href="{base}/">{RELATED_MORE}</a></p>\n</aside>')


def share_html(url: str, title: str) -> str:
    u, ti = quote(url, safe=""), quote(title, safe="")
    return (f'<div class="share-buttons partage" aria-label="Partager">\n<span>{SHARE_LABEL} :</span>\n'
            f'<a class="share-facebook" href="https://partage.example/facebook?u={u}">Facebook</a>\n'
            f'<a class="share-linkedin" href="https://partage.example/linkedin?url={u}">LinkedIn</a>\n'
            f'<a class="share-mail" href="mailto:?subject={ti}&amp;body={u}">Courriel</a>\n</div>')


def layout(site: SiteDef, base: str, title: str, main: str, *, head: str = "", after_main: str = "",
           charset_meta: bool = True, lang: str = "fr") -> str:
    """A whole page: head, cookie banner, header and menu, ``<main>``, asides, footer."""
    nav = "\n".join(f'<li class="menu-item"><a href="{base}{p}">{t(label)}</a></li>' for p, label in NAV[site.key])
    meta = '<meta charset="utf-8">\n' if charset_meta and site.key != "spip" else ""
    if site.key == "spip" and charset_meta:
        meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">\n'
    generator = {"rss": "WordPress 6.4.3", "spip": "SPIP 4.2.8 GIT [4.2: 2e7c8a1]"}.get(site.key)
    if generator:
        meta += f'<meta name="generator" content="{generator}">\n'
    body_class = {"rss": "wp-site-blocks single", "atom": "static", "spip": "page_article", "pdf": "publications",
                  "portail": "path-actualites"}[site.key]
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{meta}'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{t(title)}</title>\n{head}'
            f'<link rel="stylesheet" href="{base}/static/site.css">\n</head>\n<body class="{body_class}">\n'
            f'<a class="skip-link" href="#contenu">Aller au contenu</a>\n'
            f'<div id="cookie-banner" class="cookie-banner cookie-notice" role="dialog" aria-label="Cookies">\n'
            f'<p>{t(COOKIE_TEXT)}</p>\n<button type="button">Tout accepter</button> <button type="button">Tout refuser</button>\n'
            f'</div>\n<header class="site-header" role="banner">\n<p class="site-title"><a href="{base}/">{t(site.short)}</a></p>\n'
            f'<p class="site-description">{t(site.tagline)}</p>\n<nav class="main-navigation" aria-label="Menu principal">\n'
            f'<ul class="menu">\n{nav}\n</ul>\n</nav>\n</header>\n'
            f'<main id="contenu" class="site-main" role="main">\n{main}\n</main>\n{after_main}\n'
            f'<footer class="site-footer" role="contentinfo">\n<p>© {t(site.name)}</p>\n'
            f'<p><a href="{base}{LEGAL[site.key]}">Mentions légales</a> · <a href="{base}/">Plan du site</a></p>\n'
            f'<p class="credits">{t(FOOTER_CREDIT)}</p>\n</footer>\n</body>\n</html>\n')


def document_page(site: SiteDef, doc: Doc, base: str, url: str, titles: dict[str, str], related: list[Doc],
                  updates: list[str], *, canonical: str | None = None, noindex: bool = False, charset_meta: bool = True,
                  article: str | None = None, note: str = "") -> str:
    head = ""
    if site.key == "rss":
        head += f'<link rel="alternate" type="application/rss+xml" title="{a(site.short)} » Flux" href="{base}/feed/">\n'
    if site.key == "atom":
        head += f'<link rel="alternate" type="application/atom+xml" title="{a(site.short)}" href="{base}/atom.xml">\n'
        head += f'<meta name="description" content="{a(doc.lead)}">\n'
    if site.key in ("rss", "portail"):
        head += (f'<link rel="canonical" href="{url}">\n<meta property="og:type" content="article">\n'
                 f'<meta property="og:title" content="{a(doc.title)}">\n'
                 f'<meta property="article:published_time" content="{published_iso(doc.published)}">\n')
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">\n'
    if noindex:
        head += '<meta name="robots" content="noindex, follow">\n'
    main = article if article is not None else article_html(site, doc, base, titles, updates)
    aside = related_html(related, base)
    if note:
        aside = f'<aside class="source-note" aria-label="Source">\n<p>{note}</p>\n</aside>\n' + aside
    return layout(site, base, doc.title + site.title_sep + site.short, main, head=head,
                  after_main=aside + "\n" + share_html(url, doc.title), charset_meta=charset_meta)


def teaser(site: SiteDef, doc: Doc, base: str) -> str:
    url, title, lead = f"{base}{doc.path}", t(doc.title), t(doc.lead)
    if site.key == "rss":
        return (f'<article class="post type-post"><h2 class="entry-title"><a href="{url}" rel="bookmark">{title}</a></h2>\n'
                f'<div class="entry-summary"><p>{lead}</p></div>\n<a class="more-link" href="{url}">Lire la suite</a></article>')
    if site.key == "spip":
        return (f'<li class="item"><a class="lien_article" href="{url}"><span class="titre">{title}</span></a>\n'
                f'<span class="introduction">{lead}</span> <span class="date">{date_fr(doc.published)}</span></li>')
    if site.key == "pdf":
        return (f'<li class="publication"><a href="{url}" type="application/pdf">{title}</a> '
                f'<span class="meta">(PDF, {doc.pages} p., {date_fr(doc.published)})</span>\n<p>{lead}</p></li>')
    return (f'<div class="views-row"><h2><a href="{url}">{title}</a></h2>\n<p>{lead}</p>\n'
            f'<p class="date">{date_fr(doc.published)}</p></div>')


def listing_page(site: SiteDef, base: str, heading: str, docs: list[Doc], *, pagination: str = "",
                 head: str = "", charset_meta: bool = True, intro: str = "") -> str:
    items = "\n".join(teaser(site, d, base) for d in docs)
    if site.key in ("spip", "pdf"):
        items = f'<ul class="liste-items">\n{items}\n</ul>'
    main = f'<h1 class="page-title">{t(heading)}</h1>\n{intro}{items}\n{pagination}'
    return layout(site, base, heading + site.title_sep + site.short, main, head=head, charset_meta=charset_meta)


def chrome_page(site: SiteDef, base: str, title: str, text: str) -> str:
    main = f'<div class="page-content"><h1>{t(title)}</h1>\n<p>{t(text)}</p></div>'
    return layout(site, base, title + site.title_sep + site.short, main)


def error_page(status: int) -> str:
    label = {404: "Page introuvable", 410: "Contenu supprimé"}.get(status, "Erreur")
    return (f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{status} – {label}</title></head>\n'
            f"<body><h1>{label}</h1><p>Erreur {status}.</p></body></html>\n")
