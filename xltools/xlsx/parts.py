"""Part names inside an xlsx package: where a part's relationships are, where a relationship
points, every part by name. Reading sheets (:mod:`xltools.xlsx.book`), reading drawings
(:mod:`xltools.xlsx.drawings`) and writing shapes (:mod:`xltools.xlsx.drawing_writer`) resolve
relationships the same way.
"""

from __future__ import annotations

import io
import posixpath
import zipfile


def rels_name(part: str) -> str:
    """``xl/worksheets/sheet1.xml`` -> ``xl/worksheets/_rels/sheet1.xml.rels``."""
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


def normalise(path: str) -> str:
    """Collapse ``.`` and ``..`` segments; a ``..`` above the package root is dropped (a
    hostile target never names anything outside the package)."""
    parts: list[str] = []
    for seg in path.split("/"):
        if seg == "..":
            if parts:
                parts.pop()
        elif seg and seg != ".":
            parts.append(seg)
    return "/".join(parts)


def resolve_target(part: str, target: str) -> str:
    """A relationship's ``Target`` as a part name: absolute from the package root when it
    starts with ``/``, else relative to the folder of the part that owns the relationship."""
    if target.startswith("/"):
        return normalise(target.lstrip("/"))
    return normalise(posixpath.dirname(part) + "/" + target)


def read_parts(data: bytes) -> dict[str, bytes]:
    """Every part of a package by name, in archive order (to rewrite a package, or to compare
    a template with its filled copy); :class:`zipfile.BadZipFile` when it is not a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


__all__ = ["normalise", "read_parts", "rels_name", "resolve_target"]
