"""The mailer against a real SMTP server (aiosmtpd) on loopback: composing, the final-dot hook."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from scheduler.mailer import Attachment, Mailer, Outgoing, SendError, SmtpSettings, compose
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
    yield inbox, SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=5)
    controller.stop()


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
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=5)
    try:
        with Mailer(settings) as mailer, pytest.raises(SendError) as refused:
            mailer.send(message())
    finally:
        controller.stop()
    assert refused.value.permanent and refused.value.answered and not refused.value.unreachable
    assert "554" in str(refused.value)


def test_an_unreachable_server_is_a_transient_unanswered_error() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=2)
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
