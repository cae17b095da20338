"""xltools: read, check and consolidate the Japanese healthcare-cybersecurity Excel forms.

Library entry points (imported lazily so ``xltools --help`` starts fast)::

    import xltools
    res = xltools.read_many(["受領フォルダ/"])
    res.submissions, res.answers, res.problems
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["read", "read_many", "consolidate", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("read", "read_many"):
        from . import api

        return getattr(api, name)
    if name == "consolidate":
        from .consolidate import consolidate

        return consolidate
    raise AttributeError(name)
