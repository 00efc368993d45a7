"""A rebuild's sorted postings written a term at a time: Whoosh's ``FieldWriter.add_postings``, without its four
Python calls per posting.

Whoosh hands every posting of a segment — (field, term, document, weight, positions), sorted — to its field
writer one by one: an order check, a length lookup, ``W3FieldWriter.add`` and ``W3PostingsWriter.add_posting``
with its type asserts, ~15 % of a rebuild's CPU. Here the postings of one term are taken together
(``itertools.groupby``) and appended to the whoosh3 posting writer's block buffers a slice at a time. Blocks are
cut, written and counted exactly where ``add_posting`` would (a full block is written when another posting
comes, the rest by ``finish_postings``), so the segment is the same byte for byte
(tests/test_posting_writer.py compares the files). Any other codec gets Whoosh's own loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from whoosh.codec.base import OutOfOrderError

try:
    from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
except ImportError:  # pragma: no cover
    W3Codec = W3FieldWriter = None

_FIELD_TERM = itemgetter(0, 1)


def write_postings(fieldwriter, schema, lengths, items: Iterable[tuple], common=None) -> None:
    """``fieldwriter.add_postings(schema, lengths, items)``; ``lengths`` has ``field(name)`` (every document's
    length in that field, by doc number) or is None. ``common`` (a ``common_terms.CommonTermsWriter``) also gets
    the terms with at least its ``min_postings`` postings, with where their blocks start."""
    if W3Codec is None or type(fieldwriter) is not W3FieldWriter or type(fieldwriter._codec) is not W3Codec:
        fieldwriter.add_postings(schema, lengths, items)  # its posting writer may not be a W3PostingsWriter
        return
    last = None
    field = None
    field_lengths: list[int] | None = None
    fieldobj = None
    in_term = False
    least = common.min_postings if common is not None else None
    for key, group in groupby(items, _FIELD_TERM):
        if last is not None and key <= last:
            raise OutOfOrderError(f"Term {last!r} .. {key!r}")
        last = key
        fieldname, btext = key
        if fieldname != field:
            if in_term:
                fieldwriter.finish_term()
                in_term = False
            if field is not None:
                fieldwriter.finish_field()
            fieldobj = schema[fieldname]
            fieldwriter.start_field(fieldname, fieldobj)
            field = fieldname
            field_lengths = lengths.field(fieldname) if lengths else None
        # Postings of document -1 are words for the spelling graph, which Whoosh's loop skips too.
        postings = [p for p in group if p[2] != -1]
        if not postings:
            continue
        if in_term:
            fieldwriter.finish_term()
        fieldwriter.start_term(btext)
        in_term = True
        _add_term_postings(fieldwriter._postwriter, postings, field_lengths)
        if least is not None and len(postings) >= least:
            common.add(fieldobj, fieldwriter._postwriter._startoffset, postings)
    if in_term:
        fieldwriter.finish_term()
    if field is not None:
        fieldwriter.finish_field()


def _add_term_postings(postwriter, postings: list[tuple], field_lengths: list[int] | None) -> None:
    """``postwriter.add_posting`` for each of one term's postings, a block's slice at a time."""
    limit = postwriter._blocklimit
    i, n = 0, len(postings)
    while i < n:
        if len(postwriter._ids) >= limit:
            postwriter._write_block()
        take = postings[i:i + limit - len(postwriter._ids)]
        i += len(take)
        ids = [p[2] for p in take]
        weights = [p[3] for p in take]
        postwriter._ids.extend(ids)
        postwriter._weights.extend(weights)
        top = max(weights)
        if top > postwriter._maxweight:
            postwriter._maxweight = top
        postwriter._values.extend(v for *_, v in take if v)
        if field_lengths is not None:
            known = [field_lengths[d] for d in ids]
            known = [x for x in known if x]
            if known:
                shortest, longest = min(known), max(known)
                if postwriter._minlength is None or shortest < postwriter._minlength:
                    postwriter._minlength = shortest
                if longest > postwriter._maxlength:
                    postwriter._maxlength = longest
