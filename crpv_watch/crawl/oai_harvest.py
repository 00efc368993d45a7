"""OAI-PMH harvesting through the crawler's own fetcher: ListRecords pages (with resumption tokens) parsed into
plain Dublin Core records.

The requests go through ``crawl/fetch.py`` like every other fetch (robots.txt, per-host delay, SSRF guard, size
limits, retries), so an OAI-PMH client library's own HTTP is not used; the XML is parsed with lxml with entity
expansion and network access off. Protocol: https://www.openarchives.org/OAI/openarchivesprotocol.html
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from lxml import etree

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
DC_FIELDS = ("title", "creator", "contributor", "date", "description", "subject", "identifier", "type",
             "language", "publisher", "relation", "format", "rights", "source", "coverage")
MAX_PAGES = 1000  # a harvest stops there: a repository that loops on its tokens cannot hold a crawl forever
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


class HarvestError(Exception):
    """The endpoint answered something that is not a usable OAI-PMH answer (the message says what)."""


@dataclass
class OaiRecord:
    identifier: str
    datestamp: str
    deleted: bool = False
    dc: dict[str, list[str]] = field(default_factory=dict)  # Dublin Core element → values, in order
    xml: bytes = b""  # the record as served, to notice unchanged records

    def first(self, name: str) -> str:
        return (self.dc.get(name) or [""])[0]


@dataclass
class OaiPage:
    records: list[OaiRecord]
    token: str | None  # resumption token of the next page, None at the end
    response_date: str = ""


def list_records_url(endpoint: str, *, metadata_prefix: str = "oai_dc", set_spec: str | None = None,
                     since: str | None = None, token: str | None = None) -> str:
    if token:
        params = [("verb", "ListRecords"), ("resumptionToken", token)]
    else:
        params = [("verb", "ListRecords"), ("metadataPrefix", metadata_prefix)]
        if set_spec:
            params.append(("set", set_spec))
        if since:
            params.append(("from", since))
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def get_record_url(endpoint: str, identifier: str, metadata_prefix: str = "oai_dc") -> str:
    """The stable address of one record: the document's place (its deletion is found under it)."""
    params = [("verb", "GetRecord"), ("metadataPrefix", metadata_prefix), ("identifier", identifier)]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def parse_page(body: bytes) -> OaiPage:
    """One ListRecords answer. ``noRecordsMatch`` is an empty page; any other OAI error or broken XML raises."""
    try:
        root = etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError as exc:
        raise HarvestError(f"réponse OAI-PMH illisible (XML invalide : {exc})") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise HarvestError(f"réponse qui n'est pas de l'OAI-PMH (élément racine {root.tag!r})")
    response_date = root.findtext(f"{OAI}responseDate") or ""
    error = root.find(f"{OAI}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return OaiPage([], None, response_date)
        raise HarvestError(f"erreur OAI-PMH {error.get('code')} : {_text(error)}")
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise HarvestError("réponse OAI-PMH sans ListRecords")
    records = []
    for element in listing.findall(f"{OAI}record"):
        header = element.find(f"{OAI}header")
        identifier = header.findtext(f"{OAI}identifier") if header is not None else None
        if not identifier:
            raise HarvestError("notice OAI-PMH sans identifiant")
        record = OaiRecord(identifier=identifier.strip(), datestamp=(header.findtext(f"{OAI}datestamp") or "").strip(),
                           deleted=header.get("status") == "deleted", xml=etree.tostring(element))
        metadata = element.find(f"{OAI}metadata")
        if metadata is not None and not record.deleted:
            for child in metadata.iter():
                if isinstance(child.tag, str) and child.tag.startswith(DC):
                    name = child.tag[len(DC):]
                    value = _text(child)
                    if name in DC_FIELDS and value:
                        record.dc.setdefault(name, []).append(value)
        records.append(record)
    token_element = listing.find(f"{OAI}resumptionToken")
    token = (token_element.text or "").strip() if token_element is not None else ""
    return OaiPage(records, token or None, response_date)


def harvest(fetch, endpoint: str, *, metadata_prefix: str = "oai_dc", set_spec: str | None = None,
            since: str | None = None) -> Iterator[OaiPage]:
    """Every page of a ListRecords harvest. ``fetch(url) -> FetchResult`` is the crawler's fetch for the source;
    a failed fetch or a malformed answer raises ``HarvestError`` (pages already yielded stay harvested)."""
    url = list_records_url(endpoint, metadata_prefix=metadata_prefix, set_spec=set_spec, since=since)
    for _ in range(MAX_PAGES):
        res = fetch(url)
        if not res.ok:
            raise HarvestError(f"moissonnage OAI-PMH interrompu : {res.error or f'HTTP {res.status}'}")
        page = parse_page(res.body)
        yield page
        if not page.token:
            return
        url = list_records_url(endpoint, token=page.token)
    raise HarvestError(f"moissonnage OAI-PMH arrêté après {MAX_PAGES} pages")
