"""Notes and documents over real HTTP (the API and the pages): who may read and add them, role
by role and confidentiality by confidentiality; downloads that never run a script; uploads
that are too large or lie about their type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from scheduler import agenda, dossiers, tokens
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.models import Document, ItemChange, ItemNote
from scheduler.schemas import DossierIn, ItemIn
from scheduler.web import create_app
from tests.test_web_agenda import HTML, sign_in

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROLES = ("staff", "lobbyist", "manager", "admin")
OTHER = "collega@example.nl"  # a lobbyist who owns the items that are not the tester's
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def email(role: str) -> str:
    return f"{role}@example.nl"


# The items every tester meets: others' items of each confidentiality, and the ones they
# take part in (internal and confidential).
ITEMS = {
    "open": {"owner": OTHER, "confidentiality": "public"},
    "intern": {"owner": OTHER, "confidentiality": "internal"},
    "geheim": {"owner": OTHER, "confidentiality": "confidential"},
    **{
        f"mee-{role}": {"owner": OTHER, "participants": [email(role)], "confidentiality": "internal"}
        for role in ROLES
    },
    **{
        f"geheim-mee-{role}": {
            "owner": OTHER, "participants": [email(role)], "confidentiality": "confidential",
        }
        for role in ROLES
    },
}  # fmt: skip

# What each role may do with the notes and documents of each kind of item: "read" (list and
# download), "add" (notes and documents), or "hidden" (the item does not exist for them).
# Adding is for who may change the item (managers and admins: any non-confidential one) and
# for its participants of any role; a confidential item is its owner's and participants'.
EXPECTED = {
    "staff": {"open": "read", "intern": "read", "geheim": "hidden", "mee": "add", "geheim-mee": "add"},
    "lobbyist": {"open": "read", "intern": "read", "geheim": "hidden", "mee": "add", "geheim-mee": "add"},
    "manager": {"open": "add", "intern": "add", "geheim": "hidden", "mee": "add", "geheim-mee": "add"},
    "admin": {"open": "add", "intern": "add", "geheim": "hidden", "mee": "add", "geheim-mee": "add"},
}  # fmt: skip


@dataclass
class Site:
    client: TestClient
    db: Database
    auth: dict[str, dict[str, str]]
    files: Path

    def as_page(self, role: str) -> str:
        """Sign in as `role` and return the form token."""
        sign_in(self.client, self.db, email(role))
        self.client.get("/agenda", headers=HTML)
        return self.client.cookies["lobby_csrf"]

    def stored(self) -> list[str]:
        return sorted(p.name for p in self.files.iterdir()) if self.files.exists() else []

    def rows(self) -> int:
        with self.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Document)) or 0)


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    actor = agenda.Actor("test", "test")
    people = [{"email": email(r), "name": r.title(), "roles": [r]} for r in ROLES]
    people.append({"email": OTHER, "name": "Collega", "roles": ["lobbyist"]})
    with time_machine.travel(NOW, tick=False):
        import_data(db, {"themes": [{"slug": "wonen", "name": "Wonen"}], "people": people},
                    "t", actor)  # fmt: skip
        with db.write() as session:
            for uid, fields in ITEMS.items():
                spec = {"uid": uid, "kind": "meeting", "title": f"Overleg {uid}",
                        "start": "2026-12-08T10:00"} | fields  # fmt: skip
                agenda.save_item(session, ItemIn.model_validate(spec), actor)
            dossiers.save(
                session,
                DossierIn.model_validate({"slug": "spoor", "title": "Spoortunnels"}),
                actor, NOW,
            )  # fmt: skip
            auth = {}
            for role in [*ROLES, "other"]:
                who = OTHER if role == "other" else email(role)
                _, secret = tokens.create(session, who, scope="api-write", today=NOW.date())
                auth[role] = {"authorization": f"Bearer {secret}"}
    files = tmp_path / "files"
    settings = Settings(
        database_url=db.url, public_url="https://lobby.example", files_dir=str(files),
        max_upload_mb=1,
    )  # fmt: skip
    with (
        time_machine.travel(NOW, tick=False),
        TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c,
    ):
        yield Site(c, db, auth, files)


def _kind(uid: str, role: str) -> str:
    return uid.removesuffix(f"-{role}")


def _seed(site: Site, uid: str) -> int:
    """A note and a document on the item, by its owner; returns the document's id."""
    auth = site.auth["other"]
    assert site.client.post(f"/api/v1/items/{uid}/notes", headers=auth,
                            json={"text": "Afspraak: *positie* delen"}).status_code == 201  # fmt: skip
    answer = site.client.post(
        f"/api/v1/items/{uid}/documents", headers=auth,
        files={"file": ("positie.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_and_adds_notes_and_documents_as_the_matrix_says(
    site: Site, role: str
) -> None:
    for uid in ("open", "intern", "geheim", f"mee-{role}", f"geheim-mee-{role}"):
        expected = EXPECTED[role][_kind(uid, role)]
        document = _seed(site, uid)
        auth = site.auth[role]
        # Reading: the API's lists and the download, and the item page's sections.
        listed = site.client.get(f"/api/v1/items/{uid}/notes", headers=auth)
        got = site.client.get(f"/api/v1/items/{uid}/documents/{document}", headers=auth)
        csrf = site.as_page(role)
        page = site.client.get(f"/items/{uid}", headers=HTML)
        downloaded = site.client.get(f"/items/{uid}/documents/{document}")
        if expected == "hidden":
            assert (listed.status_code, got.status_code) == (404, 404), uid
            assert (page.status_code, downloaded.status_code) == (404, 404), uid
            assert "positie" not in page.text
        else:
            assert listed.status_code == 200 and listed.json()[0]["text"].startswith("Afspraak")
            assert got.status_code == 200 and got.content == PDF, uid
            assert downloaded.status_code == 200 and downloaded.content == PDF, uid
            assert "<em>positie</em>" in page.text and "positie.pdf" in page.text, uid
        # Adding: through the API and through the page's forms, which must agree.
        by_api = site.client.post(f"/api/v1/items/{uid}/notes", headers=auth,
                                  json={"text": f"API {role}"}).status_code  # fmt: skip
        upload = site.client.post(
            f"/api/v1/items/{uid}/documents", headers=auth,
            files={"file": ("brief.pdf", PDF, "application/pdf")},
        ).status_code  # fmt: skip
        by_page = site.client.post(f"/items/{uid}/notes", headers=HTML,
                                   data={"text": f"Pagina {role}", "csrf": csrf},
                                   follow_redirects=False).status_code  # fmt: skip
        page_upload = site.client.post(
            f"/items/{uid}/documents", headers=HTML, data={"csrf": csrf},
            files={"file": ("brief.pdf", PDF, "application/pdf")}, follow_redirects=False,
        ).status_code  # fmt: skip
        wanted = {"add": (201, 201, 303, 303), "read": (403, 403, 403, 403),
                  "hidden": (404, 404, 404, 404)}[expected]  # fmt: skip
        assert (by_api, upload, by_page, page_upload) == wanted, (role, uid)
    # Every refused upload left nothing behind: one file per row.
    assert len(site.stored()) == site.rows()


@pytest.mark.parametrize("role", ROLES)
def test_dossier_documents_are_read_by_all_and_added_by_those_who_keep_dossiers(
    site: Site, role: str
) -> None:
    added = site.client.post(
        "/api/v1/dossiers/spoor/documents", headers=site.auth[role],
        files={"file": ("visie.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert added.status_code == (403 if role == "staff" else 201), added.text
    owner = site.client.post(
        "/api/v1/dossiers/spoor/documents", headers=site.auth["other"],
        files={"file": ("notitie.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    listed = site.client.get("/api/v1/dossiers/spoor/documents", headers=site.auth[role])
    assert "notitie.pdf" in [d["name"] for d in listed.json()]
    site.as_page(role)
    page = site.client.get("/dossiers/spoor", headers=HTML)
    assert "notitie.pdf" in page.text
    assert ('enctype="multipart/form-data"' in page.text) == (role != "staff")
    got = site.client.get(f"/dossiers/spoor/documents/{owner.json()['id']}")
    assert got.status_code == 200 and got.content == PDF


def test_a_confidential_items_documents_show_nowhere_else(site: Site) -> None:
    with site.db.write() as session:
        dossiers.save(
            session, DossierIn.model_validate({"slug": "spoor", "title": "Spoortunnels"}),
            agenda.Actor("test", "test"), NOW,
        )  # fmt: skip
        item = agenda.find_item(session, "geheim")
        item.dossiers = [dossiers.find_dossier(session, "spoor")]
    document = _seed(site, "geheim")
    for role in ROLES:
        site.as_page(role)
        assert "positie.pdf" not in site.client.get("/dossiers/spoor", headers=HTML).text
        assert "Overleg geheim" not in site.client.get("/dossiers/spoor", headers=HTML).text
        listed = site.client.get("/api/v1/dossiers/spoor/documents", headers=site.auth[role])
        assert listed.json() == []
        # Not through a dossier's path either: the id belongs to the item.
        assert site.client.get(f"/dossiers/spoor/documents/{document}").status_code == 404


def test_a_download_names_the_file_safely_and_never_runs_a_script(site: Site) -> None:
    auth = site.auth["other"]
    # A page with a script, claimed to be a PDF under a name that tries to climb out.
    answer = site.client.post(
        "/api/v1/items/intern/documents", headers=auth,
        files={"file": ("../../etc/Notitie \"gemeente\" ñ.pdf",
                        b"<html><script>alert(1)</script></html>", "application/pdf")},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    described = answer.json()
    assert described["name"] == 'Notitie "gemeente" ñ.pdf'
    assert described["content_type"] == "text/html"  # sniffed, not the claim
    got = site.client.get(f"/api/v1/items/intern/documents/{described['id']}", headers=auth)
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Notitie%20%22gemeente%22%20%C3%B1.pdf" in disposition
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-type"].startswith("text/html")
    # A real PDF opens in the browser; every file sits in the files directory by our name.
    pdf = site.client.post("/api/v1/items/intern/documents", headers=auth,
                           files={"file": ("a.pdf", PDF, "text/html")}).json()  # fmt: skip
    assert pdf["content_type"] == "application/pdf"
    shown = site.client.get(f"/api/v1/items/intern/documents/{pdf['id']}", headers=auth)
    assert shown.headers["content-disposition"].startswith("inline;")
    assert all(len(name) == 32 for name in site.stored())
    assert not (site.files.parent / "etc").exists()


def test_an_upload_over_the_limit_is_refused_with_413_and_nothing_is_stored(site: Site) -> None:
    too_big = b"%PDF-1.7\n" + b"0" * (1024 * 1024)  # max_upload_mb is 1 here
    answer = site.client.post(
        "/api/v1/items/intern/documents", headers=site.auth["other"],
        files={"file": ("groot.pdf", too_big, "application/pdf")},
    )  # fmt: skip
    assert answer.status_code == 413
    assert "larger than 1 MB (max_upload_mb)" in answer.json()["error"]
    assert site.stored() == [] and site.rows() == 0
    # Far over it, the Content-Length alone is enough to refuse.
    huge = site.client.post(
        "/api/v1/items/intern/documents", headers=site.auth["other"],
        files={"file": ("huge.pdf", too_big * 2, "application/pdf")},
    )  # fmt: skip
    assert huge.status_code == 413 and "max_upload_mb" in huge.json()["error"]
    assert site.stored() == [] and site.rows() == 0


def test_a_page_upload_over_the_limit_is_refused_on_a_page_in_the_readers_language(
    site: Site,
) -> None:
    csrf = site.as_page("manager")
    too_big = b"%PDF-1.7\n" + b"0" * (1024 * 1024)
    for body in (too_big, too_big * 2):  # counted by the route, and refused on its length
        answer = site.client.post(
            "/items/intern/documents", headers=HTML, data={"csrf": csrf},
            files={"file": ("groot.pdf", body, "application/pdf")}, follow_redirects=False,
        )  # fmt: skip
        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("text/html")
        assert "groter dan 1 MB; er is niets bewaard" in answer.text
    assert site.stored() == [] and site.rows() == 0


def test_an_upload_without_a_file_or_with_an_empty_one_changes_nothing(site: Site) -> None:
    auth = site.auth["other"]
    empty = site.client.post("/api/v1/items/intern/documents", headers=auth,
                             files={"file": ("leeg.pdf", b"", "application/pdf")})  # fmt: skip
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    nothing = site.client.post("/api/v1/items/intern/documents", headers=auth,
                               data={"name": "x"}, files={"other": ("x", b"x")})  # fmt: skip
    assert nothing.status_code == 422
    plain = site.client.post("/api/v1/items/intern/documents", headers=auth, content=PDF)
    assert plain.status_code == 422 and "multipart/form-data" in plain.json()["error"]
    assert site.stored() == [] and site.rows() == 0


def test_a_page_upload_without_the_form_token_keeps_nothing(site: Site) -> None:
    site.as_page("manager")
    answer = site.client.post(
        "/items/intern/documents", headers=HTML, data={"csrf": "vals"},
        files={"file": ("brief.pdf", PDF, "application/pdf")}, follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 403
    assert site.stored() == [] and site.rows() == 0


def test_editing_and_deleting_a_note_is_kept_in_the_items_history(site: Site) -> None:
    auth = site.auth["other"]
    note = site.client.post("/api/v1/items/intern/notes", headers=auth,
                            json={"text": "Eerste versie"}).json()  # fmt: skip
    path = f"/api/v1/items/intern/notes/{note['id']}"
    # A staff member may read it but not change someone else's note.
    refused = site.client.patch(path, headers=site.auth["staff"], json={"text": "x"})
    assert refused.status_code == 403
    changed = site.client.patch(path, headers=auth, json={"text": "Tweede versie"})
    assert changed.status_code == 200 and changed.json()["updated_by"] == OTHER
    assert site.client.delete(path, headers=auth).status_code == 204
    with site.db.read() as session:
        trail = session.scalars(
            select(ItemChange).where(ItemChange.field == f"note {note['id']}")
            .order_by(ItemChange.id)
        ).all()  # fmt: skip
        assert [(c.old_value, c.new_value) for c in trail] == [
            (None, '"Eerste versie"'),
            ('"Eerste versie"', '"Tweede versie"'),
            ('"Tweede versie"', None),
        ]
        assert session.scalar(select(func.count()).select_from(ItemNote)) == 0


def test_markdown_in_a_note_reaches_the_page_without_scripts_handlers_or_javascript_links(
    site: Site,
) -> None:
    hostile = (
        "<script>alert('x')</script>\n\n"
        "[klik](javascript:alert(1)) [ook](JaVaScRiPt:alert(2))\n\n"
        '<img src=x onerror="alert(3)"> <a href="#" onclick="alert(4)">a</a>\n\n'
        "**vet** en [site](https://www.alkmaar.nl)"
    )
    assert site.client.post("/api/v1/items/intern/notes", headers=site.auth["other"],
                            json={"text": hostile}).status_code == 201  # fmt: skip
    site.as_page("staff")
    page = site.client.get("/items/intern", headers=HTML).text
    section = page.split('id="notes-section"', 1)[1].split("</section>", 1)[0]
    # Raw HTML is shown as text (escaped), never as a tag; links keep only safe schemes.
    assert "<script" not in section and "&lt;script&gt;" in section
    assert not re.search(r"<[a-z][^>]*\son\w+=", section)
    assert not re.search(r"href=\"\s*javascript:", section, re.IGNORECASE)
    assert "<strong>vet</strong>" in section
    assert '<a href="https://www.alkmaar.nl" rel="noopener noreferrer nofollow">site</a>' in section
