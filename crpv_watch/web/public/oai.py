"""OAI-PMH 2.0 repository at ``/oai``: a catalogue (the network's PMB, a library, the national portal) harvests
crpv-watch in Dublin Core.

The six verbs in ``oai_dc``; sets ``centre:<id>``, ``theme:<id>``, ``type:<id>`` (and their three parents);
datestamps to the second from ``Document.updated_at``; documents that left search are listed as deleted
(``deletedRecord`` transient: a purge with ``--delete`` forgets them); lists are cut in pages with a signed
resumption token carrying the cursor. The XML is built with ElementTree, so every value is escaped by the
serializer. Protocol: https://www.openarchives.org/OAI/openarchivesprotocol.html
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from flask import Response, request
from itsdangerous import BadSignature, URLSafeSerializer

from ...store import oai as store
from ...store.models import Document
from ..auth import csrf
from ..filters import services
from .search import bp, citation_of

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for prefix, uri in (("", OAI), ("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI)):
    ET.register_namespace(prefix, uri)

FORMATS = {"oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC)}
LIST_ARGS = {"metadataPrefix", "from", "until", "set"}
VERBS = {  # verb → (required, optional) arguments, besides the exclusive resumptionToken of list verbs
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}
RESUMABLE = {"ListIdentifiers", "ListRecords", "ListSets"}
STAMP = "%Y-%m-%dT%H:%M:%SZ"


class OaiError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _q(tag: str, ns: str = OAI) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = OAI, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _q(tag, ns), attrs)
    if text is not None:
        element.text = text
    return element


def stamp(value: dt.datetime) -> str:
    return value.strftime(STAMP)


def base_url() -> str:
    return services().settings.base_url.rstrip("/") + "/oai"


def identifier(doc_id: str) -> str:
    return f"oai:{urlsplit(services().settings.base_url).hostname or 'localhost'}:{doc_id}"


def doc_id_of(oai_id: str) -> str | None:
    prefix = identifier("")
    rest = oai_id[len(prefix):] if oai_id.startswith(prefix) else ""
    return rest if re.fullmatch(r"[0-9a-zA-Z_-]{1,64}", rest) else None


def serializer() -> URLSafeSerializer:
    return URLSafeSerializer(services().settings.secret, salt="oai-pmh-resumption")


# -- arguments -----------------------------------------------------------------------------------------------

def parse_datestamp(raw: str, end: bool) -> tuple[dt.datetime, str]:
    """A ``from``/``until`` value → (naive UTC datetime, granularity); ``end`` takes the end of a day."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = dt.datetime.strptime(raw, "%Y-%m-%d")
            return (day + dt.timedelta(days=1, microseconds=-1) if end else day), "day"
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", raw):
            moment = dt.datetime.strptime(raw, STAMP)
            return (moment + dt.timedelta(microseconds=999_999) if end else moment), "second"
    except ValueError:
        pass
    raise OaiError("badArgument", f"Date invalide : {raw!r} (attendu AAAA-MM-JJ ou AAAA-MM-JJThh:mm:ssZ).")


def parse_set(raw: str | None) -> tuple[str, str | None] | None:
    if not raw:
        return None
    kind, _, value = raw.partition(":")
    if kind not in store.SET_KINDS or (value and not known_set_value(kind, value)):
        raise OaiError("badArgument", f"Ensemble inconnu : {raw!r}.")
    return kind, value or None


def known_set_value(kind: str, value: str) -> bool:
    return any(spec == f"{kind}:{value}" for spec, _name in all_sets())


def checked_args(verb: str) -> dict[str, str]:
    args = request.values
    for name in args:
        if len(args.getlist(name)) > 1:
            raise OaiError("badArgument", f"Argument répété : {name}.")
    given = {k: v for k, v in args.items() if k != "verb"}
    required, optional = VERBS[verb]
    if "resumptionToken" in given and verb in RESUMABLE:
        if len(given) > 1:
            raise OaiError("badArgument", "resumptionToken est exclusif : aucun autre argument avec lui.")
        return given
    unknown = set(given) - required - optional
    if unknown:
        raise OaiError("badArgument", f"Argument non permis pour {verb} : {', '.join(sorted(unknown))}.")
    missing = required - set(given)
    if missing:
        raise OaiError("badArgument", f"Argument manquant pour {verb} : {', '.join(sorted(missing))}.")
    if "metadataPrefix" in given and given["metadataPrefix"] not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"Format non proposé : {given['metadataPrefix']!r} (oai_dc).")
    return given


# -- records -------------------------------------------------------------------------------------------------

def all_sets() -> list[tuple[str, str]]:
    svc = services()
    vocabulary = svc.vocabulary
    sets = [("centre", "Par centre de ressources"), ("theme", "Par thème"), ("type", "Par type de document")]
    sets += [(f"centre:{s.id}", s.name) for s in svc.sources]
    sets += [(f"theme:{t}", vocabulary.theme_label(t)) for t in vocabulary.themes]
    sets += [(f"type:{t}", vocabulary.doctype_label(t)) for t in vocabulary.doctypes]
    return sets


def header(parent: ET.Element, doc: Document) -> None:
    element = _sub(parent, "header", **({"status": "deleted"} if not doc.searchable else {}))
    _sub(element, "identifier", identifier(doc.id))
    _sub(element, "datestamp", stamp(doc.updated_at))
    for spec in [f"centre:{doc.source_id}", f"type:{doc.doctype}", *(f"theme:{t.theme_id}" for t in doc.themes)]:
        _sub(element, "setSpec", spec)


def dublin_core(parent: ET.Element, doc: Document) -> None:
    c = citation_of(doc)
    schema, ns = FORMATS["oai_dc"]
    dc = _sub(parent, "dc", ns=OAI_DC, **{_q("schemaLocation", XSI): f"{ns} {schema}"})
    fields = [("title", c.title), *(("creator", a) for a in c.authors), ("publisher", c.publisher),
              ("date", c.published.isoformat() if c.published else ""), ("description", c.abstract),
              *(("subject", k) for k in c.keywords), ("type", c.doctype_label), ("type", "Text"),
              ("format", doc.content_type), ("identifier", c.page_url), ("identifier", c.url),
              ("language", c.language), ("relation", c.pdf_url if c.pdf_url != c.url else "")]
    for tag, value in fields:
        if value:
            _sub(dc, tag, value, ns=DC)


def record(parent: ET.Element, doc: Document) -> None:
    element = _sub(parent, "record")
    header(element, doc)
    if doc.searchable:  # a deleted record has a header only
        dublin_core(_sub(element, "metadata"), doc)


# -- verbs ---------------------------------------------------------------------------------------------------

def identify(root: ET.Element, _args: dict[str, str]) -> None:
    settings = services().settings
    with services().db.session() as db:
        earliest = store.earliest_datestamp(db)
    element = _sub(root, "Identify")
    _sub(element, "repositoryName", settings.site_name)
    _sub(element, "baseURL", base_url())
    _sub(element, "protocolVersion", "2.0")
    _sub(element, "adminEmail", settings.publisher_contact)
    _sub(element, "earliestDatestamp", stamp(earliest or dt.datetime(2000, 1, 1)))
    _sub(element, "deletedRecord", "transient")
    _sub(element, "granularity", "YYYY-MM-DDThh:mm:ssZ")


def list_metadata_formats(root: ET.Element, args: dict[str, str]) -> None:
    if "identifier" in args:
        fetch_record(args["identifier"])
    element = _sub(root, "ListMetadataFormats")
    for prefix, (schema, ns) in FORMATS.items():
        fmt = _sub(element, "metadataFormat")
        _sub(fmt, "metadataPrefix", prefix)
        _sub(fmt, "schema", schema)
        _sub(fmt, "metadataNamespace", ns)


def list_sets(root: ET.Element, args: dict[str, str]) -> None:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "La liste des ensembles tient en une réponse : jeton inconnu.")
    element = _sub(root, "ListSets")
    for spec, name in all_sets():
        item = _sub(element, "set")
        _sub(item, "setSpec", spec)
        _sub(item, "setName", name)


def fetch_record(oai_id: str) -> Document:
    doc_id = doc_id_of(oai_id)
    with services().db.session() as db:
        doc = store.record(db, doc_id) if doc_id else None
        if doc is None:
            raise OaiError("idDoesNotExist", f"Identifiant inconnu : {oai_id!r}.")
        return doc


def get_record(root: ET.Element, args: dict[str, str]) -> None:
    doc = fetch_record(args["identifier"])
    record(_sub(root, "GetRecord"), doc)


def list_state(args: dict[str, str]) -> dict:
    """The list's arguments and cursor, from the request or from its resumption token."""
    if "resumptionToken" in args:
        try:
            state = serializer().loads(args["resumptionToken"])
            assert isinstance(state, dict) and state.get("p") in FORMATS
        except (BadSignature, AssertionError):
            raise OaiError("badResumptionToken", "Jeton de reprise invalide ou expiré.") from None
        return state
    since = until = None
    if "from" in args:
        since, since_grain = parse_datestamp(args["from"], end=False)
    if "until" in args:
        until, until_grain = parse_datestamp(args["until"], end=True)
    if since and until:
        if since_grain != until_grain:
            raise OaiError("badArgument", "from et until doivent avoir la même précision.")
        if since > until:
            raise OaiError("badArgument", "from est postérieur à until.")
    parse_set(args.get("set"))
    return {"p": args["metadataPrefix"], "f": since.isoformat() if since else None,
            "u": until.isoformat() if until else None, "s": args.get("set"), "a": None, "c": 0}


def list_records(root: ET.Element, args: dict[str, str], verb: str) -> None:
    state = list_state(args)
    since = dt.datetime.fromisoformat(state["f"]) if state["f"] else None
    until = dt.datetime.fromisoformat(state["u"]) if state["u"] else None
    set_spec = parse_set(state["s"])
    after = (dt.datetime.fromisoformat(state["a"][0]), state["a"][1]) if state["a"] else None
    size = max(1, services().settings.oai_page_size)
    with services().db.session() as db:
        docs = store.records_page(db, since, until, set_spec, after, size + 1)
        total = store.count_records(db, since, until, set_spec)
        if not docs and after is None:
            raise OaiError("noRecordsMatch", "Aucun enregistrement ne correspond à cette demande.")
        element = _sub(root, verb)
        for doc in docs[:size]:
            if verb == "ListIdentifiers":
                header(element, doc)
            else:
                record(element, doc)
    cursor = state["c"]
    if len(docs) > size or after is not None:
        token = _sub(element, "resumptionToken", completeListSize=str(total), cursor=str(cursor))
        if len(docs) > size:
            last = docs[size - 1]
            token.text = serializer().dumps({**state, "a": [last.updated_at.isoformat(), last.id],
                                             "c": cursor + size})


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "GetRecord": get_record,
    "ListIdentifiers": lambda root, args: list_records(root, args, "ListIdentifiers"),
    "ListRecords": lambda root, args: list_records(root, args, "ListRecords"),
}


@bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt  # OAI-PMH allows POST for long queries; it only reads, there is nothing to forge
def oai():
    root = ET.Element(_q("OAI-PMH"), {_q("schemaLocation", XSI):
                                      f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"})
    _sub(root, "responseDate", dt.datetime.now(dt.UTC).strftime(STAMP))
    req = _sub(root, "request", base_url())
    verbs = request.values.getlist("verb")
    verb = verbs[0] if len(verbs) == 1 else ""
    try:
        if verb not in VERBS:
            raise OaiError("badVerb", "Verbe OAI-PMH absent, répété ou inconnu.")
        args = checked_args(verb)
        # The request element echoes the arguments only when they were valid (protocol, section 3.2).
        req.attrib.update({"verb": verb, **args})
        HANDLERS[verb](root, args)
    except OaiError as error:
        for child in list(root)[2:]:
            root.remove(child)
        if error.code in ("badVerb", "badArgument"):
            req.attrib.clear()
        _sub(root, "error", error.message, code=error.code)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="text/xml")

