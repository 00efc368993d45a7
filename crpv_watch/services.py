"""The composition root: builds the database, the search engine, the vocabulary and the sources once."""

from __future__ import annotations

import threading
from functools import cached_property

from .search.types import FACETS, LANGUAGES
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

    def unknown_values(self, req) -> list[tuple[str, str]]:
        """The (facet, value) pairs of a search that name nothing known: a theme, pillar, type, region,
        department, QPV or centre outside the vocabulary and the sources, a year or language code of the wrong
        form. The search page shows such a search empty; an alert on it would never send anything."""
        vocab = self.vocabulary
        try:
            centres = {s.id for s in self.sources}
        except Exception:  # no sources file: no centre can be checked, none is refused
            centres = None
        known = {
            "theme": lambda v: v in vocab.themes,
            "pillar": lambda v: v in vocab.pillars or v in ("transversal", "methode"),
            "type": lambda v: v in vocab.doctypes,
            "region": lambda v: v in vocab.regions or v in vocab.territories,
            "department": lambda v: v in vocab.departments,
            "qpv": lambda v: v in self.qpv_names,
            "centre": lambda v: centres is None or v in centres,
            "year": lambda v: v.isdigit() and len(v) == 4,
            "language": lambda v: v in LANGUAGES or (v.isalpha() and v.islower() and 2 <= len(v) <= 3),
        }
        return [(facet, value) for facet in FACETS for value in getattr(req, facet) if not known[facet](value)]

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
