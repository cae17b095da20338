"""``xltools serve``: the page for staff who never open a terminal.

Three pages (集計, 一括記入, 確認) over the same library calls as the command line
(:mod:`xltools.api`), served by Starlette under uvicorn, with every asset in the package.
Safe by default: loopback only, a Host allow-list on every request, cross-site posts refused,
a token when bound off loopback, capped uploads stored under names the page chooses, and each
job in its own temporary folder removed when done with (see :mod:`xltools.web.guards`,
:mod:`xltools.web.uploads`, :mod:`xltools.web.jobs`).
"""

from __future__ import annotations

from xltools.web.app import create_app

__all__ = ["create_app"]
