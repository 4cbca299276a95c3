"""User-facing words in Dutch (default) and English, for feeds now and emails and pages later."""

from __future__ import annotations

from typing import Literal

Lang = Literal["nl", "en"]

_TEXTS: dict[str, dict[Lang, str]] = {
    "calendar": {"nl": "Lobbyagenda", "en": "Lobby agenda"},
    "public_calendar": {"nl": "Openbare lobbyagenda", "en": "Public lobby agenda"},
    "my_calendar": {"nl": "Mijn lobbyagenda", "en": "My lobby agenda"},
    "busy": {"nl": "Bezet", "en": "Busy"},
    "cancelled_prefix": {"nl": "[GEANNULEERD]", "en": "[CANCELLED]"},
    "kind": {"nl": "Soort", "en": "Kind"},
    "goal": {"nl": "Doel", "en": "Goal"},
    "message": {"nl": "Kernboodschap", "en": "Key message"},
    "role": {"nl": "Rol", "en": "Role"},
    "themes": {"nl": "Thema's", "en": "Themes"},
    "stakeholders": {"nl": "Partners", "en": "Stakeholders"},
    "owner": {"nl": "Eigenaar", "en": "Owner"},
    "participants": {"nl": "Deelnemers", "en": "Participants"},
    "status": {"nl": "Status", "en": "Status"},
    "preparation": {"nl": "Voorbereiding", "en": "Preparation"},
    "prepared": {"nl": "doel en kernboodschap staan klaar", "en": "goal and key message are ready"},
    "unprepared": {
        "nl": "niet voorbereid: {missing} ontbreekt",
        "en": "not prepared: {missing} missing",
    },
    "online": {"nl": "Online", "en": "Online"},
    "more": {"nl": "Meer", "en": "More"},
    "reminder": {"nl": "Herinnering", "en": "Reminder"},
    "and": {"nl": "en", "en": "and"},
}

_VALUES: dict[str, dict[Lang, str]] = {
    # kinds
    "meeting": {"nl": "Lobbygesprek", "en": "Lobby meeting"},
    "networking": {"nl": "Netwerkmoment", "en": "Networking moment"},
    "decision": {"nl": "Besluitvormingsmoment", "en": "Decision moment"},
    "deadline": {"nl": "Deadline", "en": "Deadline"},
    # statuses
    "idea": {"nl": "idee", "en": "idea"},
    "planned": {"nl": "gepland", "en": "planned"},
    "confirmed": {"nl": "bevestigd", "en": "confirmed"},
    "done": {"nl": "afgerond", "en": "done"},
    "cancelled": {"nl": "geannuleerd", "en": "cancelled"},
    # roles
    "gesprekspartner": {"nl": "gesprekspartner", "en": "conversation partner"},
    "belangenbehartiger": {"nl": "belangenbehartiger", "en": "advocate"},
    "kennispartner": {"nl": "kennispartner", "en": "knowledge partner"},
    "aanjager": {"nl": "aanjager", "en": "initiator"},
    # fields named in messages
    "field_goal": {"nl": "doel", "en": "goal"},
    "field_message": {"nl": "kernboodschap", "en": "key message"},
}


def text(key: str, lang: Lang, **values: str) -> str:
    """The phrase `key` in `lang`, with `{placeholders}` filled in."""
    phrase = _TEXTS[key][lang]
    return phrase.format(**values) if values else phrase


def label(value: str, lang: Lang) -> str:
    """The word for an enum value (kind, status, role); the value itself when unknown."""
    return _VALUES.get(value, {}).get(lang, value)
