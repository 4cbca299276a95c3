"""Snapshots of rendered emails: subject, recipient, Message-ID, text and HTML.

To accept a deliberate change, run the tests with `LOBBY_TEST_UPDATE_SNAPSHOTS=1` and
review the diff of tests/snapshots/ before committing.
"""

from __future__ import annotations

import os
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

from scheduler.mailer import Flattened

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_matches_snapshot(sent: Message | EmailMessage | Flattened, name: str) -> None:
    """`sent`, flattened and read back as a mail client reads it."""
    message = opened(sent)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    rendered = (
        f"Subject: {message['Subject']}\nTo: {message['To']}\n"
        f"Message-ID: {message['Message-ID']}\n\n{text}\n----- html -----\n{html}"
    ).replace("\r\n", "\n")  # as received over SMTP, or as composed
    snapshot = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("LOBBY_TEST_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(rendered, encoding="utf-8")
    assert snapshot.exists(), (
        f"no snapshot {snapshot.name}: make it with LOBBY_TEST_UPDATE_SNAPSHOTS=1"
    )
    assert rendered == snapshot.read_text(encoding="utf-8")
    assert "\r" not in str(message["Subject"]) and "\n" not in str(message["Subject"])


def opened(sent: Message | EmailMessage | Flattened) -> EmailMessage:
    """`sent` (composed, or flattened as the outbox holds it) read as a mail client reads it."""
    data = sent.data if isinstance(sent, Flattened) else sent.as_bytes()
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message
