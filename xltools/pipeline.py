"""The one path a file travels: open -> recognise and locate each sheet -> decode -> check -> rows.

:func:`read_file` turns one file into plain rows (:class:`FileRows`) of the output contract
(:mod:`xltools.output.schema`); :func:`to_result` makes the three frames. A file never stops a
batch: whatever goes wrong becomes problem rows. The user tasks are in :mod:`xltools.api`.
"""

from __future__ import annotations

import hashlib
import os
import traceback
from collections.abc import Iterable
from typing import Any

from xltools import problems as P
from xltools.checks.validate import Context
from xltools.decode import BLANK, Slot, Vocabulary, iso, read_form
from xltools.forms import checklist, tables
from xltools.forms.catalogue import Catalogue, load_catalogue
from xltools.forms.locate import Scan
from xltools.forms.located import FormKind, LocatedForm
from xltools.labels import VARIANT_JA
from xltools.listing import listed
from xltools.output.own import own_workbook
from xltools.rows import FileRows, Result, to_result
from xltools.xlsx.book import Book, read_book


def submission_id(sha256: str, sheet: str) -> str:
    return hashlib.sha256(f"{sha256}:{sheet}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# the forms: one small FormKind each (its locator and its checks); everything else is shared

# Tables first: they need header labels a checklist never prints (項番 with 初回確認 / 完了日,
# or 確認項目 with the BCP title or 大項目 labels), whereas the checklist's fuzzy item match
# claims a BCP table (its questions resemble checklist items 2-① and 3-①).
FORMS: tuple[FormKind, ...] = (tables.CONTRACT, tables.BCP, checklist.FORM)


def locate(scan: Scan, catalogue: Catalogue) -> LocatedForm | None:
    """The first form found on the sheet, or None."""
    for kind in FORMS:
        located = kind.locate(scan, catalogue)
        if located is not None:
            return located
    return None


_VOCABULARIES: dict[str, Vocabulary] = {}


def _vocabulary(catalogue: Catalogue) -> Vocabulary:
    """One Vocabulary per catalogue version, so its memo of decoded answers lasts the batch."""
    got = _VOCABULARIES.get(catalogue.version)
    if got is None:
        got = _VOCABULARIES[catalogue.version] = Vocabulary.from_mapping(catalogue.vocabulary)
    return got


def read_file(path: str | os.PathLike[str], catalogue: Catalogue | None = None,
              passwords: list[str] | None = None, data: bytes | None = None) -> FileRows:
    """Read one file into plain rows; never raises for a bad file."""
    catalogue = catalogue or load_catalogue()
    path = str(path)
    try:
        book = read_book(path, passwords=passwords, data=data)
        return _rows_for_book(book, catalogue)
    except Exception as exc:  # a bug of ours must not stop the batch: say so, go on
        detail = f"{type(exc).__name__}: {exc}"
        tb = traceback.format_exc(limit=3).strip().splitlines()[-1]
        out = FileRows(path=path, sha256="")
        out.problems.append(P.make("read.internal_error", path=path, detail=f"{detail} [{tb}]").row())
        return out


def _rows_for_book(book: Book, catalogue: Catalogue) -> FileRows:
    out = FileRows(path=book.path, sha256=book.sha256)
    out.problems.extend(p.row() for p in book.problems)
    if not book.sheets:
        return out
    own = own_workbook(s.name for s in book.sheets)
    if own:  # xltools' own output in an input folder: skipped, said once
        out.problems.append(P.make("read.xltools_output", path=book.path, detail=own).row())
        return out
    vocab = _vocabulary(catalogue)
    found_any = False
    forms: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = []
    for sheet in book.sheets:
        scan = Scan.of(sheet)
        located = locate(scan, catalogue)
        if located is None:
            if scan.text:
                out.problems.append(P.make("form.sheet_skipped", path=book.path, sheet=sheet.name,
                                           detail=_skip_hint(scan)).row())
            continue
        found_any = True
        sid = submission_id(book.sha256, sheet.name)
        forms.append(form_rows(book, located, sid, vocab))
    if not found_any:
        from xltools.aggregate.roster import looks_like_roster

        if any(looks_like_roster(s.rows) for s in book.sheets):  # a facility list beside the forms
            out.problems = [p for p in out.problems if p["code"] != "form.sheet_skipped"]
            out.problems.append(P.make("form.roster_skipped", path=book.path).row())
        else:
            out.problems.append(P.make("form.not_recognised", path=book.path).row())
    filled = [f for f in forms if not is_untouched(*f)]
    for subs, answers, problems in forms:
        if filled and not any(subs is f[0] for f in filled):
            out.problems.append(P.make("form.blank_sheet", path=book.path, sheet=subs["sheet"],
                                       detail=_form_label(subs)).row())
            continue
        out.submissions.append(subs)
        out.answers.extend(answers)
        out.problems.extend(problems)
    joined = {p["detail"] for p in out.problems if p["code"] == "table.parts_joined"}
    if joined:  # the second sheet of a contract table read with its first was not skipped
        out.problems = [p for p in out.problems
                        if not (p["code"] == "form.sheet_skipped" and p["sheet"] in joined)]
    return out


_NOTHING_WRITTEN = frozenset({"empty"})
# what reading a blank form says of it; any other problem means something there was not
# understood (an answer outside the columns read, an unknown row, no answer column...), and a
# sheet like that is never dropped
_BLANK_FORM_PROBLEMS = frozenset({
    "answer.blank", "locate.facility_missing", "locate.vendor_missing", "form.edition_uncertain",
    "form.variant_uncertain", "table.answer_blank", "table.checked_date_missing",
    "table.unknown_item", "table.answer_column"})


def is_untouched(sub: dict[str, Any], answers: list[dict[str, Any]],
                 problems: Iterable[dict[str, Any]] = ()) -> bool:
    """A form sheet nobody filled in: no names, no answer, no date, no mark, and nothing the
    reader did not understand (every answer cell found and printed blank).

    The official workbook holds the facility form and the vendor form side by side, and a
    facility returns the whole workbook with the vendor sheet untouched. Listing that sheet as
    a submission would report dozens of unanswered items for a form nobody was asked to fill,
    so beside a filled form in the same file it is skipped with an ``info`` problem (the file
    is still listed). A file whose every form is untouched keeps them: a facility that sent
    the blank form back must hear that nothing was answered. A sheet with anything written
    in it, even only a name, is never skipped.
    """
    if any(str(sub.get(k) or "").strip() for k in ("facility_name", "vendor_name", "system_name",
                                                     "facility_code", "respondent")):
        return False
    if sub.get("status") != "ok" or any(p["code"] not in _BLANK_FORM_PROBLEMS for p in problems):
        return False
    return bool(answers) and all(a.get("answer") == BLANK and a.get("source") in _NOTHING_WRITTEN
               and not a.get("checked_on") and not a.get("target_on")
               and not a.get("completed_on") for a in answers)


_FORM_LABELS = {"checklist": "チェックリスト", "contract": "契約の役割分担確認表", "bcp": "BCP確認表"}


def _form_label(sub: dict[str, Any]) -> str:

    form = _FORM_LABELS.get(str(sub.get("form", "")), str(sub.get("form", "")))
    variant = VARIANT_JA.get(str(sub.get("variant", "")), "")
    edition = str(sub.get("edition", ""))
    return f"{edition} {form}{'（' + variant + '）' if variant and form == 'チェックリスト' else ''}"


def _skip_hint(scan: Scan) -> str:
    texts = [t for _, t in sorted(scan.raw.items())][:1]
    return f"（先頭の記入：「{texts[0][:20]}」）" if texts else ""


# --------------------------------------------------------------------------------------------
# one located form -> its rows (the same for every form)

Rows = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


def form_rows(book: Book, located: LocatedForm, sid: str, vocab: Vocabulary) -> Rows:
    """Decode, check and turn one located form into its submission, answer and problem rows."""
    ctx = Context(path=book.path, submission_id=sid, sheet=located.sheet.name)
    slots, notes = read_form(located, vocab)
    problems = [p.row() for p in located.kind.check(located, slots, ctx)]
    problems += [P.make(n.code, path=book.path, submission_id=sid, sheet=sheet, cell=n.cell,
                        detail=n.detail).row() for sheet, n in notes]
    answers = [answer_row(sid, part.sheet.name, s)
               for part, part_slots in zip(located.parts, slots) for s in part_slots]
    answers += missing_rows(sid, located, slots)
    status = "partial" if located.kind.partial(problems) else "ok"
    return submission_row(book, sid, located, status), answers, problems


def submission_row(book: Book, sid: str, located: LocatedForm, status: str) -> dict[str, Any]:
    names = located.names
    return {
        "submission_id": sid, "path": book.path, "sheet": located.sheet.name,
        "sha256": book.sha256, "form": located.form, "variant": located.variant,
        "edition": located.edition, "facility_name": names.get("facility_name", ""),
        "vendor_name": names.get("vendor_name", ""), "system_name": names.get("system_name", ""),
        "status": status, "facility_code": names.get("facility_code", ""),
        "respondent": names.get("respondent", ""), "confidence": located.confidence,
        "mapping": located.mapping, "file_modified": book.modified,
    }


def answer_row(sid: str, sheet: str, s: Slot) -> dict[str, Any]:
    """One decoded answer place as an answer row (one a place: the dates' ISO text inline)."""
    decoded = s.decoded
    answer = decoded.answer
    dated = answer != BLANK or not s.dated_only_if_answered
    checked = s.checked.value
    target = s.target.value
    return {
        "submission_id": sid, "item_id": s.item_id, "scope": s.scope, "round": s.round,
        "answer": answer, "checked_on": checked.isoformat() if checked and dated else "",
        "target_on": target.isoformat() if target else "",
        "completed_on": iso(s.completed.value) if s.completed is not None else "",
        "source": decoded.source, "raw": s.raw, "sheet": sheet, "cell": s.cell or s.item_cell,
        "ref": s.ref, "date_cell": s.date_cell if dated else "",
        "raw_date": s.raw_date if dated else "", "target_cell": s.target_cell,
        "raw_target": s.raw_target,
    }


def missing_rows(sid: str, located: LocatedForm, slots: list[list[Slot]]) -> list[dict[str, Any]]:
    """Every answer the form asks for gets a row: blank, source ``missing``, when not found."""
    have = {(s.item_id, s.scope, s.round) for part in slots for s in part}
    sheet = located.sheet.name
    return [{"submission_id": sid, "item_id": e.item_id, "scope": e.scope, "round": e.round,
             "answer": BLANK, "checked_on": "", "target_on": "", "completed_on": "",
             "source": "missing", "raw": "", "sheet": sheet, "cell": "", "ref": e.ref}
            for e in located.expected if (e.item_id, e.scope, e.round) not in have]


# --------------------------------------------------------------------------------------------
# many files


def expand_inputs(inputs: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files and folders (recursively) -> sorted file paths; hidden files skipped."""
    return listed(inputs)


__all__ = ["FORMS", "Result", "FileRows", "form_rows", "locate", "read_file", "expand_inputs",
           "to_result", "submission_id"]
