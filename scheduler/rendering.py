"""Jinja2 for pages (and, later, emails): one environment over the `templates/` folder."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scheduler.config import project_home
from scheduler.texts import Lang, Words, counted, label, text

TEMPLATES = project_home() / "templates"
STATIC = TEMPLATES / "static"


@cache
def environment(folder: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing value is a bug, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["label"] = label
    return env


def render(template: str, lang: Lang, /, **context: Any) -> str:
    """Render `templates/<template>` with `t(key)` giving the words in `lang`."""

    def t(key: str, **values: str) -> str:
        return text(key, lang, **values)

    def n(key: str, number: int) -> str:
        return counted(key, number, lang)

    def day(value: date) -> str:
        """ "ma 7 dec": a date (no zone involved) as the reader reads it."""
        return Words(lang, "UTC").day(value)

    page = environment().get_template(template)
    return page.render(lang=lang, t=t, n=n, day=day, **context)
