"""The mailer against a real SMTP server (aiosmtpd) on loopback: composing, the final-dot hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import Header
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scheduler.mailer import (
    _WIRE,
    Attachment,
    Mailer,
    Outgoing,
    SendError,
    SmtpSettings,
    _subject_header,
    compose,
)
from tests.conftest import free_port
from tests.test_reminders import Inbox


class Refusing(Inbox):
    """Refuses every message once it has it whole (after the final dot)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 message content rejected"


@pytest.fixture
def server() -> Iterator[tuple[Inbox, SmtpSettings]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=30)
    controller.stop()
    inbox.assert_dated()


def plain(received: Message) -> str:
    """The text part as a client shows it (on the wire its lines end in CRLF)."""
    body = received.get_body(("plain",))  # type: ignore[attr-defined]
    return str(body.get_content()).replace("\r\n", "\n")


def message(text: str = "Hallo,\n\nTot dinsdag.\n", subject: str = "Overleg") -> Outgoing:
    return compose(
        sender="Lobbyagenda <lobby@example.nl>", to=("Zoë Ünal", "z@example.nl"), subject=subject,
        message_id="<1@example.nl>", text=text, html=f"<p>{text}</p>",
        headers={"Auto-Submitted": "auto-generated"},
        attachments=(Attachment("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "calendar", "x.ics",
                                params=(("method", "PUBLISH"),)),),
    )  # fmt: skip


def test_a_composed_message_arrives_whole_with_its_non_ascii_names_and_attachment(
    server: tuple[Inbox, SmtpSettings],
) -> None:
    inbox, settings = server
    with Mailer(settings) as mailer:
        mailer.send(message(subject="Herinnering: Overleg – di 8 dec 10:00"))
    [received] = inbox.messages
    assert str(received["Subject"]) == "Herinnering: Overleg – di 8 dec 10:00"
    assert str(received["To"]) == "Zoë Ünal <z@example.nl>"
    assert received["Auto-Submitted"] == "auto-generated"
    assert plain(received) == "Hallo,\n\nTot dinsdag.\n"
    [calendar] = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "PUBLISH" and calendar.get_filename() == "x.ics"


def test_a_message_is_dated_when_it_is_sent_not_when_it_was_composed(
    server: tuple[Inbox, SmtpSettings],
) -> None:
    inbox, settings = server
    with time_machine.travel(datetime(2026, 12, 1, 8, 59, 59, 900_000, tzinfo=UTC), tick=False):
        composed = message()
    sending = datetime(2026, 12, 1, 9, 0, 5, 700_000, tzinfo=UTC)
    with time_machine.travel(sending, tick=False), Mailer(settings) as mailer:
        mailer.send(composed)
    [received] = inbox.messages
    assert received.get_all("Date") == ["Tue, 01 Dec 2026 09:00:05 +0000"]
    assert parsedate_to_datetime(str(received["Date"])) == datetime(
        2026, 12, 1, 9, 0, 5, tzinfo=UTC
    )
    assert "Date" not in composed.parsed()  # previews show no moment of sending


def test_a_message_written_to_a_file_is_dated_too(tmp_path: Path) -> None:
    files = SmtpSettings(host="", mail_dir=str(tmp_path))
    with (
        time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False),
        Mailer(files) as m,
    ):
        m.send(message())
    written = message_from_bytes((tmp_path / "1.eml").read_bytes(), policy=policy.default)
    assert written["Date"] == "Tue, 01 Dec 2026 09:00:00 +0000"
    assert plain(written) == "Hallo,\n\nTot dinsdag.\n"


def test_a_composer_cannot_set_a_date_of_its_own() -> None:
    with pytest.raises(ValueError, match="Date header is the mailer's"):
        compose(
            sender="l@example.nl", to=("Piet", "p@example.nl"), subject="Overleg",
            message_id="<2@example.nl>", text="t", html="h", headers={"date": "gisteren"},
        )  # fmt: skip


def test_lines_starting_with_a_dot_survive_the_smtp_data_phase(
    server: tuple[Inbox, SmtpSettings],
) -> None:
    inbox, settings = server
    text = ".\n..\n. punt aan het begin\n"
    with Mailer(settings) as mailer:
        mailer.send(message(text=text))
    assert plain(inbox.messages[0]) == text


def test_a_failing_hook_before_the_final_dot_means_the_server_never_delivers(
    server: tuple[Inbox, SmtpSettings],
) -> None:
    inbox, settings = server
    calls: list[str] = []

    def fail() -> None:
        calls.append("hook")
        raise RuntimeError("database gone")

    with Mailer(settings) as mailer:
        with pytest.raises(RuntimeError, match="database gone"):
            mailer.send(message(), before_final_dot=fail)
        assert calls == ["hook"] and inbox.messages == []  # the whole message, but no dot
        mailer.send(message(), before_final_dot=lambda: calls.append("ok"))  # reconnects
    assert calls == ["hook", "ok"] and len(inbox.messages) == 1


def test_a_refusal_after_the_final_dot_is_permanent_and_answered() -> None:
    controller = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=30)
    try:
        with Mailer(settings) as mailer, pytest.raises(SendError) as refused:
            mailer.send(message())
    finally:
        controller.stop()
    assert refused.value.permanent and refused.value.answered and not refused.value.unreachable
    assert "554" in str(refused.value)


def test_an_unreachable_server_is_a_transient_unanswered_error() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=30)
    with Mailer(settings) as mailer, pytest.raises(SendError) as down:
        mailer.send(message())
    assert not down.value.permanent and down.value.unreachable and not down.value.answered


@pytest.mark.parametrize("field", ["subject", "name", "header"])
def test_a_line_break_never_reaches_a_header(field: str) -> None:
    values = {"subject": "Overleg", "name": "Piet", "header": "x"} | {field: "a\r\nBcc: x@y.nl"}
    with pytest.raises(ValueError, match="line break"):
        compose(
            sender="l@example.nl", to=(values["name"], "p@example.nl"), subject=values["subject"],
            message_id="<2@example.nl>", text="t", html="h", headers={"X-Test": values["header"]},
        )  # fmt: skip


COMPAT32 = policy.compat32.clone(linesep="\r\n")
HEADER_NAMES = st.sampled_from(["To", "Subject", "Content-Type", "X-Lobby-Agenda-Delivery"])
# Characters that folding treats specially: blanks, split points, quotes, control and non-ASCII.
HEADER_TEXT = st.text(st.sampled_from(list(' \t;,="()<>@:.-_aZ09\x00\x7fé–')), max_size=100)


@settings(max_examples=500, deadline=None)
@given(name=HEADER_NAMES, value=HEADER_TEXT)
def test_headers_are_written_byte_for_byte_as_compat32_folds_them(name: str, value: str) -> None:
    """The wire policy writes short plain headers as they are, without compat32's folding
    machinery: the bytes must be those that folding gives."""
    assert _WIRE.fold_binary(name, value) == COMPAT32.fold_binary(name, value)


SUBJECTS = st.text(st.sampled_from(list("Overleg :–-ü€ ?=_\t")), min_size=1, max_size=140)


@settings(max_examples=300, deadline=None)
@given(subject=SUBJECTS)
@example(subject="Herinnering: Overleg – di 8 dec 10:00")
@example(subject="ü" * 120)  # more than one encoded word
def test_a_subject_encodes_as_the_email_package_encodes_it(subject: str) -> None:
    """Encoded at once when it fits in one encoded word, and kept for the next message with
    the same subject: the bytes of a fresh utf-8 Header all the same."""
    fresh = COMPAT32.fold_binary("Subject", Header(subject, "utf-8"))  # type: ignore[arg-type]
    for _ in range(2):  # the second time from what the first kept
        assert _WIRE.fold_binary("Subject", _subject_header(subject)) == fresh


def test_messages_sharing_an_attachment_each_carry_it_whole() -> None:
    first, second = message(), message(text="Anders.\n")
    for sent in (first, second):
        [calendar] = [p for p in sent.parsed().walk() if p.get_content_type() == "text/calendar"]
        assert calendar.get_content() == "BEGIN:VCALENDAR\nEND:VCALENDAR\n"  # as read from disk
        assert calendar.get_filename() == "x.ics" and calendar.get_param("method") == "PUBLISH"


BODY_TEXT = st.text(st.sampled_from(list("ab .=\t\r\n-_üé€\x00\x0b\x85\u2028~")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=BODY_TEXT, indent=st.integers(0, 80))
@example(text="=___ \r", indent=65)  # a blank ending a full line: binascii makes it 77 long
def test_a_body_arrives_as_its_text_in_lines_every_server_takes(text: str, indent: int) -> None:
    """Quoted-printable by binascii: the text decodes back as written (CRLF, CR and LF all
    end a line, as with the email package's encoder), in lines of at most 76 characters."""
    text = "x" * indent + text  # long lines, so that soft line breaks fall everywhere
    sent = message(text=text)
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert plain(sent.parsed()) == expected if expected.endswith("\n") else expected + "\n"
    assert max(len(line) for line in sent.data.split(b"\r\n")) <= 76
