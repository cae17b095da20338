"""The Japanese words a user reads for xltools' codes, declared once.

Every workbook, message, letter and page that names a form variant, a device scope, a severity,
an answer or a form kind takes its word from here, so the same code never reads two ways.
"""

from __future__ import annotations

# The form's own printed names (the sheet labels of the official workbook); ``joint`` is the
# contract role table, which facility and vendor fill together.
VARIANT_JA: dict[str, str] = {
    "hospital": "医療機関確認用", "pharmacy": "薬局確認用", "vendor": "事業者確認用",
    "joint": "役割分担確認表",
}

SCOPE_JA: dict[str, str] = {
    "all": "全般", "server": "サーバ", "terminal": "端末PC", "network": "ネットワーク機器",
    "server+terminal": "サーバ・端末PC",
}

SEVERITY_JA: dict[str, str] = {"error": "エラー", "warning": "警告", "info": "情報"}

ANSWER_JA: dict[str, str] = {"yes": "はい", "no": "いいえ", "na": "該当なし", "blank": "未回答"}

FORM_JA: dict[str, str] = {"checklist": "チェックリスト", "bcp": "BCP確認表", "contract": "契約確認表"}


def variant_ja(variant: str) -> str:
    return VARIANT_JA.get(variant, variant)


def scope_ja(scope: str) -> str:
    """サーバ, or サーバ・端末PC for a joined scope none of the labels names as a whole."""
    if scope in SCOPE_JA:
        return SCOPE_JA[scope]
    return "・".join(SCOPE_JA.get(s, s) for s in str(scope).split("+"))


def severity_ja(severity: str) -> str:
    return SEVERITY_JA.get(severity, severity)


__all__ = ["VARIANT_JA", "SCOPE_JA", "SEVERITY_JA", "ANSWER_JA", "FORM_JA", "variant_ja",
           "scope_ja", "severity_ja"]
