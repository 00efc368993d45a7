"""What the processes of an install tell each other, kept in the database so that web nodes and the worker need
no shared directory: jobs asked for from the web (crawls, index rebuilds), small state records (heartbeats, the
progress of a rebuild) and the index nodes that each keep a search index fed from the index queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import IndexNode, RuntimeState, WorkRequest, utcnow


# -- jobs asked for -------------------------------------------------------------------------------------------
def add_request(session: Session, kind: str, payload: dict[str, Any], user_email: str = "") -> int:
    request = WorkRequest(kind=kind, payload=payload, user_email=user_email, created_at=utcnow())
    session.add(request)
    session.flush()
    return request.id


def _as_dict(request: WorkRequest) -> dict[str, Any]:
    return {"id": request.id, **(request.payload or {}), "user": request.user_email,
            "at": request.created_at.isoformat()}


def pending_requests(session: Session, kind: str) -> list[dict[str, Any]]:
    return [_as_dict(r) for r in session.scalars(select(WorkRequest).where(WorkRequest.kind == kind)
                                                   .order_by(WorkRequest.id))]


def take_requests(session: Session, kind: str) -> list[dict[str, Any]]:
    """Claims every pending request of ``kind``, oldest first. Each is deleted by its own statement: of two
    pollers, the one whose delete removes the row owns the request (the other's delete waits for the first
    transaction, then finds nothing), so a request never runs twice."""
    taken = []
    for request in session.scalars(select(WorkRequest).where(WorkRequest.kind == kind).order_by(WorkRequest.id)).all():
        if session.execute(delete(WorkRequest).where(WorkRequest.id == request.id)).rowcount == 1:
            taken.append(_as_dict(request))
    return taken


# -- state records --------------------------------------------------------------------------------------------
def put_state(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(RuntimeState, key)
    if row is None:
        try:
            with session.begin_nested():  # two first writers at once: the second updates the first's row
                session.add(RuntimeState(key=key, value=value, updated_at=utcnow()))
            return
        except IntegrityError:
            row = session.get(RuntimeState, key)
    row.value, row.updated_at = value, utcnow()


def get_state(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(RuntimeState, key)
    return dict(row.value) if row is not None else None


# -- index nodes ----------------------------------------------------------------------------------------------
NODE_EXPIRY = dt.timedelta(days=7)  # a node away longer is forgotten (its queue dropped); it rebuilds on return


def register_node(session: Session, name: str) -> bool:
    """Records (or refreshes) an index node; True when it was unknown, i.e. its index must be built from the
    store, since changes made before now were not queued for it."""
    node = session.get(IndexNode, name)
    now = utcnow()
    if node is not None:
        node.seen_at = now
        return False
    try:
        with session.begin_nested():
            session.add(IndexNode(name=name, registered_at=now, seen_at=now))
    except IntegrityError:  # another process of the same node registered it at the same moment
        return False
    return True


def index_nodes(session: Session) -> list[str]:
    return list(session.scalars(select(IndexNode.name).order_by(IndexNode.name)))


def expire_nodes(session: Session, now: dt.datetime | None = None) -> list[str]:
    """Forgets the nodes unseen for ``NODE_EXPIRY`` and what was queued for them."""
    from .models import IndexQueue

    limit = (now or utcnow()) - NODE_EXPIRY
    gone = list(session.scalars(select(IndexNode.name).where(IndexNode.seen_at < limit)))
    if gone:
        session.execute(delete(IndexQueue).where(IndexQueue.node.in_(gone)))
        session.execute(delete(IndexNode).where(IndexNode.name.in_(gone)))
    return gone


GENERATION_KEY = "index-generation"


def rebuild_generation(session: Session) -> int:
    """How many times the main index was rebuilt from the store: nodes rebuild theirs when it moves on."""
    return int((get_state(session, GENERATION_KEY) or {}).get("n", 0))


def next_rebuild_generation(session: Session) -> int:
    n = rebuild_generation(session) + 1
    put_state(session, GENERATION_KEY, {"n": n, "at": utcnow().isoformat()})
    return n
