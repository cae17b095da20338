"""xltools: read, check and consolidate the Japanese healthcare-cybersecurity Excel forms.

The library's front door is :mod:`xltools.api` (imported lazily so ``xltools --help`` starts
fast)::

    import xltools
    res = xltools.read_many("受領フォルダ/")
    res.submissions, res.answers, res.problems
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["read", "read_many", "normalize", "consolidate", "fill", "inspect", "learn", "__version__"]


def __getattr__(name: str) -> Any:
    if name in __all__ and name != "__version__":
        from xltools import api

        return getattr(api, name)
    raise AttributeError(name)
