"""The catalog in the browser: themes (with their focus), stakeholders and partnerships, read
by everyone signed in and kept by admins. The forms follow the dossier form: errors next to
their field, a form based on an older version refused (412), a short name in use refused (409)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scheduler import catalog, catalog_views, permissions
from scheduler.errors import Conflict, LobbyError, PreconditionFailed
from scheduler.models import Level, Partnership, Person, PersonRole, Stakeholder, Theme
from scheduler.schemas import PartnershipIn, Record, StakeholderIn, ThemeIn, parse
from scheduler.web.agenda import (
    check_csrf,
    database_of,
    language,
    page,
    page_with_status,
    signed_in,
)
from scheduler.web.pages import PAGE_HEADERS

router = APIRouter(tags=["pages"])
_ROLE_FIELDS = {f"role_{level.value}": level.value for level in Level}


@dataclass(frozen=True)
class _Kind:
    """One part of the catalog as its form sees it."""

    path: str  # "/themes"
    template: str
    model: type[Theme] | type[Stakeholder] | type[Partnership]
    schema: type[Record]
    save: Callable[[Session, Any], object]
    find: Callable[[Session, str], Any]
    describe: Callable[[Any], dict[str, Any]]
    lists: tuple[str, ...]  # fields with several values
    after: str  # where a saved form leads
    blank: dict[str, Any]


THEMES = _Kind(
    "/themes", "pages/theme_form.html", Theme, ThemeIn, catalog.save_theme,
    lambda session, slug: catalog.by_slug(session, Theme, slug), catalog.describe_theme, (),
    "/themes", {"slug": "", "name": "", "roles": {}},
)  # fmt: skip
STAKEHOLDERS = _Kind(
    "/stakeholders", "pages/stakeholder_form.html", Stakeholder, StakeholderIn,
    catalog.save_stakeholder, lambda session, slug: catalog.by_slug(session, Stakeholder, slug),
    catalog.describe_stakeholder, (), "/stakeholders",
    {"slug": "", "name": "", "kind": "overig"},
)  # fmt: skip
PARTNERSHIPS = _Kind(
    "/partnerships", "pages/partnership_form.html", Partnership, PartnershipIn,
    catalog.save_partnership, lambda session, slug: catalog.by_slug(session, Partnership, slug),
    catalog.describe_partnership, ("themes", "members"),
    "/partnerships#all", {"slug": "", "name": "", "level": "regionaal", "kind": "strategisch",
                          "themes": [], "members": []},
)  # fmt: skip


# ---------------------------------------------------------------- reading


@router.get("/catalog", response_class=HTMLResponse, responses={401: {}})
def catalog_page(request: Request) -> Response:
    """Where the catalog's pages are: themes, stakeholders, partnerships, each with its count."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        counts = {
            kind.path: session.scalar(select(func.count()).select_from(kind.model)) or 0
            for kind in (THEMES, STAKEHOLDERS, PARTNERSHIPS)
        }
        return page(
            request, "pages/catalog.html", language(request, person), person=person,
            counts=counts, may_keep=_may_keep(person),
        )  # fmt: skip


@router.get("/themes", response_class=HTMLResponse, responses={401: {}})
def themes_page(request: Request) -> Response:
    """Each theme with its focus: priority, our role per level, strategic choice, holder."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        return page(
            request, "pages/themes.html", lang, person=person,
            rows=catalog_views.theme_rows(session, lang), may_keep=_may_keep(person),
        )  # fmt: skip


@router.get("/stakeholders", response_class=HTMLResponse, responses={401: {}})
def stakeholders_page(request: Request) -> Response:
    """The stakeholders by kind, with the levels we meet them at and their contact persons."""
    with database_of(request).read() as session:
        person = signed_in(request, session)
        lang = language(request, person)
        return page(
            request, "pages/stakeholders.html", lang, person=person,
            groups=catalog_views.stakeholder_groups(session, lang), may_keep=_may_keep(person),
        )  # fmt: skip


def _may_keep(person: Person) -> bool:
    return permissions.has_role(person, PersonRole.ADMIN)


# ---------------------------------------------------------------- the forms


def _new(kind: _Kind) -> Callable[[Request], Response]:
    def show(request: Request) -> Response:
        with database_of(request).read() as session:
            person = signed_in(request, session)
            _check(person, kind)
            return _form_page(request, session, person, kind, dict(kind.blank), None, "")

    return show


def _edit(kind: _Kind) -> Callable[[Request, str], Response]:
    def show(request: Request, slug: str) -> Response:
        with database_of(request).read() as session:
            person = signed_in(request, session)
            _check(person, kind)
            described = kind.describe(kind.find(session, slug))
            version = catalog.fingerprint(described)
            return _form_page(request, session, person, kind, described, slug, version)

    return show


def _post_new(kind: _Kind) -> Callable[[Request], Any]:
    async def save(request: Request) -> Response:
        form = _posted(await request.form(), kind)
        return await run_in_threadpool(_save, request, kind, None, form)

    return save


def _post_edit(kind: _Kind) -> Callable[[Request, str], Any]:
    async def save(request: Request, slug: str) -> Response:
        form = _posted(await request.form(), kind)
        return await run_in_threadpool(_save, request, kind, slug, form)

    return save


for _kind in (THEMES, STAKEHOLDERS, PARTNERSHIPS):
    _noun = _kind.path.strip("/")
    _answers: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 412: {},
                                                 422: {}}  # fmt: skip
    router.add_api_route(
        f"{_kind.path}/new", _new(_kind), methods=["GET"], response_class=HTMLResponse,
        name=f"new_{_noun}", summary=f"The empty form for one of the {_noun} (admins)",
        responses={401: {}, 403: {}},
    )  # fmt: skip
    router.add_api_route(
        f"{_kind.path}/new", _post_new(_kind), methods=["POST"], response_class=HTMLResponse,
        name=f"create_{_noun}", summary=f"Add one of the {_noun} (admins)", responses=_answers,
    )  # fmt: skip
    router.add_api_route(
        f"{_kind.path}/{{slug}}/edit", _edit(_kind), methods=["GET"],
        response_class=HTMLResponse, name=f"edit_{_noun}",
        summary=f"The form for one of the {_noun}, filled in (admins)",
        responses={401: {}, 403: {}, 404: {}},
    )  # fmt: skip
    router.add_api_route(
        f"{_kind.path}/{{slug}}/edit", _post_edit(_kind), methods=["POST"],
        response_class=HTMLResponse, name=f"change_{_noun}",
        summary=f"Change one of the {_noun} (admins)", responses=_answers,
    )  # fmt: skip


def _check(person: Person, kind: _Kind) -> None:
    permissions.check_admin(person, f"keep {kind.path.strip('/')}")


def _posted(form: Any, kind: _Kind) -> dict[str, Any]:
    values: dict[str, Any] = {key: str(form.get(key) or "") for key in form}
    for name in kind.lists:
        values[name] = [str(v) for v in form.getlist(name)]
    return values


def _spec_fields(kind: _Kind, form: Mapping[str, Any], slug: str | None) -> dict[str, Any]:
    """The form as the import format; every field is given, so that a cleared one clears."""
    names = set(kind.schema.model_fields) - {"slug", "roles"}
    fields: dict[str, Any] = {name: form.get(name, [] if name in kind.lists else "")
                              for name in names}  # fmt: skip
    fields["slug"] = slug or str(form.get("slug", "")).strip()
    if kind is THEMES:
        fields["roles"] = {level: form.get(name, "") for name, level in _ROLE_FIELDS.items()}
    return fields


def _save(request: Request, kind: _Kind, slug: str | None, form: dict[str, Any]) -> Response:
    check_csrf(request, form.get("csrf", ""))
    fields = _spec_fields(kind, form, slug)
    try:
        with database_of(request).write() as session:
            person = signed_in(request, session)
            _check(person, kind)
            if slug is not None:
                found = kind.find(session, slug)
                if catalog.fingerprint(kind.describe(found)) != form.get("version"):
                    raise PreconditionFailed(
                        f"someone changed {slug} while you edited it: reload to see their "
                        "change", key="stale_catalog_form",
                    )  # fmt: skip
            elif session.scalar(select(kind.model.id).where(kind.model.slug == fields["slug"])):
                raise Conflict(
                    f"{fields['slug']!r} exists already: choose another short name",
                    field="slug", key="slug_taken", params={"value": fields["slug"]},
                )  # fmt: skip
            kind.save(session, parse(kind.schema, fields))
    except LobbyError as error:
        return _again(request, kind, slug, form, error)
    return RedirectResponse(kind.after, status_code=303, headers=PAGE_HEADERS)


def _again(
    request: Request, kind: _Kind, slug: str | None, form: Mapping[str, Any], error: LobbyError
) -> Response:
    """The form once more, as it was sent, with the error next to its field."""
    values = dict(form)
    if slug is not None:
        values["slug"] = slug
    with database_of(request).read() as session:
        person = signed_in(request, session)
        return _form_page(
            request, session, person, kind, values, slug, form.get("version", ""), error
        )


def _form_page(
    request: Request, session: Session, person: Person, kind: _Kind, values: Mapping[str, Any],
    slug: str | None, version: str, error: LobbyError | None = None,
) -> HTMLResponse:  # fmt: skip
    lang = language(request, person)
    shown = dict(values)
    for name, level in _ROLE_FIELDS.items():  # a theme's roles, one select per level
        shown.setdefault(name, (values.get("roles") or {}).get(level, ""))
    context: dict[str, object] = {
        "person": person, "values": shown, "slug": slug, "version": version, "error": error,
        "error_field": _form_field(error), "choices": catalog_views.form_choices(session, lang),
        "back": kind.after,
    }  # fmt: skip
    status = 200 if error is None else error.status
    return page_with_status(request, kind.template, lang, status, context)


def _form_field(error: LobbyError | None) -> str:
    """The form field an error belongs to (`roles.regionaal` → `role_regionaal`)."""
    if error is None or not error.field:
        return ""
    parts = error.field.split(".")
    if parts[0] == "roles":
        return f"role_{parts[1]}" if len(parts) > 1 and f"role_{parts[1]}" in _ROLE_FIELDS else ""
    return parts[0]
