"""Checks shared by the staff forms of reports and incidents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext


class FilterNoticesMixin:
    """For filter forms: a bad value is ignored, with one translated notice per field."""

    def notices(self) -> list[str]:
        form: Any = self
        form.is_valid()
        return [
            gettext("The filter “%(name)s” had an invalid value and was ignored.")
            % {"name": form.fields[name].label}
            for name in form.errors
        ]


def check_time_window(form: forms.Form, data: dict[str, Any]) -> None:
    """``occurred_from`` .. ``occurred_to``: not in the future, and the end after the start."""
    start, end = data.get("occurred_from"), data.get("occurred_to")
    if start is not None and start > timezone.now():
        form.add_error("occurred_from", gettext("The time cannot be in the future."))
    if end is not None and start is None:
        form.add_error("occurred_from", gettext("Give the start of the time window."))
    elif end is not None and start is not None and end < start:
        form.add_error("occurred_to", gettext("The end of the window is before its start."))
