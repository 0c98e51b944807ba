"""A category's extra questions (``Category.questions``): their Open311 attributes, and the
checking of answers sent by the JSON API (``extra``) or Open311 (``attribute[code]``).

A question is a dict: ``{"code", "datatype", "required", "description_id", "description_en",
"values": [[key, name_id, name_en], ...], "order"?, "datatype_description_id/_en"?}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kamtibmas.reports.models import Category

LIST_TYPES = ("singlevaluelist", "multivaluelist")
MAX_STRING = 500
MAX_TEXT = 5000


def localized(question: dict[str, Any], base: str) -> str:
    lang = "en" if (get_language() or "id").startswith("en") else "id"
    return str(
        question.get(f"{base}_{lang}") or question.get(f"{base}_id") or question.get(base) or ""
    )


def options(question: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, localized name) of a list question."""
    lang_en = (get_language() or "id").startswith("en")
    result: list[tuple[str, str]] = []
    for value in question.get("values") or []:
        if isinstance(value, dict):
            name = value.get("name_en" if lang_en else "name_id") or value.get("name", "")
            result.append((str(value.get("key", "")), str(name)))
        else:
            row = list(value) + ["", ""]
            result.append((str(row[0]), str(row[2] if lang_en and row[2] else row[1])))
    return result


def questions_of(category: Category) -> list[dict[str, Any]]:
    return [q for q in (category.questions or []) if isinstance(q, dict) and q.get("code")]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _check(question: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """The cleaned value and an error message (or None)."""
    datatype = question.get("datatype", "string")
    keys = {key for key, _name in options(question)}
    if datatype == "singlevaluelist":
        value = value[0] if isinstance(value, list) and len(value) == 1 else value
        if not isinstance(value, str) or value not in keys:
            return None, _("Choose one of the listed values.")
        return value, None
    if datatype == "multivaluelist":
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v in keys for v in values):
            return None, _("Choose among the listed values.")
        return values, None
    if datatype == "number":
        try:
            return float(value), None
        except (TypeError, ValueError):
            return None, _("Enter a number.")
    if datatype == "datetime":
        try:
            return datetime.fromisoformat(str(value)).isoformat(), None
        except ValueError:
            return None, _(
                "Enter a date and time in ISO 8601 with a time-zone offset, "
                "e.g. 2025-01-31T20:15:00+08:00."
            )
    limit = MAX_TEXT if datatype == "text" else MAX_STRING
    if not isinstance(value, str | int | float) or len(str(value)) > limit:
        return None, _("This value is not valid.")
    return str(value), None


def clean_answers(
    category: Category, answers: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check ``answers`` against the category's questions. Returns (clean answers, errors by
    question code). Unknown codes are errors."""
    by_code = {q["code"]: q for q in questions_of(category)}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for code in answers:
        if code not in by_code:
            errors[str(code)[:40]] = [_("Unknown question.")]
    for code, question in by_code.items():
        value = answers.get(code)
        if _empty(value):
            if question.get("required"):
                errors[code] = [_("This field is required.")]
            continue
        cleaned, error = _check(question, value)
        if error:
            errors[code] = [error]
        else:
            clean[code] = cleaned
    return clean, errors
