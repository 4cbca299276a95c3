"""The mailer against a real SMTP server (aiosmtpd) on loopback: composing, the final-dot hook."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from scheduler.composer import POLICY, Attachment, Letterhead, compose, one_line
from scheduler.mailer import Flattened, Mailer, SendError, SmtpSettings
from scheduler.models import Language, Person
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


def message(text: str = "Hallo,\n\nTot dinsdag.\n", subject: str = "Overleg") -> EmailMessage:
    """A message as the composer makes one, with any text (the mailer sends what it gets)."""
    composed = EmailMessage(policy=POLICY)
    composed["Subject"] = subject
    composed["From"] = "Lobbyagenda <lobby@example.nl>"
    composed["To"] = "Zoë Ünal <z@example.nl>"
    composed["Message-ID"] = "<1@example.nl>"
    composed["Auto-Submitted"] = "auto-generated"
    composed.set_content(text)
    composed.add_alternative(f"<p>{text}</p>", subtype="html")
    composed.add_attachment("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", subtype="calendar",
                            filename="x.ics", params={"method": "PUBLISH"})  # fmt: skip
    return composed


def read(sent: EmailMessage) -> EmailMessage:
    """The flattened message as a client reads it."""
    read = message_from_bytes(sent.as_bytes(), policy=policy.default)
    assert isinstance(read, EmailMessage)
    return read


PERSON = Person(email="z@example.nl", name="Zoë\r\nBcc: x@example.nl", language=Language.NL,
                timezone="Europe/Amsterdam", active=True)  # fmt: skip
LETTERHEAD = Letterhead("Lobbyagenda <lobby@example.nl>", "example.nl", "https://lobby.example")


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
        flattened = Flattened.of(message())  # as the outbox holds a batch
    for sending in (datetime(2026, 12, 1, 9, 0, 5, 700_000, tzinfo=UTC),
                    datetime(2026, 12, 1, 9, 7, 0, tzinfo=UTC)):  # fmt: skip
        with time_machine.travel(sending, tick=False), Mailer(settings) as mailer:
            mailer.send(composed)
            mailer.send(flattened)
    # each time with that moment's Date, and only that one
    assert [received.get_all("Date") for received in inbox.messages] == [
        ["Tue, 01 Dec 2026 09:00:05 +0000"]
    ] * 2 + [["Tue, 01 Dec 2026 09:07:00 +0000"]] * 2
    assert parsedate_to_datetime(str(inbox.messages[0]["Date"])) == datetime(
        2026, 12, 1, 9, 0, 5, tzinfo=UTC
    )
    assert "Date" not in composed  # previews show no moment of sending
    with pytest.raises(ValueError, match="dated when it is sent"):
        Flattened.of(message_from_bytes(flattened.dated(sending), policy=POLICY))  # type: ignore[arg-type]


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


def test_a_line_break_in_a_name_never_reaches_a_header() -> None:
    composed = compose("sign_in", PERSON, {"name": PERSON.name, "link": "https://l/x"},
                       letterhead=LETTERHEAD, message_id="<2@example.nl>")  # fmt: skip
    received = read(composed)
    assert str(received["To"]) == '"Zoë Bcc: x@example.nl" <z@example.nl>'
    assert received["Bcc"] is None and received["To"].addresses[0].addr_spec == "z@example.nl"


def test_a_line_break_in_a_header_value_is_refused_by_the_email_package() -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        message(subject="Overleg\r\nBcc: x@example.nl")


def test_the_composed_mail_names_the_page_to_turn_it_off_unless_it_was_asked_for() -> None:
    context = {"name": "Zoë", "link": "https://l/x"}
    kinds = {
        turn_off: read(compose("sign_in", PERSON, context, letterhead=LETTERHEAD,
                               message_id="<3@example.nl>", can_turn_off=turn_off))
        for turn_off in (True, False)
    }  # fmt: skip
    assert kinds[True]["List-Unsubscribe"] == "<https://lobby.example/me>"
    assert "List-Unsubscribe" not in kinds[False]
    for received in kinds.values():
        assert received["Auto-Submitted"] == "auto-generated"
        assert received.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]


def test_messages_sharing_an_attachment_each_carry_it_whole() -> None:
    ics = Attachment("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "calendar", "x.ics",
                     params=(("method", "PUBLISH"),))  # fmt: skip
    for n in range(2):
        sent = compose("sign_in", PERSON, {"name": "Zoë", "link": f"https://l/{n}"},
                       letterhead=LETTERHEAD, message_id=f"<{n}@example.nl>",
                       attachments=(ics,))  # fmt: skip
        [calendar] = [p for p in read(sent).walk() if p.get_content_type() == "text/calendar"]
        assert calendar.get_content() == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        assert calendar.get_filename() == "x.ics" and calendar.get_param("method") == "PUBLISH"
        assert calendar.get_content_disposition() == "attachment"


BODY_TEXT = st.text(st.sampled_from(list("ab .=\t\r\n-_üé€\x00\x0b\x85\u2028~")), max_size=300)


@settings(max_examples=200, deadline=None)
@given(text=BODY_TEXT, indent=st.integers(0, 80))
@example(text="=___ \r", indent=65)  # a blank ending a full line
def test_a_body_arrives_as_its_text_in_lines_every_server_takes(text: str, indent: int) -> None:
    """The composer's policy (7bit: quoted-printable or base64 where needed) gives back the
    text as written (CRLF, CR and LF all end a line), in lines of at most 78 characters."""
    text = "x" * indent + text  # long lines, so that soft line breaks fall everywhere
    sent = message(text=text)
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    body = read(sent).get_body(("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == (
        expected if expected.endswith("\n") else expected + "\n"
    )
    assert max(len(line) for line in sent.as_bytes().split(b"\r\n")) <= 78


def test_headers_messages_share_are_written_in_each_message_s_own_policy() -> None:
    """The composer parses and folds a header many messages carry once (see composer._Header):
    once for each policy it is written in, not once for all."""
    context = {"name": "Zoë", "link": "https://l/x"}
    subject = "Herinnering: Bestuurlijk overleg MRA Mobiliteit en Vervoerregio over fietsen"

    def composed() -> EmailMessage:
        made = compose("sign_in", PERSON, context, letterhead=LETTERHEAD, message_id="<5@x.nl>")
        made.replace_header("Subject", subject)
        return made

    crlf = composed().as_bytes()
    lf = composed().as_bytes(policy=POLICY.clone(linesep="\n"))
    narrow = composed().as_bytes(policy=POLICY.clone(max_line_length=40))
    wide = composed().as_bytes(policy=POLICY.clone(max_line_length=200))
    assert b"\r" not in lf and lf.replace(b"\n", b"\r\n") == crlf
    assert max(len(line) for line in narrow.split(b"\r\n")[:4]) <= 40
    assert f"Subject: {subject}\r\n".encode() in wide and f"{subject}".encode() not in narrow


BOUNDARY_LIKE = st.lists(
    st.sampled_from(["--=_lobby-agenda-alternative", "--=_lobby-agenda-mixed--", "\n", "\r\n",
                     "--", "=_", "=", " ", "ü", "a"]),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=BOUNDARY_LIKE)
@example(text="\n--=_lobby-agenda-alternative\nContent-Type: text/html\n\n<p>x</p>\n")
def test_no_text_can_end_a_part_early_though_every_message_has_the_same_boundaries(
    text: str,
) -> None:
    """The composer gives every message the same boundaries, with "=_", which its parts'
    encodings never write (see composer._BOUNDARIES): text typed to look like a boundary
    line stays text, in the body and in an attachment."""
    ics = Attachment(f"BEGIN:VCALENDAR\r\n{text}\r\nEND:VCALENDAR\r\n", "calendar", "x.ics")
    sent = compose("sign_in", PERSON, {"name": "Zoë", "link": text}, letterhead=LETTERHEAD,
                   message_id="<4@example.nl>", attachments=(ics,))  # fmt: skip
    received = read(sent)
    assert [part.get_content_type() for part in received.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"
    ]  # fmt: skip
    plain, _, calendar = list(received.walk())[2:]

    def lines(value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n")

    assert lines(text).strip() in lines(plain.get_content())
    assert lines(calendar.get_content()) == lines(f"BEGIN:VCALENDAR\n{text}\nEND:VCALENDAR\n")


SUBJECTS = st.text(st.sampled_from(list("Overleg :–-ü€ ?=_")), min_size=1, max_size=140)


@settings(max_examples=300, deadline=None)
@given(subject=SUBJECTS)
@example(subject="[verlaat] Herinnering: Bestuurlijk overleg MRA Mobiliteit – di 8 dec 10:00")
@example(subject="ü" * 120)  # more than one encoded word
@example(subject=f"Overleg {'x' * 43} –")  # one line of 77 as the policy folds it
def test_a_subject_reads_back_as_written_in_lines_of_at_most_76(subject: str) -> None:
    """The email package's own folder would leave two blanks before an encoded word it moves
    to the next line (see composer._Subject)."""
    subject = one_line(subject)
    assume(subject)
    sent = message(subject=subject)
    assert str(read(sent)["Subject"]) == subject
    head = sent.as_bytes().decode("ascii").split("\r\n")
    first = next(n for n, line in enumerate(head) if line.startswith("Subject:"))
    folded = [head[first], *itertools.takewhile(lambda line: line[:1] == " ", head[first + 1 :])]
    assert max(len(line) for line in folded) <= 76
