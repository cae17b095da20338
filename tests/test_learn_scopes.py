"""learn takes each item's scope from where the blank prints it, and the learned edition reads
its returned copies with those scopes.

Three blanks of a one-round sheet (testkit.relay): scopes in a 対象 column (サーバ, ネットワーク
機器, サーバ、端末PC, 医療情報システム全般), as a label in the item text （サーバ）, or as device
rows under the item (the item once, then サーバ / 端末PC rows carrying the answers); the 対象
cells also merged down over consecutive items of one scope.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from testkit import relay, synth
from testkit.evaluate import score
from xltools import api
from xltools.forms.catalogue import load_catalogue
from xltools.labels import VARIANT_JA

KINDS = ("column", "merged", "label", "rows")
VARIANTS = ("hospital", "vendor")
# R6 prints consecutive items of one device scope (access_rights, unused_accounts: server), so
# its merged 対象 cells really span several items
EDITION = {"merged": "R6"}


def _spec(kind: str, variant: str, **kw: object) -> relay.OneRound:
    return relay.OneRound(edition=EDITION.get(kind, "R7"), variant=variant, scope_column=kind in ("column", "merged"),
                          scope_merged=kind == "merged", scope_rows=kind == "rows",
                          sheet_name=VARIANT_JA[variant], **kw)


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, Path]]:
    out = {}
    for kind in KINDS:
        d = tmp_path_factory.mktemp(f"learn-{kind}")
        blanks = []
        for v in VARIANTS:
            path = d / f"blank_{v}.xlsx"
            relay.write_one_round(path, _spec(kind, v, blank=True, facility_name="",
                                              respondent=""))
            blanks.append(path)
        edition = EDITION.get(kind, "R7")
        got = api.learn(blanks, edition=edition)
        folder = d / "mappings"
        (folder / "checklist").mkdir(parents=True)
        (folder / "checklist" / f"{edition}.yaml").write_text(got.text, encoding="utf-8")
        out[kind] = (got, folder)
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_learned_scopes_are_the_printed_ones(learned: dict, kind: str) -> None:
    got, _folder = learned[kind]
    assert got.ok
    bundled = load_catalogue().get("checklist", EDITION.get(kind, "R7"))
    scopes = {it.id: list(it.scopes) for it in got.items}
    want = {it.id: list(it.scopes) for v in VARIANTS for it in bundled.items_for(v)}
    assert scopes == want
    if kind == "merged":
        return  # R6: the equality above is the point (consecutive server items share a cell)
    assert scopes["access_log"] == ["server"]
    assert scopes["source_restriction"] == ["network"]
    assert scopes["unneeded_services"] == ["server+terminal"]


@pytest.mark.parametrize("kind", KINDS)
def test_learned_edition_reads_its_returned_copies(learned: dict, kind: str,
                                                   tmp_path: Path) -> None:
    _got, folder = learned[kind]
    rng = random.Random(7)
    truths: list[synth.Truth] = []
    for i in range(8):
        v = VARIANTS[i % 2]
        spec = _spec(kind, v, seed=i, answer_style=rng.choice(("typed", "strike", "bracket",
                                                                 "marks", "deleted")),
                     date_style=rng.choice(("excel", "slash", "era")),
                     vendor_name="ネットケア株式会社" if v == "vendor" else "",
                     system_name="PACS" if v == "vendor" else "")
        truths.append(relay.write_one_round(tmp_path / f"ret{i}.xlsx", spec))
    res = api.read_many([tmp_path], mappings=str(folder))
    edition = EDITION.get(kind, "R7")
    assert load_catalogue(folder).get("checklist", edition).source.startswith(str(folder))
    s = score(truths, res.submissions, res.answers, res.problems)
    assert s.silent == 0, s.silent_examples
    assert s.exact_rate >= 0.995, s.line()
    assert s.sheets_right == s.sheets
    if edition == "R7":
        scoped = res.answers[res.answers.item_id == "unneeded_services"]
        assert set(scoped.scope) == {"server+terminal"}
