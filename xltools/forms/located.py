"""The located form: what every form's locator returns, whatever the form.

Every form (the checklist, the contract role table, the BCP table, and whatever a mapping file
adds next) is read through the same steps::

    recognise + locate (a FormKind's locate)  ->  LocatedForm: answer places with their cells
    decode (xltools.decode.read_form)         ->  one Slot per place: typed, dropdown, struck,
                                                  deleted word, ○-prefixed, drawn marks,
                                                  check boxes, dates
    check (the FormKind's check)              ->  problem rows
    rows (xltools.pipeline)                   ->  submission, answer and problem rows

What differs between forms is data (the mapping, the table catalogues) and a small
:class:`FormKind` per form: its locator, which turns a sheet into a :class:`LocatedForm`, and
its checks. Nothing else in the path knows which form it reads.

A locator's own findings (the checklist's :class:`xltools.forms.locate.Located`, a table's
:class:`xltools.forms.tables.LocatedTable`) stay available as :attr:`LocatedForm.found` for the
form's checks and for ``fill``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from xltools import problems as P
    from xltools.checks.validate import Context
    from xltools.decode import SheetDate, Slot
    from xltools.forms.catalogue import Catalogue
    from xltools.forms.locate import Scan
    from xltools.xlsx.book import Sheet

NAME_FIELDS = ("facility_name", "vendor_name", "system_name", "facility_code", "respondent")


@dataclass(slots=True)  # not frozen: a frozen init costs 5x, and a sheet makes hundreds
class Place:
    """Where one answer (one item, scope and round) is written: the cells decode reads.

    Nothing is decided here; :func:`xltools.decode.read_place` reads the cells into a
    :class:`xltools.decode.Slot`. Columns are 0-based; merged cells are resolved when read.
    """

    item_id: str
    scope: str
    round: int
    row: int
    ref: str  # the item's number as the answer row names it (項番)
    item_cell: str = ""  # the item's own cell: named in the answer row when no answer cell is
    answer: int | None = None  # one answer cell (typed, dropdown, ○はい・いいえ, struck, drawn)
    yes: int | None = None  # or separate はい / いいえ columns (a mark under one of them)
    no: int | None = None
    tick: bool = False  # the answer cell is a check column: a lone drawn mark or box means yes
    date: int | None = None  # the answer's 確認日 / 対応日
    date_in_answer: bool = False  # a date may also be written inside the answer cell
    fiscal_year: int | None = None  # the year a month/day date lands in (None: no year, no date)
    target: int | None = None  # 目標日
    target_fiscal_year: int | None = None
    target_always: bool = False  # read the target even when the answer is blank
    given_date: SheetDate | None = None  # one date for the whole sheet (the contract's 初回確認)
    completed: int | None = None  # 完了日 (a month/day falls on or after ``given_date``)
    dated_only_if_answered: bool = False  # an unanswered row shows no date


@dataclass
class Part:
    """One sheet a form stands on (a contract table may span two), with its answer places."""

    sheet: Sheet
    places: list[Place]
    item_rows: list[int]  # rows of the item table: a drawn mark between them on no answer cell
    # is reported as stray


class Expected(NamedTuple):
    """An answer the form asks for; one not found gets a blank answer row (source missing)."""

    item_id: str
    scope: str
    round: int
    ref: str


@dataclass
class LocatedForm:
    """One form found on one sheet, in the shape every form shares."""

    kind: FormKind
    form: str  # checklist | contract | bcp
    sheet: Sheet  # the sheet the submission is named after
    mapping: str  # the mapping read with: "R7/hospital", "tables/contract" ...
    edition: str
    variant: str
    confidence: float
    names: dict[str, str]  # NAME_FIELDS as read (header fields, or the file name for a table)
    parts: list[Part]
    expected: list[Expected] = field(default_factory=list)
    found: Any = None  # the locator's own findings, for the form's checks and for fill


class FormKind(Protocol):
    """The small piece of code per form: find it on a sheet, check what was read."""

    form: str

    def locate(self, scan: Scan, catalogue: Catalogue) -> LocatedForm | None:
        """The form on this sheet, or None when the sheet is not one."""

    def check(self, located: LocatedForm, slots: list[list[Slot]], ctx: Context
              ) -> list[P.Problem]:
        """Problems of the located form and of its decoded slots (one list per part)."""

    def partial(self, problems: list[dict[str, Any]]) -> bool:
        """Whether these problem rows make the submission ``partial``."""


__all__ = ["Expected", "FormKind", "LocatedForm", "NAME_FIELDS", "Part", "Place"]
