"""Imported by the worker pool's fork server only: parse the bundled mappings once there, so
every worker forked from it starts with the catalogue in memory instead of parsing the YAML
files again (a few hundred milliseconds of CPU per worker, at the start of every run).

The table locators, the drawing reader and the contract/BCP catalogues are loaded here too:
each worker would otherwise import and parse them on its first file.
"""

from __future__ import annotations

import contextlib

from xltools.forms.catalogue import load_catalogue

with contextlib.suppress(Exception):  # a broken mapping folder is reported by the run itself
    load_catalogue()

with contextlib.suppress(Exception):  # optional rooms; a missing one is simply not preloaded
    from xltools.forms import tables  # noqa: F401
    from xltools.forms.table_catalogue import load_table_catalogue
    from xltools.xlsx import drawings  # noqa: F401

    for _table in ("contract", "bcp"):
        load_table_catalogue(_table)
