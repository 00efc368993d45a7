"""Every URL of every demo site: hubs, documents, traps, chrome pages, robots.txt — as lazy resources.

``build_routes(state)`` returns, per site key, a map from normalised path (query sorted, tracking parameters
dropped) to a ``Resource``. It is rebuilt whenever the network's state changes (``publish_new``, ``reset``…).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from . import feeds
from . import render_html as rh
from .compose import Doc
from .pdfs import build_pdf
from .sites import SITE_BY_KEY, SITES

TRACKING = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "xtor"}
PER_PAGE = {"rss": 8, "spip": 6, "portail": 4}
RSS_FEED_SIZE = 10
LISTINGS = {"experiences": ("/Les-fiches-experiences", "Les fiches expériences"),
            "appels": ("/Appels-a-projets-et-offres-d-emploi", "Appels à projets et offres d’emploi")}
ROBOTS = {
    "rss": "User-agent: *\nDisallow: /wp-admin/\nDisallow: /brouillons/\nAllow: /wp-admin/admin-ajax.php\n",
    "atom": "User-agent: *\nDisallow: /espace-adherents/\n",
    "spip": "User-agent: *\nDisallow: /ecrire/\nDisallow: /local/\nDisallow: /Espace-adherents\n",
    "pdf": "User-agent: *\nDisallow: /publications/interne/\nDisallow: /espace-adherents.html\n",
    "portail": "User-agent: *\nDisallow: /espace-adherents/\nDisallow: /recherche\n",
}
CHROME_TEXT = {
    "about": "Le centre de ressources accompagne les professionnels, les élus et les habitants engagés dans la "
             "politique de la ville : qualification, documentation, mise en réseau.",
    "legal": "Éditeur du site : association loi 1901 (site de démonstration, toutes les informations sont fictives).",
    "members": "Cet espace est réservé aux adhérents. Identifiez-vous pour accéder aux documents internes.",
}
STYLESHEET = b"body{font-family:sans-serif;max-width:60rem;margin:auto}.cookie-banner{background:#eee}\n"


@dataclass
class Resource:
    content_type: str
    produce: Callable[[], bytes]
    modified: dt.datetime
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class State:
    bases: dict[str, str]  # site key -> "http://127.0.0.2:8800"
    docs: list[Doc]  # catalogue documents, republished copies and fresh ones
    traps: list[Doc]
    updates: dict[str, list[str]]  # doc key -> update notes added by change()
    modified: dict[str, dt.datetime]  # doc key -> Last-Modified when not the publication date


def normalize(raw: str) -> str:
    path, _, query = raw.partition("#")[0].partition("?")
    params = sorted(p for p in query.split("&") if p and not _tracking(p.split("=", 1)[0]))
    return path + ("?" + "&".join(params) if params else "")


def _tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING


def newest_first(docs: list[Doc]) -> list[Doc]:
    return sorted(docs, key=lambda d: (d.published, d.key), reverse=True)


def html_bytes(site_key: str, text: str) -> bytes:
    return text.encode("cp1252", errors="xmlcharrefreplace") if site_key == "spip" else text.encode("utf-8")


def html_type(site_key: str, header_charset: bool = True) -> str:
    if site_key == "spip":
        return "text/html; charset=windows-1252" if header_charset else "text/html"
    return "text/html; charset=UTF-8"


def build_routes(state: State) -> dict[str, dict[str, Resource]]:
    routes: dict[str, dict[str, Resource]] = {s.key: {} for s in SITES}
    titles = {d.path: d.title for d in state.docs}
    by_key = {d.key: d for d in state.docs}

    def modified(docs: list[Doc]) -> dt.datetime:
        return max((state.modified.get(d.key) or feeds.entry_time(d.published) for d in docs),
                   default=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

    def add(site_key: str, path: str, ctype: str, produce: Callable[[], str | bytes], docs: list[Doc],
            headers: dict[str, str] | None = None) -> None:
        def body() -> bytes:
            value = produce()
            return value if isinstance(value, bytes) else html_bytes(site_key, value) if ctype.startswith(
                "text/html") else value.encode("utf-8")
        routes[site_key][normalize(path)] = Resource(ctype, body, modified(docs), headers or {})

    def one_site(site) -> None:  # a function, so that the closures below bind this site's names
        k, base = site.key, state.bases[site.key]
        own = [d for d in state.docs if d.site == k]
        html_docs = [d for d in own if d.kind == "html"]
        ordered = newest_first(html_docs)

        def related(doc: Doc, pool: list[Doc] = ordered) -> list[Doc]:
            others = [d for d in pool if d.key != doc.key and d.republished_from is None]
            if not others:
                return []
            start = next((i for i, d in enumerate(pool) if d.key == doc.key), 0)
            return [others[(start + j) % len(others)] for j in range(min(3, len(others)))]

        # Documents.
        for doc in own:
            url = base + doc.path
            if doc.kind == "pdf":
                add(k, doc.path, "application/pdf", lambda doc=doc: build_pdf(doc, tuple(state.updates.get(doc.key, []))),
                    [doc])
                continue
            header_charset = k != "spip" or (doc.spip_id or 0) % 2 == 0
            article = None
            note = ""
            if doc.republished_from:
                original = by_key[doc.republished_from]
                osite = SITE_BY_KEY[original.site]
                article = rh.article_html(osite, original, state.bases[original.site], titles, [])
                note = f"Article initialement publié par {rh.t(osite.short)}, republié avec son accord."
            add(k, doc.path, html_type(k, header_charset),
                lambda doc=doc, url=url, hc=header_charset, article=article, note=note: rh.document_page(
                    site, doc, base, url, titles, related(doc), state.updates.get(doc.key, []),
                    charset_meta=not hc, article=article, note=note), [doc])
            if k == "spip" and doc.key == "C07":  # old-style SPIP URL of the same article, with rel=canonical
                add(k, f"/spip.php?article{doc.spip_id}", html_type(k), lambda doc=doc, url=url: rh.document_page(
                    site, doc, base, base + f"/spip.php?article{doc.spip_id}", titles, related(doc),
                    state.updates.get(doc.key, []), canonical=url, charset_meta=False), [doc])
        for trap in (t for t in state.traps if t.site == k):
            if trap.kind == "pdf":
                extra = {"X-Robots-Tag": "noindex"} if "provisoire" in trap.path else {}
                add(k, trap.path, "application/pdf", lambda trap=trap: build_pdf(trap), [trap], extra)
            else:
                add(k, trap.path, html_type(k), lambda trap=trap: rh.document_page(
                    site, trap, base, base + trap.path, titles, [], [], noindex="noindex" in trap.key,
                    charset_meta=False), [trap])
        _hubs(site, base, state, own, ordered, add)
        # Chrome-only pages, robots.txt, stylesheet.
        for path, label in rh.NAV[k]:
            if path in _hub_paths(k) or path == "/" or path.endswith(".xml"):
                continue
            kind = "members" if "adherents" in path else "about"
            title = "Espace adhérents" if kind == "members" else label
            add(k, path, html_type(k), lambda title=title, kind=kind: rh.chrome_page(site, base, title, CHROME_TEXT[kind]),
                [])
        add(k, rh.LEGAL[k], html_type(k), lambda: rh.chrome_page(site, base, "Mentions légales", CHROME_TEXT["legal"]),
            [])
        add(k, "/robots.txt", "text/plain; charset=utf-8", lambda k=k: ROBOTS[k], [])
        add(k, "/static/site.css", "text/css", lambda: STYLESHEET, [])

    for site in SITES:
        one_site(site)
    return routes


def _hub_paths(k: str) -> set[str]:
    return {"rss": {"/category/ressources/"}, "spip": {p for p, _ in LISTINGS.values()}, "pdf": {"/publications/"},
            "portail": {"/actualites/"}, "atom": set()}[k]


def _pages(items: list, per_page: int) -> list[list]:
    return [items[i:i + per_page] for i in range(0, len(items), per_page)] or [[]]


def _hubs(site, base: str, state: State, own: list[Doc], ordered: list[Doc], add) -> None:
    """Homepage, listing pages (with pagination) and feeds of one site."""
    k = site.key
    traps = [t for t in state.traps if t.site == k]
    home = ordered[:5] if k != "pdf" else newest_first(own)[:3]
    add(k, "/", html_type(k),
        lambda: rh.listing_page(site, base, "À la une", home, intro=f"<p>{rh.t(site.tagline)}.</p>\n"), home)
    if k == "rss":
        posts = ordered + traps
        pages = _pages(posts, PER_PAGE[k])
        for i, chunk in enumerate(pages):
            path = "/category/ressources/" if i == 0 else f"/category/ressources/page/{i + 1}/"
            head, numbers = "", []
            for j in range(len(pages)):
                href = base + ("/category/ressources/" if j == 0 else f"/category/ressources/page/{j + 1}/")
                numbers.append(f'<span aria-current="page" class="page-numbers current">{j + 1}</span>' if j == i else
                               f'<a class="page-numbers" href="{href}">{j + 1}</a>')
            if i + 1 < len(pages):
                nxt = f"{base}/category/ressources/page/{i + 2}/"
                head += f'<link rel="next" href="{nxt}">\n'
                numbers.append(f'<a class="next page-numbers" href="{nxt}">Page suivante</a>')
            pagination = (f'<nav class="navigation pagination" aria-label="Pagination des publications">'
                          f'<div class="nav-links">{" ".join(numbers)}</div></nav>')
            add(k, path, html_type(k), lambda chunk=chunk, pagination=pagination, head=head: rh.listing_page(
                site, base, "Ressources", chunk, pagination=pagination, head=head), chunk)
        feed_docs = ordered[:RSS_FEED_SIZE]
        contents = {d.key: rh.sections_html(d) + rh.attachments_html(d, base, {x.path: x.title for x in state.docs})
                    for d in feed_docs}
        add(k, "/feed/", "application/rss+xml; charset=UTF-8", lambda: feeds.rss(site, base, feed_docs, contents),
            feed_docs)
    elif k == "atom":
        enclosures = {d.key: d.attachments for d in own if d.attachments}
        add(k, "/atom.xml", "application/atom+xml; charset=utf-8", lambda: feeds.atom(site, base, ordered, enclosures),
            ordered)
    elif k == "spip":
        for name, (path, heading) in LISTINGS.items():
            items = [d for d in ordered if d.listing == name] + [t for t in traps if t.listing == name]
            items = newest_first(items)
            if name == "experiences":  # the old-style URL of a fiche, listed last (a canonical duplicate)
                c07 = next(d for d in own if d.key == "C07")
                items.append(Doc(key="C07-ancien", site="spip", path=f"/spip.php?article{c07.spip_id}",
                                 title="Diagnostic en marchant : la fiche complète", published=c07.published,
                                 doctype=c07.doctype, themes=c07.themes, kind="html", pages=None,
                                 lead="La version intégrale de la fiche, avec les contacts des partenaires.",
                                 key_phrase="", town=c07.town))
            pages = _pages(items, PER_PAGE[k])
            for i, chunk in enumerate(pages):
                url = path if i == 0 else f"{path}?debut_articles={i * PER_PAGE[k]}"
                links = []
                for j in range(len(pages)):
                    href = f"{base}{path}" + (f"?debut_articles={j * PER_PAGE[k]}" if j else "") + "#pagination_articles"
                    links.append(f'<strong class="on">{j + 1}</strong>' if j == i else
                                 f'<a href="{href}" class="lien_pagination">{j + 1}</a>')
                if i + 1 < len(pages):
                    links.append(f'<a href="{base}{path}?debut_articles={(i + 1) * PER_PAGE[k]}#pagination_articles" '
                                 f'class="lien_pagination suivant" rel="next">Page suivante</a>')
                pagination = f'<p class="pagination">{" | ".join(links)}</p>' if len(pages) > 1 else ""
                add(k, url, html_type(k, header_charset=i % 2 == 0), lambda chunk=chunk, pagination=pagination,
                    heading=heading, hc=i % 2 == 0: rh.listing_page(site, base, heading, chunk, pagination=pagination,
                                                                     charset_meta=not hc), chunk)
    elif k == "pdf":
        items = newest_first(own + traps)
        add(k, "/publications/", html_type(k), lambda: rh.listing_page(
            site, base, "Publications", items, intro="<p>Toutes nos publications, en téléchargement libre.</p>\n"),
            items)
    elif k == "portail":
        pages = _pages(ordered, PER_PAGE[k])
        for i, chunk in enumerate(pages):
            items = []
            for j in range(len(pages)):
                items.append(f'<li class="pager__item is-active">{j + 1}</li>' if j == i else
                             f'<li class="pager__item"><a href="?page={j}" title="Aller à la page {j + 1}">{j + 1}</a></li>')
            if i + 1 < len(pages):
                items.append(f'<li class="pager__item pager__item--next"><a href="?page={i + 1}" rel="next" '
                             f'title="Aller à la page suivante">Suivant ›</a></li>')
            pager = f'<nav class="pager" aria-label="Pagination"><ul class="pager__items">{"".join(items)}</ul></nav>'
            add(k, "/actualites/" + (f"?page={i}" if i else ""), html_type(k), lambda chunk=chunk, pager=pager:
                rh.listing_page(site, base, "Actualités du réseau", chunk, pagination=pager), chunk)
