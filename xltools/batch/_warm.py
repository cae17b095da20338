"""Imported by the worker pool's fork server only: parse the bundled mappings once there, so
every worker forked from it starts with the catalogue in memory instead of parsing the YAML
files again (a few hundred milliseconds of CPU per worker, at the start of every run)."""

from __future__ import annotations

import contextlib

from xltools.forms.catalogue import load_catalogue

with contextlib.suppress(Exception):  # a broken mapping folder is reported by the run itself
    load_catalogue()
