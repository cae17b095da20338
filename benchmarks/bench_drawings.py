"""Micro benchmark: time ``read_marks`` / ``read_slots`` on a checklist-sized sheet.

Builds one sheet of ~120 answer rows with ~40 marks (ellipses, ○ text boxes, a group, VML
ovals, form-control check boxes) and the same sheet without drawings, then prints the time per
sheet. No assertions: run it to see whether the drawing reader stays near its ~2 ms budget.

    python benchmarks/bench_drawings.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit import drawing_writer as dw  # noqa: E402
from testkit.drawing_fixtures import PART, SHEET, make_book  # noqa: E402
from xltools.xlsx.drawings import Box, read_marks, read_slots, sheet_has_drawings  # noqa: E402

ROWS = 120


def build() -> tuple[bytes, bytes, object]:
    book = make_book(width=20, align="center", rows=ROWS)
    plain = book.data
    shapes = []
    for i in range(1, 26):
        shapes.append(dw.Shape(book.word_box(i, "はい" if i % 3 else "いいえ")))
    data = dw.add_shapes(plain, SHEET, shapes)
    for i in range(26, 31):
        data = dw.add_shape(data, SHEET, book.word_box(i, "いいえ"), txbox=True, text="○")
    data = dw.add_group(data, SHEET, [dw.Shape(book.word_box(31, "はい")),
                                      dw.Shape(book.word_box(32, "いいえ"))], child_scale=2)
    for i in range(33, 36):
        data = dw.add_vml_shape(data, SHEET, book.word_box(i, "はい"))
    for i in range(36, 41):
        x0, _ = book.word_x("はい")
        y0 = book.row_y0(i)
        data = dw.add_checkbox(data, SHEET, Box(x0 - 13, y0 + 1, x0 + 22, y0 + 14), label="はい")
    return plain, data, book


def per_call_ms(fn: Callable[[], object], repeat: int = 200) -> tuple[float, float]:
    fn()  # warm caches (styles, tag names)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    plain, data, book = build()
    slots = book.slots()  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        n = len(read_marks(zf, PART))
        readings, stray = read_slots(zf, PART, slots, [])
    print(f"sheet: {ROWS} answer rows, {n} marks, {len(readings)} slots decided, "
          f"{len(stray)} stray; sheet XML {len(zipfile.ZipFile(io.BytesIO(data)).read(PART))} bytes")
    for label, blob in (("with drawings", data), ("without drawings", plain)):
        zf = zipfile.ZipFile(io.BytesIO(blob))  # one open archive per workbook, as the reader has
        med, best = per_call_ms(lambda zf=zf: read_marks(zf, PART))
        print(f"read_marks          {label:17s} median {med:6.3f} ms  best {best:6.3f} ms")
        med, best = per_call_ms(lambda zf=zf: read_slots(zf, PART, slots, []))
        print(f"read_slots          {label:17s} median {med:6.3f} ms  best {best:6.3f} ms")
        med, best = per_call_ms(lambda zf=zf: sheet_has_drawings(zf, PART))
        print(f"sheet_has_drawings  {label:17s} median {med:6.3f} ms  best {best:6.3f} ms")


if __name__ == "__main__":
    main()
