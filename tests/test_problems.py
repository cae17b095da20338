"""Every problem code is documented, and the catalogue is well formed."""

from __future__ import annotations

import re
from pathlib import Path

from xltools.checks.rules import load_rules
from xltools.problems import CATALOGUE, make

ROOT = Path(__file__).resolve().parent.parent


def test_codes_are_stable_slugs_with_japanese_text() -> None:
    for code, kind in CATALOGUE.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", code), code
        assert kind.severity in ("error", "warning", "info")
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", kind.template), code


def test_docs_list_every_code() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "scripts" / "make_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = (ROOT / "docs" / "problems.md").read_text(encoding="utf-8")
    assert doc == mod.render(), "docs/problems.md is stale: run python scripts/make_docs.py"


def test_message_fills_template_and_never_raises_on_missing_fields() -> None:
    p = make("locate.item_missing", path="a/b.xlsx", sheet="S", item_id="bcp", ref="3-③")
    assert "3-③" in p.message and "{text}" in p.message
    assert p.severity == "error"


def test_every_emitted_code_is_in_the_catalogue() -> None:
    """Codes written as literals anywhere in the package (reader, tables, consolidation, fill,
    learn)
    and the consolidation's and fill's own lists all have a catalogue entry."""
    from xltools.aggregate.core import KINDS

    pattern = re.compile(r"[\"']((?:read|batch|form|locate|answer|mark|table|consolidate|fill"
                         r"|crosscheck|learn)\.[a-z_]+)[\"']")
    sources = [*(ROOT / "xltools").rglob("*.py"), *(ROOT / "mappings").rglob("*.yaml")]
    emitted = {m.group(1) for f in sources for m in pattern.finditer(f.read_text(encoding="utf-8"))}
    emitted |= {r.code for r in load_rules()}
    assert len(emitted) > 60  # the scan sees the whole package, sub-packages included
    assert emitted - set(CATALOGUE) == set()
    assert set(KINDS) <= set(CATALOGUE)
    assert {c for c in CATALOGUE if c.startswith("consolidate.")} == set(KINDS)
