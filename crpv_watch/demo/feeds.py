"""RSS 2.0 (WordPress-like) and Atom feeds of the demo network."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from html import escape

from .compose import Doc
from .sites import SiteDef

UTM = "utm_source=rss&utm_medium=rss&utm_campaign="


def entry_time(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, 8, 30, tzinfo=dt.UTC)


def x(text: str) -> str:
    return escape(text, quote=True)


def feed_link(doc: Doc, base: str) -> str:
    url = f"{base}{doc.path}"
    if doc.feed_utm:
        url += "?" + UTM + doc.path.strip("/").rsplit("/", 1)[-1]
    return url


def rss(site: SiteDef, base: str, docs: list[Doc], contents: dict[str, str]) -> str:
    """``docs`` newest first; ``contents`` maps a doc key to the HTML of its entry content."""
    items = []
    for doc in docs:
        link = feed_link(doc, base)
        items.append(
            f"<item>\n<title>{x(doc.title)}</title>\n<link>{x(link)}</link>\n"
            f"<dc:creator><![CDATA[L’équipe de {site.short}]]></dc:creator>\n"
            f"<pubDate>{format_datetime(entry_time(doc.published))}</pubDate>\n"
            f"<category><![CDATA[Ressources]]></category>\n"
            f'<guid isPermaLink="false">{base}/?p={_post_id(doc)}</guid>\n'
            f"<description><![CDATA[{doc.lead} […]]]></description>\n"
            f"<content:encoded><![CDATA[{contents[doc.key]}]]></content:encoded>\n</item>")
    last = format_datetime(entry_time(max(d.published for d in docs))) if docs else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f"<title>{x(site.short)}</title>\n"
            f'<atom:link href="{base}/feed/" rel="self" type="application/rss+xml" />\n'
            f"<link>{base}</link>\n<description>{x(site.tagline)}</description>\n"
            f"<lastBuildDate>{last}</lastBuildDate>\n<language>fr-FR</language>\n"
            "<generator>https://wordpress.org/?v=6.4.3</generator>\n" + "\n".join(items) + "\n</channel>\n</rss>\n")


def _post_id(doc: Doc) -> int:
    number = int(doc.key[1:]) if doc.key[1:].isdigit() else 99
    return (500 if doc.key.startswith("N") else 100) + number


def atom(site: SiteDef, base: str, docs: list[Doc], enclosures: dict[str, list[str]]) -> str:
    entries = []
    for doc in docs:
        stamp = entry_time(doc.published).strftime("%Y-%m-%dT%H:%M:%SZ")
        encl = "".join(f'<link rel="enclosure" type="application/pdf" href="{base}{p}"/>\n'
                       for p in enclosures.get(doc.key, []))
        entries.append(
            f"<entry>\n<title>{x(doc.title)}</title>\n"
            f'<link rel="alternate" type="text/html" href="{base}{doc.path}"/>\n{encl}'
            f"<id>tag:trame-urbaine.demo,{doc.published.year}:{doc.path.strip('/')}</id>\n"
            f"<published>{stamp}</published>\n<updated>{stamp}</updated>\n"
            f"<author><name>{x(site.short)}</name></author>\n"
            f'<category term="{doc.doctype}"/>\n<summary type="text">{x(doc.lead)}</summary>\n</entry>')
    updated = entry_time(max(d.published for d in docs)).strftime("%Y-%m-%dT%H:%M:%SZ") if docs else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">\n'
            f"<title>{x(site.short)} – ressources</title>\n<subtitle>{x(site.tagline)}</subtitle>\n"
            f'<link rel="self" type="application/atom+xml" href="{base}/atom.xml"/>\n'
            f'<link rel="alternate" type="text/html" href="{base}/"/>\n'
            f"<id>tag:trame-urbaine.demo,2024:/</id>\n<updated>{updated}</updated>\n"
            + "\n".join(entries) + "\n</feed>\n")
