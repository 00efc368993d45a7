"""parse_feed: RSS/Atom entries, relative links, HTML-free summaries, dates, PDF enclosures, garbage."""

from __future__ import annotations

import datetime as dt

from crpv_watch.crawl.parse_feed import html_to_text, parse_feed

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>CRPV &amp; Ville</title><link>https://crpv.example.fr/</link>
<item>
  <title>Appel à projets « Quartiers d’été »</title>
  <link>/2024/03/appel-a-projets/</link>
  <description><![CDATA[<p>Les <strong>associations</strong> des QPV peuvent candidater&nbsp;!</p><script>x()</script>]]></description>
  <pubDate>Tue, 12 Mar 2024 23:30:00 +0100</pubDate>
  <dc:creator>Marie Dupont</dc:creator>
  <guid isPermaLink="false">crpv-123</guid>
  <enclosure url="https://crpv.example.fr/wp-content/uploads/cahier.pdf" type="application/pdf" length="1000"/>
  <enclosure url="https://crpv.example.fr/podcast.mp3" type="audio/mpeg" length="1000"/>
</item>
<item><title>Sans lien</title><description>rien</description></item>
<item><title>Lien dans le guid</title><guid isPermaLink="true">https://crpv.example.fr/guid-link/</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://site.example.org/blog/">
<title type="html">Le &lt;b&gt;blog&lt;/b&gt;</title><id>urn:x</id><updated>2024-04-02T10:00:00Z</updated>
<entry><title>Rénovation urbaine</title><id>urn:e1</id>
  <link rel="alternate" href="renovation.html"/><link rel="enclosure" type="application/pdf" href="/docs/npnru.pdf"/>
  <published>2024-04-01T08:00:00+02:00</published><updated>2024-04-02T10:00:00Z</updated>
  <author><name>Équipe CRPV</name></author>
  <content type="html">&lt;p&gt;Le &lt;em&gt;NPNRU&lt;/em&gt; avance.&lt;/p&gt;</content></entry>
</feed>"""


def test_rss_entries():
    feed = parse_feed("https://crpv.example.fr/feed/", RSS.encode())
    assert feed.title == "CRPV & Ville"
    assert [e.url for e in feed.entries] == ["https://crpv.example.fr/2024/03/appel-a-projets/",
                                             "https://crpv.example.fr/guid-link/"]
    e = feed.entries[0]
    assert e.title == "Appel à projets « Quartiers d’été »"
    assert e.summary == "Les associations des QPV peuvent candidater !"
    assert e.published == dt.date(2024, 3, 12)  # UTC date of 23:30+01:00
    assert e.author == "Marie Dupont"
    assert e.entry_id == "crpv-123"
    assert e.enclosures == ["https://crpv.example.fr/wp-content/uploads/cahier.pdf"]
    assert feed.bozo is None


def test_atom_entries_relative_links_and_dates():
    feed = parse_feed("https://site.example.org/blog/atom.xml", ATOM.encode())
    assert feed.title == "Le blog"
    (e,) = feed.entries
    assert e.url == "https://site.example.org/blog/renovation.html"
    assert e.enclosures == ["https://site.example.org/docs/npnru.pdf"]
    assert e.published == dt.date(2024, 4, 1)
    assert e.updated == dt.datetime(2024, 4, 2, 10, 0, tzinfo=dt.UTC)
    assert e.summary == "Le NPNRU avance."
    assert e.author == "Équipe CRPV"


def test_windows_1252_feed():
    body = RSS.replace('encoding="UTF-8"', 'encoding="windows-1252"').encode("cp1252")
    feed = parse_feed("https://crpv.example.fr/feed/", body)
    assert feed.entries[0].title == "Appel à projets « Quartiers d’été »"


def test_malformed_feed_keeps_entries_and_reports_bozo():
    broken = RSS.replace("</channel></rss>", "<item><title>Oups & co</title><link>/oups/</link></item>")
    feed = parse_feed("https://crpv.example.fr/feed/", broken.encode())
    assert feed.bozo
    assert feed.entries and feed.entries[0].url == "https://crpv.example.fr/2024/03/appel-a-projets/"


def test_garbage_never_raises():
    for body in (b"", b"\x00\xff\xfe garbage", b"<html><body>Pas un flux</body></html>", b"/etc/passwd",
                 b"https://example.org/feed", "é".encode("utf-16"), b"<rss><channel><item>" * 1000):
        feed = parse_feed("https://x.fr/feed", body)
        assert feed.bozo, body[:20]
        assert isinstance(feed.entries, list)


def test_feed_fragments_become_text_where_a_tag_regex_would_cut_wrong():
    fragment = '<p>Un <a title="a>b">lien</a> &amp; caf&eacute;<br>fin</p><!-- x > y --><script>alert(1)</script>'
    assert html_to_text(fragment) == "Un lien & café fin"
    assert html_to_text("sans balise\xa0ici") == "sans balise ici"
