"""The bounded memo every pure text decision of a batch keeps (text.remembered)."""

from __future__ import annotations

import pytest

from xltools import text
from xltools.text import remembered


def test_computed_once_none_included_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def scope(t: str) -> str | None:
        calls.append(t)
        return None if t == "見出し" else t.upper()

    memo: dict[str, str | None] = {}
    assert remembered(memo, "見出し", scope, "見出し") is None
    assert remembered(memo, "見出し", scope, "見出し") is None
    assert remembered(memo, "a", scope, "a") == "A"
    assert calls == ["見出し", "a"]  # None is remembered, not asked again
    monkeypatch.setattr(text, "MEMO_LIMIT", 2)
    remembered(memo, "b", scope, "b")
    remembered(memo, "c", scope, "c")  # past the limit: starts afresh, then holds the new one
    assert memo == {"c": "C"}
