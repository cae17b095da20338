"""Hand-made frames for the consolidation tests (see test_consolidate.py for the arithmetic).

Facilities: A さくら病院 (roster, code match via legal-entity name; R7 current + R6 older),
B あおば薬局 (roster; has_system yes, no vendor form), C みどり医院 (roster, not submitted),
D みどりクリニック (not in roster: near-miss of C; has_system no).
Vendor forms: V1 ABCシステム R7 for A, V2 XYZメディカル R5 for A, V3 for D, V4 for an
unknown facility (formula-like vendor name).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from xltools.aggregate.roster import make_roster
from xltools.output import schema

AS_OF = "2025-06-01"


def _sub(sid: str, variant: str, edition: str, facility: str, *, vendor: str = "",
         code: str = "", path: str = "", system: str = "") -> dict[str, Any]:
    return {"submission_id": sid, "path": path or f"in/{sid}.xlsx", "sheet": "回答",
            "sha256": sid * 4, "form": "checklist", "variant": variant, "edition": edition,
            "facility_name": facility, "vendor_name": vendor, "system_name": system,
            "status": "ok", "facility_code": code, "file_modified": "2025-05-01T00:00:00"}


def _rows(sid: str, spec: list[tuple]) -> list[dict[str, Any]]:
    """spec: (item_id, scope, answer, checked_on, target_on[, round[, raw]])."""
    out = []
    for n, t in enumerate(spec):
        item, scope, answer, checked, target = t[:5]
        rnd = t[5] if len(t) > 5 else 1
        raw = t[6] if len(t) > 6 else {"yes": "はい", "no": "いいえ"}.get(answer, "")
        out.append({"submission_id": sid, "item_id": item, "scope": scope, "round": rnd,
                    "answer": answer, "checked_on": checked, "target_on": target,
                    "source": "text", "raw": raw, "sheet": "回答",
                    "cell": f"{'E' if rnd == 1 else 'G'}{10 + n}", "ref": "",
                    "target_cell": f"H{10 + n}" if target else ""})
    return out


def frames() -> dict[str, pd.DataFrame]:
    subs = [
        _sub("A7", "hospital", "R7", "医療法人社団 桜会 さくら病院"),
        _sub("A6", "hospital", "R6", "さくら病院", code="1312345678"),
        _sub("B7", "pharmacy", "R7", "あおば薬局"),
        _sub("D7", "hospital", "R7", "みどりクリニック"),
        _sub("V1", "vendor", "R7", "さくら病院", vendor="ABCシステム", system="電子カルテ"),
        _sub("V2", "vendor", "R5", "さくら 病院", vendor="XYZメディカル", system="PACS"),
        _sub("V3", "vendor", "R7", "みどりクリニック", vendor="ABCシステム"),
        _sub("V4", "vendor", "R7", "存在しない病院", vendor='=HYPERLINK("http://x","y")'),
    ]
    answers = (
        _rows("A7", [("has_system", "all", "yes", "2025-05-01", ""),
                     ("security_officer", "all", "yes", "2025-05-01", ""),
                     ("remote_maintenance", "all", "no", "", "2025-09-30"),
                     ("mds_sds", "all", "yes", "", ""),
                     ("access_rights", "all", "no", "", "2025-03-31", 1),
                     ("access_rights", "all", "yes", "2025-05-20", "", 2),
                     ("access_log", "server", "no", "", "2025-03-31"),
                     ("unneeded_services", "server+terminal", "yes", "", "")])
        + _rows("A6", [("has_system", "all", "yes", "", ""),
                       ("security_officer", "all", "no", "", ""),
                       ("remote_maintenance", "all", "no", "", ""),
                       ("mds_sds", "all", "yes", "", ""),
                       ("access_rights", "server", "yes", "", ""),
                       ("access_rights", "terminal", "no", "", ""),
                       ("access_log", "server", "no", "", ""),
                       ("unneeded_services", "server", "yes", "", ""),
                       ("unneeded_services", "terminal", "yes", "", "")])
        + _rows("B7", [("has_system", "all", "yes", "", ""),
                       ("security_officer", "all", "yes", "", "", 1, "+cmd"),
                       ("remote_maintenance", "all", "blank", "", "", 1, "-1+1"),
                       ("mds_sds", "all", "no", "", ""),
                       ("access_rights", "all", "yes", "", "", 1, "@SUM(A1)"),
                       ("access_log", "server", "na", "", ""),
                       ("unneeded_services", "server+terminal", "blank", "", "")])
        + _rows("D7", [("has_system", "all", "no", "", ""),
                       ("security_officer", "all", "blank", "", ""),
                       ("remote_maintenance", "all", "blank", "", "")])
        + _rows("V1", [("security_officer", "all", "no", "2025-05-10", "2025-04-30"),
                       ("remote_maintenance", "all", "yes", "", ""),
                       ("mds_sds", "all", "no", "", ""),
                       ("access_rights", "all", "yes", "", ""),
                       ("access_log", "server", "yes", "", ""),
                       ("unneeded_services", "server+terminal", "yes", "", "")])
        + _rows("V2", [("security_officer", "all", "yes", "", ""),
                       ("access_rights", "server", "no", "", "2026-03-31")])
        + _rows("V3", [("security_officer", "all", "yes", "", "")])
        + _rows("V4", [("security_officer", "all", "no", "", "")])
    )
    problems = [{"submission_id": "B7", "path": "in/B7.xlsx", "severity": "warning",
                 "code": "answer.blank", "message": "項目 2-②（全般）の1回目の回答がありません（E12）。",
                 "sheet": "回答", "cell": "E12", "item_id": "remote_maintenance", "scope": "all",
                 "round": 1}]
    return {"submissions": schema.frame("submissions", subs),
            "answers": schema.frame("answers", answers),
            "problems": schema.frame("problems", problems)}


def roster() -> pd.DataFrame:
    return make_roster([
        {"facility_code": "1312345678", "name": "さくら病院", "kind": "病院", "area": "中央保健所",
         "group": "桜会"},
        {"name": "あおば薬局", "kind": "薬局", "area": "北保健所", "group": ""},
        {"name": "みどり医院", "kind": "診療所", "area": "北保健所", "group": "みどり会"},
    ])
