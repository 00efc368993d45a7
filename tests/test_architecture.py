"""The rules docs/ARCHITECTURE.md states, checked on the code: the layer order (read from the document itself),
no import cycle, who talks HTTP, who talks Whoosh, where SQL lives, and a small package root."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crpv_watch"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"

HTTP_CLIENTS = ("httpx", "httpcore", "requests", "urllib3", "aiohttp", "urllib.request", "http.client")
HTTP_ALLOWED = {"crawl.fetch", "crawl.ssrf", "crawl.politeness"}  # the fetcher and the two guards it is built from
# Whoosh's index, searcher and query parser: search/ only. text.analysis builds the French analyzer from Whoosh's
# tokenizer and filter toolkit (no index involved), shared by the index and the tagger.
WHOOSH_ALLOWED_PREFIXES = ("search.", "text.analysis")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def imports_of(name: str) -> list[str]:
    """Every module this one imports, at module level or inside a function (package-relative for ours)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                base_parts = parts[:len(parts) - node.level + 1] + ([node.module] if node.module else [])
                base = "crpv_watch." + ".".join(base_parts) if base_parts else "crpv_watch"
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(candidate if candidate.removeprefix("crpv_watch.") in MODULES else base)
    return found


def internal_imports(name: str) -> set[str]:
    return {m.removeprefix("crpv_watch.") for m in imports_of(name)
            if m.startswith("crpv_watch.") and m.removeprefix("crpv_watch.") != name} & set(MODULES)


def external_imports(name: str) -> set[str]:
    return {m for m in imports_of(name) if not m.startswith("crpv_watch")}


def documented_layers() -> list[list[str]]:
    """The fenced ``layers`` block of ARCHITECTURE.md, highest layer first."""
    match = re.search(r"```layers\n(.*?)```", ARCHITECTURE.read_text(encoding="utf-8"), re.S)
    assert match, "docs/ARCHITECTURE.md must hold a ```layers block"
    return [line.split() for line in match.group(1).splitlines() if line.strip()]


def layer_of(name: str, layers: list[list[str]]) -> int | None:
    """Rank of the longest documented prefix matching the module (0 = lowest layer)."""
    best, rank = "", None
    for index, row in enumerate(reversed(layers)):
        for prefix in row:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
                best, rank = prefix, index
    return rank


def test_every_module_has_a_documented_layer():
    layers = documented_layers()
    missing = sorted(n for n in MODULES if n and layer_of(n, layers) is None)
    assert not missing, f"modules outside the layers of ARCHITECTURE.md: {missing}"


def test_imports_go_down_the_layers_only():
    layers = documented_layers()
    upward = []
    for name in MODULES:
        if not name:
            continue
        mine = layer_of(name, layers)
        for target in internal_imports(name):
            theirs = layer_of(target, layers)
            if theirs is not None and mine is not None and theirs > mine:
                upward.append(f"{name} → {target}")
    assert not upward, "imports up the layers:\n" + "\n".join(sorted(upward))


def test_lower_layers_never_import_web_cli_crawl_or_worker():
    lower = ("store", "search", "tagging", "text")
    bad = [f"{n} → {t}" for n in MODULES if n.split(".")[0] in lower
           for t in internal_imports(n) if t.split(".")[0] in ("web", "cli", "crawl", "worker")]
    assert not bad, bad


def test_no_import_cycle_between_modules():
    # Imports inside functions count too: a cycle hidden in a function is still a cycle.
    graph = {name: internal_imports(name) - {""} for name in MODULES if name}
    for name in graph:  # importing a module runs its package's __init__ too, but that is not an edge of ours
        graph[name] = {t for t in graph[name] if t in graph}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_only_the_crawl_fetcher_talks_http():
    talkers = {n for n in MODULES if any(m == c or m.startswith(c + ".") for m in external_imports(n)
                                         for c in HTTP_CLIENTS)}
    assert talkers <= HTTP_ALLOWED, f"HTTP clients outside crawl/fetch: {sorted(talkers - HTTP_ALLOWED)}"
    assert "crawl.fetch" in talkers  # the rule still describes the code


def test_only_search_talks_whoosh():
    talkers = {n for n in MODULES if any(m.split(".")[0] == "whoosh" for m in external_imports(n))}
    outside = sorted(n for n in talkers if not (n + ".").startswith(WHOOSH_ALLOWED_PREFIXES))
    assert not outside, f"Whoosh used outside search/: {outside}"
    assert "search.engine" in talkers


SQL_CALLS = {"query", "execute", "scalars", "scalar"}  # session.query(…), db.execute(select(…)), …


def speaks_sql(name: str) -> bool:
    """Imports SQLAlchemy (beyond the ``Session`` type of an annotation), or calls a session's query methods."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "sqlalchemy" for a in node.names):
            return True
        if (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy"
                and {a.name for a in node.names} != {"Session"}):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            return True
    return False


def test_sql_lives_in_store():
    writers = {n for n in MODULES if n and not n.startswith("store") and speaks_sql(n)}
    assert writers == set(), f"SQL outside store/ in {sorted(writers)}: move it into a store module"


def test_the_package_root_stays_small():
    root_modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root_modules) <= 8, root_modules


@pytest.mark.parametrize("doc", ["ARCHITECTURE.md", "DEVELOPING.md"])
def test_docs_name_only_existing_modules(doc):
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    named = set(re.findall(r"\b((?:cli|web|worker|indexing|sources|text|store|search|tagging|crawl|digest|demo)"
                           r"/[a-z_/]+\.py)\b", text))
    missing = sorted(n for n in named if not (PACKAGE / n).exists())
    assert not missing, f"{doc} names modules that do not exist: {missing}"


def test_the_rules_are_stated_in_architecture_md():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    for rule in ("Only `crawl/fetch.py` talks HTTP", "only `search/` talks Whoosh", "SQL stays in `store/`"):
        assert rule in text




def test_textual_references_to_modules_resolve():
    """Job references (APScheduler's "module:function"), ``-m`` modules and the WSGI path name real code."""
    import importlib

    text = "\n".join(p.read_text(encoding="utf-8") for p in MODULES.values())
    text += (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    references = set(re.findall(r"\bcrpv_watch(?:\.\w+)+:\w+", text))
    modules = set(re.findall(r"-m (crpv_watch(?:\.\w+)*)", text)) | set(re.findall(r'"-m", "(crpv_watch[\w.]*)"', text))
    assert references and modules
    for ref in references:
        module, _, name = ref.partition(":")
        assert hasattr(importlib.import_module(module), name), ref
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module


def test_migration_revisions_import_no_application_code():
    # A revision must do the same thing forever: application code it imported could change under it.
    for path in sorted((PACKAGE / "store" / "migrations" / "versions").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [n for n in names if n.startswith("crpv_watch")], f"{path.name} imports application code"
