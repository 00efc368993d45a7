"""The composition root: builds the database, the search engine, the vocabulary and the sources once."""

from __future__ import annotations

import threading
from functools import cached_property

from .search.types import LANGUAGES
from .settings import Settings
from .store.db import Database


class Services:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def db(self) -> Database:
        self.settings.ensure_dirs()
        database = Database(self.settings.database_url)
        database.upgrade()
        return database

    @cached_property
    def vocabulary(self):
        from .tagging.thesaurus import Vocabulary

        return Vocabulary.load(self.settings.themes_path, self.settings.doctypes_path)

    @cached_property
    def tagger(self):
        """Rules + learned model when ``tags train`` installed one in the data directory, else rules alone."""
        from .tagging.model import load_tagger, model_path_for

        return load_tagger(self.vocabulary, model_path_for(self.settings))

    def reload_tagger(self) -> None:
        self.__dict__.pop("tagger", None)

    @cached_property
    def qpv_names(self) -> dict[str, str]:
        from .tagging.territory import qpv_names

        return qpv_names()

    @cached_property
    def sources(self) -> list:
        from .sources.load import load_sources

        return load_sources(self.settings.sources_path)

    def source(self, source_id: str):
        return next((s for s in self.sources if s.id == source_id), None)

    def reload_sources(self) -> None:
        self.__dict__.pop("sources", None)

    def label(self, facet: str, value: str) -> str:
        """The French label of a facet value (theme, type, region, centre, year)."""
        vocab = self.vocabulary
        if facet == "theme":
            return vocab.theme_label(value)
        if facet == "type":
            return vocab.doctype_label(value)
        if facet == "region":
            return vocab.region_label(value)
        if facet == "department":  # codes overlap with regions' ("93"): look departments up first
            dept = vocab.departments.get(value)
            return f"{getattr(dept, 'name', dept)} ({value})" if dept else value
        if facet == "qpv":
            return self.qpv_names.get(value, value)
        if facet == "pillar":
            return vocab.pillar_label(value)
        if facet == "language":
            return LANGUAGES.get(value, value)
        if facet == "centre":
            try:
                src = self.source(value)
            except Exception:  # a broken sources file must not break search: show the id
                src = None
            return src.name if src else value
        return value

    def valid_facet_values(self, facet: str) -> dict[str, str] | None:
        """Every valid value of a facet (id → French label): the vocabulary's and whatever the index holds.
        None for a facet whose values are not checked."""
        vocab = self.vocabulary
        if facet == "theme":
            known = {t: vocab.theme_label(t) for t in vocab.themes}
        elif facet == "pillar":
            known = {p: vocab.pillar_label(p) for p in (*vocab.pillars, "transversal", "methode")}
        elif facet == "type":
            known = {d: vocab.doctype_label(d) for d in vocab.doctypes}
        elif facet == "region":
            known = {**vocab.regions, **{code: t.name for code, t in vocab.territories.items()}}
        elif facet == "department":
            known = dict(vocab.departments)
        elif facet == "qpv":
            known = dict(self.qpv_names)
        elif facet == "language":
            known = dict(LANGUAGES)
        elif facet == "centre":
            try:
                known = {s.id: s.name for s in self.sources}
            except Exception:  # a broken sources file: the index's centres still count
                known = {}
        else:
            return None
        for value in self.engine.present_values(facet):
            known.setdefault(value, self.label(facet, value))
        return known

    @cached_property
    def engine(self):
        from .search.engine import SearchEngine
        from .search.synonyms import Synonyms
        from .store import repo

        def text_for(ids: list[str]) -> dict[str, str]:
            with self.db.session() as session:
                return repo.texts(session, ids)

        synonyms = Synonyms.from_vocabulary(self.vocabulary)
        if self.settings.search_backend == "postgresql":
            from .search.pg_engine import PgSearchEngine

            return PgSearchEngine(self.db.engine, labels=self.label, text_for=text_for, synonyms=synonyms,
                                  read_database=self.settings.database_read_url)
        return SearchEngine(self.settings.index_dir, labels=self.label, text_for=text_for, synonyms=synonyms)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.close()
        if "db" in self.__dict__:
            self.db.dispose()
