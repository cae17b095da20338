"""Text helpers shared by every stage: how a cell's content is compared and shown."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

V = TypeVar("V")

#: entries a batch memo holds before it starts afresh (a batch repeats a few thousand texts)
MEMO_LIMIT = 50_000
_ABSENT = object()


def remembered(memo: dict[Any, Any], key: Any, compute: Callable[..., V], *args: Any) -> V:
    """``memo[key]``, made by ``compute(*args)`` the first time: the bounded memo every pure
    text decision of a batch keeps (item match, answer words, scopes, header kinds). Past
    :data:`MEMO_LIMIT` entries it starts afresh, so a huge or hostile batch never grows it
    without end. ``None`` is remembered like any value."""
    got = memo.get(key, _ABSENT)
    if got is _ABSENT:
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        got = memo[key] = compute(*args)
    return got  # type: ignore[no-any-return]

_BRACKETS = str.maketrans({"（": "(", "）": ")", "［": "[", "］": "]", "｛": "{", "｝": "}",
                           "〈": "<", "〉": ">", "＜": "<", "＞": ">", "／": "/", "－": "-",
                           "‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-", "―": "-", "ｰ": "ー",
                           "～": "~", "〜": "~", "：": ":", "，": ",", "､": "、", "｡": "。"})
_SPACE = re.compile(r"[\s\u3000\u200b\ufeff]+")


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """NFKC, unified brackets and dashes, no whitespace, lower-case Latin, no trailing 。."""
    t = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    t = _SPACE.sub("", t).lower()
    return t.rstrip("。.")


def cell_text(value: Any) -> str:
    """The text a person sees in a cell (numbers without a trailing .0)."""
    if type(value) is str:  # most cells: asked tens of thousands of times a batch
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or \
            value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)
