"""Mappings: every shipped file loads and is strict; a user folder overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltools.forms.catalogue import BUNDLED_DIR, MappingError, load_catalogue, parse_mapping


def test_every_bundled_checklist_edition_loads() -> None:
    cat = load_catalogue()
    editions = sorted(m.edition for m in cat.editions("checklist"))
    assert editions == ["R5", "R6", "R7", "R8"]
    for m in cat.editions("checklist"):
        assert set(m.variants) == {"hospital", "pharmacy", "vendor"}
        assert "has_system" not in {i for i, _ in m.expected_rows("vendor")}
        assert m.fiscal_year == 2018 + int(m.edition[1:])


def test_stable_ids_across_editions() -> None:
    cat = load_catalogue()
    r5 = {it.id for it in cat.get("checklist", "R5").items}
    r7 = {it.id for it in cat.get("checklist", "R7").items}
    assert r5 <= r7
    assert r7 - r5 == {"password_policy", "password_reuse", "external_media", "two_factor", "operation_rules"}
    assert cat.get("checklist", "R6").item("access_rights").ref == "2-(4)"
    assert cat.get("checklist", "R7").item("access_rights").ref == "2-④"
    assert cat.get("checklist", "R7").item("unneeded_services").scopes == ("server+terminal",)


def test_unknown_key_fails_naming_file_and_key() -> None:
    text = (BUNDLED_DIR / "checklist" / "R7.yaml").read_text(encoding="utf-8")
    bad = text.replace("- id: bcp\n", "- id: bcp\n  sope: [all]\n", 1)
    with pytest.raises(MappingError, match=r"^R7-bad.yaml: items\[\d+\]\.sope: 知らない項目です"):
        parse_mapping(bad, "R7-bad.yaml")


def test_user_folder_overrides_bundled(tmp_path: Path) -> None:
    text = (BUNDLED_DIR / "checklist" / "R7.yaml").read_text(encoding="utf-8")
    (tmp_path / "R7.yaml").write_text(text.replace("fiscal_year: 2025", "fiscal_year: 2025\nera: 令和7年度（修正）", 1)
                                      .replace("era: 令和7年度\n", "", 1), encoding="utf-8")
    cat = load_catalogue(tmp_path)
    m = cat.get("checklist", "R7")
    assert m.era == "令和7年度（修正）" and m.source.startswith(str(tmp_path))
    assert cat.version != load_catalogue().version
