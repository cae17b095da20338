"""Fast paths of the decode stage give what their slow twins give."""

from __future__ import annotations

import datetime as dt
import random

from testkit.synth import _fmt_date
from xltools import decode

_TEXT_STYLES = ("slash", "era", "era_short", "md", "paren", "kanji", "fullwidth", "weekday",
                "era_weekday", "datetime")

# shapes around the quick ones: each either is one of them or must fall back to the slow path
_SHAPES = (
    "{e}{a}年{b}月{c}日", "{e}{a}.{b}.{c}", "{e}{a}/{b}/{c}", "{e}{a}-{b}-{c}", "{e}元年{b}月{c}日",
    "{y}/{b}/{c}", "{y}年{b}月{c}日", "{y}-{b}-{c}", "{y}.{b}.{c}", "{y}年{b}月{c}", "{y}{b}{c}",
    "( {b} / {c} )", "({b}/{c})", "(  {b}/ {c} )", "({b}.{c})", "( {b} 月 {c} 日 )", "（{b}／{c}）",
    "({b}/{c}", "{b}/{c})", "{b}/{c}", "{b}月{c}日", "{b}.{c}", "{b}月{c}", " {b}/{c}", "{b}/{c}.",
    "{y}/{b}/{c} 0:00:00", "{b}/{c}(月)", "{y}/{b}/{c}.", "２０２４／{b}／{c}", "( / )", "{b}/{c}　",
)
_ERAS = ("令和", "平成", "R", "r", "H", "h", "Ｒ", "S", "昭和")
_NUMBERS = ("0", "00", "1", "01", "2", "3", "9", "10", "12", "13", "29", "30", "31", "32", "99",
            "１２")


def _texts() -> list[str]:
    rng = random.Random(19)
    out = []
    for _ in range(6000):
        out.append(rng.choice(_SHAPES).format(
            e=rng.choice(_ERAS), a=rng.choice(("元", "1", "5", "6", "7", "07", "31", "99")),
            b=rng.choice(_NUMBERS), c=rng.choice(_NUMBERS),
            y=rng.choice(("2024", "2023", "1999", "0000", "2100", "２０２５"))))
    day = dt.date(2023, 1, 1)
    while day < dt.date(2027, 4, 1):  # every date the generators write, in every text style
        out += [str(_fmt_date(day, style, 2024)) for style in _TEXT_STYLES]
        day += dt.timedelta(days=3)
    return out


def test_quick_date_shapes_read_as_the_slow_path_reads_them() -> None:
    quick = 0
    for text in _texts():
        for fy in (None, 0, 2023, 2024):
            decode._parse_date_text.cache_clear()
            assert decode._parse_date_text(text, fy) == decode._parse_date_text_slow(text, fy), \
                (text, fy)
        quick += decode._QUICK_DATE.fullmatch(
            decode.unicodedata.normalize("NFKC", text).translate(decode._BRACKETS)) is not None
    assert quick > 3000  # the quick shapes were exercised, not only the fallback
