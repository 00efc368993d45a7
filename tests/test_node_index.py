"""A web node's own index (crpv_watch/indexing/node.py), stepped by hand beside the main index: built from the store
when the node is new, fed from its own queue entries, rebuilt when the main index is rebuilt."""

from __future__ import annotations

import pytest
from editors_support import add_document, make_services

from crpv_watch.indexing.node import NodeIndexer
from crpv_watch.indexing.rebuild import rebuild_with_progress
from crpv_watch.indexing.writer import Indexer
from crpv_watch.search.types import SearchRequest
from crpv_watch.services import Services
from crpv_watch.store import coordination, repo
from crpv_watch.store.models import Document

pytestmark = pytest.mark.database  # runs again on PostgreSQL (make test)


def titles(services) -> set[str]:
    return {h.title for h in services.engine.search(SearchRequest(per_page=50)).results}


@pytest.fixture
def main_and_node(tmp_path):
    (tmp_path / "main").mkdir()
    main = make_services(tmp_path / "main")
    node = Services(main.settings.replace(data_dir=tmp_path / "node" / "data", index_dir=None, node_name="web-a"))
    yield main, node
    node.close()
    main.close()


def test_a_node_builds_its_index_then_follows_its_queue(main_and_node):
    main, node = main_and_node
    add_document(main, "d1", "Premier document")  # indexed in the main index at once
    stepper = NodeIndexer(node)
    assert stepper.step() == 1 and titles(node) == {"Premier document"}  # new node: built from the store

    add_document(main, "d2", "Deuxième document")  # queued once for the main index, once for web-a
    with main.db.session() as session:
        assert sorted(coordination.index_nodes(session)) == ["web-a"]
    assert stepper.step() == 1 and titles(node) == {"Premier document", "Deuxième document"}
    assert titles(main) == {"Premier document", "Deuxième document"}

    with main.db.session() as session:  # an editor hides d1 on any node: every index loses it
        session.get(Document, "d1").status = "hidden"
        repo.enqueue_index(session, ["d1"])
    assert stepper.step() == 1 and titles(node) == {"Deuxième document"}
    assert stepper.step() == 0  # nothing left for this node
    Indexer(main).drain()
    assert titles(main) == {"Deuxième document"}


def test_a_rebuild_of_the_main_index_rebuilds_every_node(main_and_node):
    main, node = main_and_node
    add_document(main, "d1", "Premier document")
    stepper = NodeIndexer(node)
    stepper.step()
    node.engine.delete(["d1"])  # the node's index drifted (a lost disk, an old backup…)
    assert titles(node) == set() and stepper.step() == 0
    rebuild_with_progress(main)
    assert stepper.step() == 1 and titles(node) == {"Premier document"}
    assert stepper.step() == 0
