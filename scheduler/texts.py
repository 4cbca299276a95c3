"""User-facing words in Dutch (default) and English, for feeds now and emails and pages later."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_interval,
    format_timedelta,
    get_day_names,
)

from scheduler import clock
from scheduler.errors import LobbyError

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
    # emails
    "hello": {"nl": "Beste {name},", "en": "Dear {name},"},
    "reminder_intro": {
        "nl": "Een herinnering ({offset}) voor dit agendapunt:",
        "en": "A reminder ({offset}) for this agenda item:",
    },
    "late_prefix": {"nl": "[verlaat]", "en": "[late]"},
    "moved_prefix": {"nl": "[verplaatst]", "en": "[moved]"},
    "moved_note": {
        "nl": "Dit agendapunt is verplaatst sinds je vorige herinnering: het staat nu op de tijd "
        "hieronder.",
        "en": "This item moved since your last reminder: it is now at the time below.",
    },
    "cancelled_subject": {"nl": "Vervallen", "en": "Cancelled"},
    "cancellation_intro": {
        "nl": "Dit agendapunt gaat niet door. Je kreeg er eerder een herinnering voor.",
        "en": "This agenda item will not take place. You were reminded of it earlier.",
    },
    "late_note": {
        "nl": "Deze herinnering komt later dan gepland: de dienst was een tijd niet bereikbaar.",
        "en": "This reminder comes later than planned: the service was unavailable for a while.",
    },
    "outcome_subject": {"nl": "Uitkomst vastleggen", "en": "Record the outcome"},
    "outcome_intro": {
        "nl": "Dit agendapunt heeft plaatsgevonden, maar er is nog geen uitkomst vastgelegd. "
        "Wil je vastleggen wat het opleverde, en welke vervolgacties er zijn?",
        "en": "This agenda item has taken place, but no outcome has been recorded yet. "
        "Please record what came of it, and any follow-up actions.",
    },
    "follow_up_subject": {"nl": "Vervolgactie", "en": "Follow-up action"},
    "follow_up_intro": {
        "nl": "Deze vervolgactie staat op jouw naam en moet binnenkort af zijn:",
        "en": "This follow-up action is yours and is due soon:",
    },
    "follow_up_overdue": {
        "nl": "Deze vervolgactie staat op jouw naam en is over de datum:",
        "en": "This follow-up action is yours and is overdue:",
    },
    "due_by": {"nl": "uiterlijk {date}", "en": "due {date}"},
    "due": {"nl": "Uiterlijk", "en": "Due"},
    "from_item": {"nl": "Uit", "en": "From"},
    "evaluation_subject": {"nl": "Evaluatie samenwerking", "en": "Partnership evaluation"},
    "evaluation_intro": {
        "nl": "Deze samenwerking is binnenkort aan een evaluatie toe. Jij bent de contactpersoon:",
        "en": "This partnership is due for evaluation soon. You are its contact:",
    },
    "evaluation_overdue": {
        "nl": "De evaluatie van deze samenwerking is over de datum. Jij bent de contactpersoon:",
        "en": "The evaluation of this partnership is overdue. You are its contact:",
    },
    "evaluation_on": {"nl": "Evaluatie", "en": "Evaluation"},
    "preparation_subject": {"nl": "Voorbereiding", "en": "Preparation"},
    "preparation_intro": {
        "nl": "Deze stap in de voorbereiding staat op jouw naam en moet binnenkort af zijn:",
        "en": "This preparation step is yours and is due soon:",
    },
    "preparation_overdue": {
        "nl": "Deze stap in de voorbereiding staat op jouw naam en is over de datum:",
        "en": "This preparation step is yours and is overdue:",
    },
    "chain": {"nl": "Voorbereiding", "en": "Preparation"},
    "steps_done": {"nl": "{done} van {total} stappen gedaan", "en": "{done} of {total} steps done"},
    "leads_up_to": {"nl": "Voor", "en": "For"},
    "open_step": {"nl": "Vervalt", "en": "No longer needed"},
    "chain_cancelled_subject": {"nl": "Voorbereiding vervalt", "en": "Preparation called off"},
    "chain_cancelled_intro": {
        "nl": "Dit agendapunt is geannuleerd. De voorbereiding ervoor vervalt; "
        "de open stappen hoeven niet meer:",
        "en": "This agenda item was cancelled. Its preparation is called off; "
        "the open steps are no longer needed:",
    },
    "level": {"nl": "Niveau", "en": "Level"},
    "partnership_kind": {"nl": "Soort samenwerking", "en": "Kind of partnership"},
    "members": {"nl": "Partners", "en": "Members"},
    # the digest
    "digest_subject": {
        "nl": "Lobbyagenda {period}: {entries}, {attention}",
        "en": "Lobby agenda {period}: {entries}, {attention}",
    },
    "digest_intro": {
        "nl": "Dit staat er op de lobbyagenda voor {period}.",
        "en": "This is what the lobby agenda holds for {period}.",
    },
    "digest_late_note": {
        "nl": "Dit overzicht komt later dan gepland: de dienst was een tijd niet bereikbaar.",
        "en": "This digest comes later than planned: the service was unavailable for a while.",
    },
    "digest_online": {
        "nl": "Dit overzicht staat ook online, om af te drukken",
        "en": "This digest is online too, ready to print",
    },
    "attention_heading": {"nl": "Aandachtspunten", "en": "Points of attention"},
    "upcoming_heading": {"nl": "Wat komt er", "en": "What is coming"},
    "changes_heading": {
        "nl": "Gewijzigd sinds je vorige overzicht",
        "en": "Changed since your last digest",
    },
    "first_digest": {
        "nl": "Dit is je eerste overzicht: vanaf het volgende staat hier wat er sindsdien nieuw, "
        "verplaatst of vervallen is.",
        "en": "This is your first digest: from the next one on, this says what is new, moved "
        "or cancelled since.",
    },
    "counts_heading": {"nl": "In aantallen", "en": "In numbers"},
    "per_theme": {"nl": "Per thema", "en": "Per theme"},
    "per_level": {"nl": "Per niveau", "en": "Per level"},
    "nothing_upcoming": {"nl": "Er staat niets op de agenda.", "en": "Nothing is on the agenda."},
    "week_heading": {"nl": "Week {week} ({span})", "en": "Week {week} ({span})"},
    "no_theme": {"nl": "Zonder thema", "en": "No theme"},
    "no_owner": {"nl": "geen eigenaar", "en": "no owner"},
    "not_prepared": {"nl": "niet voorbereid", "en": "not prepared"},
    "who_goes": {"nl": "Wie gaan", "en": "Who goes"},
    "lobby_windows_closing": {
        "nl": "Besluitvorming nadert: het lobbyvenster sluit",
        "en": "Decisions ahead: the lobby window is closing",
    },
    "without_owner": {"nl": "Zonder eigenaar", "en": "Without an owner"},
    "unprepared_heading": {
        "nl": "Niet voorbereid (binnen 7 dagen, zonder doel of kernboodschap)",
        "en": "Not prepared (within 7 days, without goal or key message)",
    },
    "without_outcome": {"nl": "Afgerond zonder uitkomst", "en": "Done without an outcome"},
    "overdue_follow_ups": {"nl": "Vervolgacties over de datum", "en": "Overdue follow-up actions"},
    "preparation_heading": {"nl": "Voorbereiding", "en": "Preparation"},
    "contact_gap_subject": {"nl": "Contact achterstallig", "en": "Contact overdue"},
    "contact_gap_intro": {
        "nl": "Volgens dit lobbydossier spreken we deze partner geregeld, maar het laatste "
        "contact is te lang geleden en er staat niets gepland. Jij bent de trekker:",
        "en": "This lobby dossier wants regular contact with this stakeholder, but the last "
        "contact was too long ago and nothing is planned. You lead the dossier:",
    },
    "overlap_subject": {"nl": "Eén stem", "en": "One voice"},
    "overlap_intro": {
        "nl": "Een collega spreekt dezelfde partner kort voor of na jou. Stem af, zodat "
        "Alkmaar met één stem spreekt:",
        "en": "A colleague meets the same stakeholder close to your meeting. Agree on what "
        "you say, so that the municipality speaks with one voice:",
    },
    "yours": {"nl": "Jouw afspraak", "en": "Yours"},
    "overlap_heading": {
        "nl": "Eén stem: een collega spreekt dezelfde partner",
        "en": "One voice: a colleague meets the same stakeholder",
    },
    "also": {"nl": "Ook", "en": "Also"},
    "overlap_flag": {"nl": "ook {who} spreekt {partners}", "en": "{who} also meets {partners}"},
    "nudge_overlap": {"nl": "afstemmen bij dubbele afspraken", "en": "overlapping visits"},
    "dossier": {"nl": "Dossier", "en": "Dossier"},
    "stakeholder": {"nl": "Partner", "en": "Stakeholder"},
    "contact_every": {"nl": "Contact gewenst", "en": "Contact wanted"},
    "every": {"nl": "elke {length}", "en": "every {length}"},
    "last_contact": {"nl": "Laatste contact", "en": "Last contact"},
    "never": {"nl": "nog nooit", "en": "never"},
    "confidential_contact": {"nl": "(vertrouwelijk)", "en": "(confidential)"},
    "nudge_contact_gap": {
        "nl": "achterstallig contact in dossiers",
        "en": "overdue dossier contacts",
    },
    "chain_off": {
        "nl": "Vervallen: het moment waar deze voorbereiding naartoe werkte is geannuleerd.",
        "en": "Called off: the moment this preparation led up to was cancelled.",
    },
    "step": {"nl": "Stap", "en": "Step"},
    "overdue": {"nl": "over de datum", "en": "overdue"},
    "mark_done": {"nl": "Gedaan", "en": "Done"},
    "reopen_step": {"nl": "Heropen", "en": "Reopen"},
    "attach_chain": {"nl": "Voorbereiding toevoegen", "en": "Add a preparation chain"},
    "attach": {"nl": "Toevoegen", "en": "Add"},
    "next_step": {
        "nl": "volgende stap: {step}, uiterlijk {date} ({who})",
        "en": "next step: {step}, due {date} ({who})",
    },
    "steps_overdue": {"nl": "{count} over de datum", "en": "{count} overdue"},
    "evaluations_due": {
        "nl": "Samenwerkingen toe aan evaluatie",
        "en": "Partnerships due for evaluation",
    },
    "undelivered": {
        "nl": "Herinneringen die niet zijn aangekomen",
        "en": "Reminders that were not delivered",
    },
    "confidential_item": {"nl": "een vertrouwelijk agendapunt", "en": "a confidential item"},
    "added": {"nl": "Nieuw", "en": "Added"},
    "moved": {"nl": "Verplaatst", "en": "Moved"},
    "cancelled_heading": {"nl": "Vervallen", "en": "Cancelled"},
    "when": {"nl": "Wanneer", "en": "When"},
    "where": {"nl": "Waar", "en": "Where"},
    "source_change_subject": {"nl": "Wijzigingen in {source}", "en": "Changes in {source}"},
    "source_change_intro": {
        "nl": "De buitenagenda {source} is bijgewerkt. Dit is er veranderd:",
        "en": "The outside calendar {source} was updated. This is what changed:",
    },
    "source_change_note": {
        "nl": "Deze agendapunten komen uit die agenda en veranderen alleen daar; eigenaar, doel "
        "en kernboodschap vul je hier in.",
        "en": "These items come from that calendar and change only there; owner, goal and key "
        "message are yours to fill in here.",
    },
    "failing_sources": {
        "nl": "Buitenagenda's die niet bijgewerkt worden",
        "en": "Outside calendars that fail to update",
    },
    "failing_sources_note": {
        "nl": "Deze buitenagenda's konden al een paar keer niet worden opgehaald. Hun laatst "
        "bekende afspraken blijven in de agenda staan, maar kunnen verouderd zijn.",
        "en": "These outside calendars could not be fetched several times in a row. Their last "
        "known events stay on the agenda, but may be out of date.",
    },
    "source_failing_line": {
        "nl": "{name}: {error} (laatst gelukt: {when})",
        "en": "{name}: {error} (last success: {when})",
    },
    "from_source": {
        "nl": "Uit de buitenagenda {name}: tijden, titel en status veranderen daar. Eigenaar, "
        "deelnemers, doel, kernboodschap, rol, uitkomst en vervolgacties vul je hier in.",
        "en": "From the outside calendar {name}: times, title and status change there. Owner, "
        "participants, goal, key message, role, outcome and follow-ups are yours to fill in.",
    },
    "last_success": {"nl": "laatst gelukt", "en": "last success"},
    "never_succeeded": {"nl": "nooit", "en": "never"},
    "footer": {
        "nl": "Dit bericht is automatisch verstuurd door de lobbyagenda.",
        "en": "This message was sent automatically by the lobby agenda.",
    },
    "offset_before": {"nl": "{amount} vooraf", "en": "{amount} before"},
    "offset_after": {"nl": "{amount} na afloop", "en": "{amount} after"},
    "workdays": {"nl": "{n} werkdagen", "en": "{n} working days"},
    # the pages
    "nav": {"nl": "Hoofdmenu", "en": "Main menu"},
    "nav_agenda": {"nl": "Agenda", "en": "Agenda"},
    "nav_digest": {"nl": "Overzicht", "en": "Digest"},
    "nav_partnerships": {"nl": "Samenwerkingen", "en": "Partnerships"},
    "nav_feeds": {"nl": "Abonnementen", "en": "Subscriptions"},
    "nav_public": {"nl": "Openbare agenda", "en": "Open agenda"},
    "nav_sign_in": {"nl": "Inloggen", "en": "Sign in"},
    "period_through": {"nl": "t/m", "en": "to"},
    "period_until": {"nl": "tot", "en": "until"},
    "sign_out": {"nl": "Uitloggen", "en": "Sign out"},
    "signed_in_as": {"nl": "Ingelogd als {name}", "en": "Signed in as {name}"},
    "sign_in_title": {"nl": "Inloggen", "en": "Sign in"},
    "sign_in_text": {
        "nl": "Deze pagina is alleen voor collega's. Vraag een inloglink aan per mail, of open "
        "de persoonlijke inloglink die je van een beheerder kreeg.",
        "en": "This page is for colleagues only. Ask for a sign-in link by email, or open the "
        "personal sign-in link an administrator gave you.",
    },
    "sign_in_ask": {
        "nl": "Vul je e-mailadres in; je krijgt een inloglink die 15 minuten en één keer werkt.",
        "en": "Enter your email address; you get a sign-in link that works once, for 15 minutes.",
    },
    "email": {"nl": "E-mailadres", "en": "Email address"},
    "sign_on": {"nl": "Inloggen met je werkaccount", "en": "Sign in with your work account"},
    "send_link": {"nl": "Stuur inloglink", "en": "Send sign-in link"},
    "link_sent": {
        "nl": "Als dit adres bij ons bekend is, is er een inloglink onderweg. Kijk in je mail.",
        "en": "If we know this address, a sign-in link is on its way. Check your mail.",
    },
    "mail_failed": {
        "nl": "De mail kon nu niet worden verstuurd. Probeer het over een paar minuten opnieuw.",
        "en": "The mail could not be sent just now. Try again in a few minutes.",
    },
    "sign_in_subject": {
        "nl": "Je inloglink voor de lobbyagenda",
        "en": "Your sign-in link for the lobby agenda",
    },
    "sign_in_mail_intro": {
        "nl": "Met deze link log je in op de lobbyagenda:",
        "en": "This link signs you in to the lobby agenda:",
    },
    "sign_in_mail_note": {
        "nl": "De link werkt 15 minuten en één keer. Vroeg je er niet om? Dan kun je deze mail negeren.",
        "en": "The link works once, for 15 minutes. Did you not ask for it? Then ignore this mail.",
    },
    "form_expired": {
        "nl": "Dit formulier is verlopen of kwam niet van deze site. Laad de pagina opnieuw.",
        "en": "This form expired or did not come from this site. Reload the page.",
    },
    "new_item": {"nl": "Nieuw agendapunt", "en": "New agenda item"},
    "edit": {"nl": "Bewerken", "en": "Edit"},
    "form_has_errors": {
        "nl": "Niet opgeslagen: zie de melding bij het veld.",
        "en": "Not saved: see the message next to the field.",
    },
    "what_and_when": {"nl": "Wat en wanneer", "en": "What and when"},
    "where_and_who": {"nl": "Waar en wie", "en": "Where and who"},
    "lobby": {"nl": "Lobby", "en": "Lobby"},
    "title": {"nl": "Titel", "en": "Title"},
    "start": {
        "nl": "Begin (9-12-2026 10:00, of alleen een datum)",
        "en": "Start (9-12-2026 10:00, or just a date)",
    },
    "end": {"nl": "Einde (leeg: standaardduur)", "en": "End (empty: default length)"},
    "all_day": {"nl": "Hele dag", "en": "All day"},
    "timezone": {"nl": "Tijdzone", "en": "Time zone"},
    "repeat": {"nl": "Herhaling", "en": "Repeats"},
    "repeat_none": {"nl": "niet", "en": "no"},
    "repeat_weekly": {"nl": "elke week", "en": "every week"},
    "repeat_biweekly": {"nl": "om de week", "en": "every two weeks"},
    "repeat_monthly": {
        "nl": "elke maand op dezelfde weekdag (bijv. 2e dinsdag)",
        "en": "monthly on the same weekday (e.g. 2nd Tuesday)",
    },
    "repeat_custom": {"nl": "eigen regel (RRULE)", "en": "custom rule (RRULE)"},
    "until": {"nl": "Tot en met (leeg: geen einde)", "en": "Until (empty: no end)"},
    "rrule": {"nl": "Eigen regel (RRULE)", "en": "Custom rule (RRULE)"},
    "preview_button": {"nl": "Toon de volgende vijf keer", "en": "Show the next five"},
    "reminders_field": {
        "nl": "Herinneringen (bijv. 7 dagen vooraf, 1 dag vooraf, 5 werkdagen vooraf; "
        "leeg: standaard)",
        "en": "Reminders (e.g. 7 days before, 1 day before, 5 working days before; "
        "empty: the defaults)",
    },
    "save": {"nl": "Opslaan", "en": "Save"},
    "follow_up_text": {"nl": "Actie", "en": "Action"},
    "cancel_edit": {"nl": "Annuleren", "en": "Cancel"},
    "cancel_occurrence": {"nl": "Laat deze vervallen", "en": "Cancel this one"},
    "move_occurrence": {"nl": "Verplaats naar", "en": "Move to"},
    "move": {"nl": "Verplaats", "en": "Move"},
    "nav_me": {"nl": "Mijn instellingen", "en": "My settings"},
    "follow_reminders_label": {
        "nl": "Ook herinneringen voor agendapunten van de thema's en partners die ik volg",
        "en": "Also reminders for items of the themes and stakeholders I follow",
    },
    "reminders_off_label": {"nl": "Geen herinneringen voor:", "en": "No reminders for:"},
    "nudge_outcome": {"nl": "uitkomst vastleggen", "en": "recording an outcome"},
    "nudge_follow_up": {"nl": "vervolgacties", "en": "follow-up actions"},
    "nudge_evaluation": {"nl": "evaluaties van samenwerkingen", "en": "partnership evaluations"},
    "nudge_preparation": {"nl": "voorbereidingsstappen", "en": "preparation steps"},
    "digest_frequency": {"nl": "Hoe vaak", "en": "How often"},
    "digest_none": {"nl": "nooit", "en": "never"},
    "digest_daily": {"nl": "dagelijks", "en": "daily"},
    "digest_weekly": {"nl": "wekelijks", "en": "weekly"},
    "digest_day_label": {"nl": "Dag (bij wekelijks)", "en": "Day (when weekly)"},
    "digest_time_label": {
        "nl": "Tijd (UU:MM; niet tussen 02:00 en 03:00)",
        "en": "Time (HH:MM; not between 02:00 and 03:00)",
    },
    "digest_scope_label": {"nl": "Waarover", "en": "About"},
    "scope_all": {"nl": "de hele agenda", "en": "the whole agenda"},
    "scope_followed": {
        "nl": "mijn agendapunten en wat ik volg",
        "en": "my items and what I follow",
    },
    "day_monday": {"nl": "maandag", "en": "Monday"},
    "day_tuesday": {"nl": "dinsdag", "en": "Tuesday"},
    "day_wednesday": {"nl": "woensdag", "en": "Wednesday"},
    "day_thursday": {"nl": "donderdag", "en": "Thursday"},
    "day_friday": {"nl": "vrijdag", "en": "Friday"},
    "day_saturday": {"nl": "zaterdag", "en": "Saturday"},
    "day_sunday": {"nl": "zondag", "en": "Sunday"},
    "language_and_zone": {"nl": "Taal en tijdzone", "en": "Language and time zone"},
    "language_label": {"nl": "Taal", "en": "Language"},
    "my_links": {"nl": "Mijn agenda-links en API-tokens", "en": "My calendar links and API tokens"},
    "link_label": {"nl": "Omschrijving", "en": "Label"},
    "link_kind": {"nl": "Soort", "en": "Kind"},
    "last_used": {"nl": "Laatst gebruikt", "en": "Last used"},
    "revoke": {"nl": "Intrekken", "en": "Revoke"},
    "make_link": {"nl": "Maak aan", "en": "Create"},
    "new_token_title": {"nl": "Je nieuwe link", "en": "Your new link"},
    "shown_once": {
        "nl": "Deze wordt maar één keer getoond: kopieer hem nu.",
        "en": "It is shown only this once: copy it now.",
    },
    "scope_token_all": {"nl": "agenda-link: hele agenda", "en": "calendar link: whole agenda"},
    "scope_token_me": {"nl": "agenda-link: mijn agenda", "en": "calendar link: my agenda"},
    "scope_token_api_read": {"nl": "API-token: lezen", "en": "API token: read"},
    "scope_token_login": {"nl": "inloglink", "en": "sign-in link"},
    "scope_token_theme": {"nl": "agenda-link: thema {slug}", "en": "calendar link: theme {slug}"},
    "scope_token_stakeholder": {
        "nl": "agenda-link: partner {slug}",
        "en": "calendar link: stakeholder {slug}",
    },
    "scope_token_dossier": {
        "nl": "agenda-link: dossier {slug}",
        "en": "calendar link: dossier {slug}",
    },
    "scope_token_api_write": {
        "nl": "API-token: lezen en schrijven",
        "en": "API token: read and write",
    },
    "error_title": {"nl": "Dat lukte niet", "en": "That did not work"},
    "filters": {"nl": "Filters", "en": "Filters"},
    "filter_apply": {"nl": "Toon", "en": "Show"},
    "filter_reset": {"nl": "Alle filters weg", "en": "Clear filters"},
    "any": {"nl": "alle", "en": "any"},
    "from": {"nl": "Van", "en": "From"},
    "to": {"nl": "Tot en met", "en": "Until"},
    "nothing_found": {
        "nl": "Niets gevonden in deze periode met deze filters.",
        "en": "Nothing found in this period with these filters.",
    },
    "next_occurrences": {"nl": "Volgende keren", "en": "Next occurrences"},
    "reminders_heading": {"nl": "Herinneringen", "en": "Reminders"},
    "history": {"nl": "Geschiedenis", "en": "History"},
    "follow_ups": {"nl": "Vervolgacties", "en": "Follow-up actions"},
    "outcome": {"nl": "Uitkomst", "en": "Outcome"},
    "description": {"nl": "Beschrijving", "en": "Description"},
    "confidentiality": {"nl": "Vertrouwelijkheid", "en": "Confidentiality"},
    "recurrence": {"nl": "Herhaling", "en": "Recurrence"},
    "none_yet": {"nl": "Nog niets.", "en": "Nothing yet."},
    "done_mark": {"nl": "klaar", "en": "done"},
    "recipient": {"nl": "Aan", "en": "To"},
    "due_at": {"nl": "Gepland", "en": "Due"},
    "state": {"nl": "Stand", "en": "State"},
    "changed_by": {"nl": "Door", "en": "By"},
    "field": {"nl": "Veld", "en": "Field"},
    "old_value": {"nl": "Was", "en": "Was"},
    "new_value": {"nl": "Wordt", "en": "Now"},
    "print": {"nl": "Afdrukken", "en": "Print"},
    "partnerships_intro": {
        "nl": "Samenwerkingen per thema en niveau, met onze rol en de volgende evaluatie.",
        "en": "Partnerships per theme and level, with our role and the next evaluation.",
    },
    "theme": {"nl": "Thema", "en": "Theme"},
    "held_contacts": {"nl": "Gevoerde lobbycontacten", "en": "Lobby contacts held"},
    "held_contacts_intro": {
        "nl": "De openbare lobbycontacten van de afgelopen 90 dagen, na controle gepubliceerd "
        "(Wet open overheid).",
        "en": "The public lobby contacts of the last 90 days, published after review "
        "(open-government act).",
    },
    "date": {"nl": "Datum", "en": "Date"},
    "reviewed_by": {
        "nl": "Gecontroleerd voor publicatie door {who}",
        "en": "Reviewed for publication by {who}",
    },
    "review_outdated": {
        "nl": "Gewijzigd na de controle: pas na een nieuwe controle weer gepubliceerd.",
        "en": "Changed since the review: published again only after a new review.",
    },
    "not_reviewed": {
        "nl": "Nog niet gecontroleerd: staat nog niet bij de gevoerde lobbycontacten.",
        "en": "Not reviewed yet: not among the published lobby contacts.",
    },
    "redact_intro": {
        "nl": "Lak een veld weg door de reden in te vullen (bijv. persoonsgegevens).",
        "en": "Redact a field by giving the reason (e.g. personal data).",
    },
    "mark_reviewed": {"nl": "Markeer als gecontroleerd", "en": "Mark reviewed"},
    "withdraw_review": {"nl": "Trek controle in", "en": "Withdraw review"},
    "subject": {"nl": "Onderwerp", "en": "Subject"},
    "organisations": {"nl": "Organisaties", "en": "Organisations"},
    "public_intro": {
        "nl": "De openbare lobbyagenda van de gemeente: met wie we spreken, wanneer en waarover.",
        "en": "The municipality's open lobby agenda: whom we meet, when and about what.",
    },
    # the subscriptions page
    "subscriptions": {"nl": "Agenda-abonnementen", "en": "Calendar subscriptions"},
    "subscriptions_intro": {
        "nl": "Abonneer je op de lobbyagenda in je eigen agenda. Wijzigingen komen vanzelf mee.",
        "en": "Subscribe to the lobby agenda in your own calendar. Changes follow by themselves.",
    },
    "private_link_warning": {
        "nl": "Deze links zijn persoonlijk: deel ze niet. Een link die uitlekt kan worden ingetrokken.",
        "en": "These links are personal: do not share them. A leaked link can be revoked.",
    },
    "feed_all": {"nl": "Hele lobbyagenda", "en": "Whole lobby agenda"},
    "feed_me": {"nl": "Mijn agenda: wat ik doe en volg", "en": "My agenda: what I do and follow"},
    "feed_public": {"nl": "Openbare lobbyagenda", "en": "Public lobby agenda"},
    "feeds_per_theme": {"nl": "Per thema", "en": "Per theme"},
    "nav_dossiers": {"nl": "Dossiers", "en": "Dossiers"},
    "report_title": {"nl": "Lobbydossiers", "en": "Lobby dossiers"},
    "report_intro": {
        "nl": "Per dossier de gehouden contacten (lobbygesprekken en netwerkmomenten), de "
        "vastgelegde uitkomsten en de statuswijzigingen. Vertrouwelijke contacten zijn "
        "meegeteld, niet beschreven.",
        "en": "Per dossier the contacts held (lobby meetings and networking moments), the "
        "outcomes recorded and the status changes. Confidential contacts are counted, not "
        "described.",
    },
    "report_contacts": {"nl": "Contacten", "en": "Contacts"},
    "report_of_which_confidential": {
        "nl": "waarvan {count} vertrouwelijk",
        "en": "{count} of them confidential",
    },
    "report_by_stakeholder": {"nl": "Per partner", "en": "By stakeholder"},
    "report_planned_contacts": {
        "nl": "Gepland in deze periode, nog niet gehouden",
        "en": "Planned in this period, not held yet",
    },
    "report_state": {"nl": "Stand", "en": "State"},
    "report_held": {"nl": "gehouden", "en": "held"},
    "report_planned": {"nl": "gepland", "en": "planned"},
    "report_by_level": {"nl": "Per niveau", "en": "By level"},
    "report_outcomes": {"nl": "Uitkomsten", "en": "Outcomes"},
    "dossier_progress": {"nl": "Voortgang", "en": "Progress"},
    "dossier_contacts_overdue": {"nl": "Contact achterstallig", "en": "Contact overdue"},
    "dossier_overdue": {"nl": "{dossier}: {stakeholder}", "en": "{dossier}: {stakeholder}"},
    "dossier_decisions": {"nl": "Besluitvorming in aantocht", "en": "Decisions ahead"},
    "dossiers_intro": {
        "nl": "De lobbydossiers: wat we willen bereiken, bij wie, en hoe het contact ervoor staat.",
        "en": "The lobby dossiers: what we want to achieve, with whom, and where contact stands.",
    },
    "lead": {"nl": "Trekker", "en": "Lead"},
    "priority": {"nl": "Prioriteit", "en": "Priority"},
    "horizon": {"nl": "Horizon", "en": "Horizon"},
    "ask": {"nl": "Vraag", "en": "Ask"},
    "coalition": {"nl": "Coalitie", "en": "Coalition"},
    "our_role": {"nl": "Onze rol", "en": "Our role"},
    "targets": {"nl": "Partners om te bewegen", "en": "Stakeholders to move"},
    "next_contact": {"nl": "Volgend contact", "en": "Next contact"},
    "contact_overdue": {"nl": "contact achterstallig", "en": "contact overdue"},
    "open_follow_ups": {"nl": "Open vervolgacties", "en": "Open follow-up actions"},
    "timeline": {"nl": "Tijdlijn", "en": "Timeline"},
    "hidden_items": {
        "nl": "en {count} vertrouwelijk(e) agendapunt(en) van anderen",
        "en": "and {count} confidential item(s) of others",
    },
    "note": {"nl": "Notitie", "en": "Note"},
    # contact persons
    "contact_persons": {"nl": "Contactpersonen", "en": "Contact persons"},
    "contact_persons_at": {"nl": "Contactpersonen bij {name}", "en": "Contact persons at {name}"},
    "contacts_met": {"nl": "Gesproken contactpersonen", "en": "Contact persons met"},
    "function": {"nl": "Functie", "en": "Function"},
    "organisation": {"nl": "Organisatie", "en": "Organisation"},
    "portfolio": {"nl": "Portefeuille", "en": "Portfolio"},
    "relationship_owner": {"nl": "Relatiebeheerder", "en": "Relationship owner"},
    "phone": {"nl": "Telefoon", "en": "Phone"},
    "notes": {"nl": "Notities", "en": "Notes"},
    "left_on": {"nl": "vertrokken op {day}", "en": "left on {day}"},
    "every_contact": {"nl": "Alle contacten", "en": "Every contact"},
    "matters_for": {"nl": "Van belang voor", "en": "Matters for"},
    "show_left": {"nl": "Toon ook vertrokken contactpersonen", "en": "Show those who left too"},
    "all_contact_persons": {"nl": "Alle contactpersonen", "en": "All contact persons"},
    "feeds_per_dossier": {"nl": "Per lobbydossier", "en": "Per lobby dossier"},
    "feeds_per_stakeholder": {"nl": "Per partner", "en": "Per stakeholder"},
    "feed_link": {"nl": "Link voor {name}", "en": "Link for {name}"},
    "copy": {"nl": "Kopieer link", "en": "Copy link"},
    "copied": {"nl": "Link gekopieerd", "en": "Link copied"},
    "open_webcal": {"nl": "Open in agenda-app", "en": "Open in calendar app"},
    "add_google": {"nl": "Toevoegen aan Google Agenda", "en": "Add to Google Calendar"},
    "how_to": {"nl": "Zo voeg je een abonnement toe", "en": "How to subscribe"},
    "how_outlook_web": {
        "nl": "Agenda → Agenda toevoegen → Abonneren via web; plak de https-link. Vernieuwt ongeveer elke 3 uur.",
        "en": "Calendar → Add calendar → Subscribe from web; paste the https link. Refreshes about every 3 hours.",
    },
    "how_outlook_desktop": {
        "nl": "Bestand → Accountinstellingen → Internetagenda's → Nieuw; plak de link. Volgt de vernieuwingstip van de feed.",
        "en": "File → Account settings → Internet calendars → New; paste the link. Follows the feed's refresh hint.",
    },
    "how_apple": {
        "nl": "Archief → Nieuw agenda-abonnement; plak de webcal-link en kies hoe vaak hij vernieuwt.",
        "en": "File → New calendar subscription; paste the webcal link and choose how often to refresh.",
    },
    "how_google": {
        "nl": "Gebruik de Google-knop of Andere agenda's → Via URL. Google vernieuwt soms pas na een dag.",
        "en": "Use the Google button or Other calendars → From URL. Google may take up to a day to refresh.",
    },
    "how_thunderbird": {
        "nl": "Nieuwe agenda → Op het netwerk; plak de https-link. Vernieuwt elk half uur.",
        "en": "New calendar → On the network; paste the https link. Refreshes every 30 minutes.",
    },
    # what a person follows, chosen on /me
    "what_i_follow": {"nl": "Wat ik volg", "en": "What I follow"},
    "what_i_follow_intro": {
        "nl": "Agendapunten op deze thema's en met deze partners staan in mijn agenda-abonnement, mijn overzicht en (als ik herinneringen volg) mijn herinneringen.",
        "en": "Items on these themes and with these stakeholders are in my calendar subscription, my digest and (when I follow reminders) my reminders.",
    },
    # multi-selects as a filterable list with chips (site.js; the select works without it)
    "choices_filter": {"nl": "Zoek", "en": "Search"},
    "choices_chosen": {"nl": "gekozen", "en": "chosen"},
    "choices_remove": {"nl": "Haal weg", "en": "Remove"},
    # the agenda as a list, a week or a month
    "view_label": {"nl": "Weergave", "en": "View"},
    "view_list": {"nl": "Lijst", "en": "List"},
    "view_week": {"nl": "Week", "en": "Week"},
    "view_month": {"nl": "Maand", "en": "Month"},
    "previous_week": {"nl": "Vorige week", "en": "Previous week"},
    "next_week": {"nl": "Volgende week", "en": "Next week"},
    "this_week": {"nl": "Deze week", "en": "This week"},
    "previous_month": {"nl": "Vorige maand", "en": "Previous month"},
    "next_month": {"nl": "Volgende maand", "en": "Next month"},
    "this_month": {"nl": "Deze maand", "en": "This month"},
    "today": {"nl": "vandaag", "en": "today"},
    "filters_on": {"nl": "aan", "en": "on"},
    # keeping dossiers in the browser
    "new_dossier": {"nl": "Nieuw dossier", "en": "New dossier"},
    "edit_dossier": {"nl": "Dossier bewerken", "en": "Edit dossier"},
    "dossier_slug": {"nl": "Korte naam", "en": "Short name"},
    "dossier_slug_hint": {
        "nl": "Kleine letters, cijfers en streepjes, zoals eu-spoortunnels; staat in de link en kan niet meer veranderen.",
        "en": "Lower-case letters, digits and hyphens, such as eu-rail-tunnels; it is in the link and cannot change later.",
    },
    "dossier_what": {"nl": "Wat we willen", "en": "What we want"},
    "dossier_state": {"nl": "Trekker en stand", "en": "Lead and state"},
    "target_n": {"nl": "Partner {n}", "en": "Stakeholder {n}"},
    "add_note": {"nl": "Notitie toevoegen", "en": "Add a note"},
    "note_text": {"nl": "Wat is er gebeurd?", "en": "What happened?"},
    "new_status": {"nl": "Nieuwe status", "en": "New status"},
    "keep_status": {"nl": "blijft {status}", "en": "stays {status}"},
    # notes and documents (issue 17)
    "notes_heading": {"nl": "Notities", "en": "Notes"},
    "no_notes": {"nl": "Nog geen notities.", "en": "No notes yet."},
    "note_by": {"nl": "{who}, {when}", "en": "{who}, {when}"},
    "note_edited": {"nl": "bewerkt door {who}, {when}", "en": "edited by {who}, {when}"},
    "item_note_text": {"nl": "Notitie (markdown)", "en": "Note (markdown)"},
    "add_item_note": {"nl": "Notitie plaatsen", "en": "Post note"},
    "edit_note": {"nl": "Notitie bewerken", "en": "Edit note"},
    "save_note": {"nl": "Opslaan", "en": "Save"},
    "delete_note": {"nl": "Notitie verwijderen", "en": "Delete note"},
    "documents_heading": {"nl": "Documenten", "en": "Documents"},
    "no_documents": {"nl": "Nog geen documenten.", "en": "No documents yet."},
    "document_file": {
        "nl": "Document (positiepaper, presentatie, brief)",
        "en": "Document (position paper, presentation, letter)",
    },
    "document_hint": {"nl": "Hoogstens {mb} MB.", "en": "At most {mb} MB."},
    "attach_document": {"nl": "Document bijvoegen", "en": "Attach document"},
    "delete_document": {"nl": "Verwijderen", "en": "Remove"},
    "document_by": {"nl": "{size}, {who}, {when}", "en": "{size}, {who}, {when}"},
    "public_page_intro": {
        "nl": "De openbare lobbyagenda van de gemeente. Vraag een beheerder om een persoonlijke link voor de volledige agenda.",
        "en": "The municipality's public lobby agenda. Ask an administrator for a personal link to the full agenda.",
    },
    # search (the page, and the messages of scheduler.search)
    "nav_search": {"nl": "Zoeken", "en": "Search"},
    "search_intro": {
        "nl": 'Zoek in agendapunten, uitkomsten, dossiers, notities, partners en contactpersonen. Alle woorden moeten voorkomen; "tussen aanhalingstekens" zoekt een zinsdeel, -woord sluit uit, OR geeft keuze, woord* zoekt het begin van een woord.',
        "en": 'Search items, outcomes, dossiers, notes, stakeholders and contact persons. All words must occur; "in quotes" finds a phrase, -word leaves out, OR gives a choice, word* finds the start of a word.',
    },
    "search_words": {"nl": "Zoekwoorden", "en": "Search words"},
    "search_button": {"nl": "Zoeken", "en": "Search"},
    "search_type": {"nl": "Soort treffer", "en": "Kind of hit"},
    "search_any": {"nl": "alle", "en": "any"},
    "search_from": {"nl": "Van", "en": "From"},
    "search_to": {"nl": "Tot en met", "en": "Through"},
    "search_dossier": {"nl": "Dossier", "en": "Dossier"},
    "search_theme": {"nl": "Thema", "en": "Theme"},
    "search_results": {
        "nl": "{count} resultaten voor {query}",
        "en": "{count} results for {query}",
    },
    "search_none": {
        "nl": "Niets gevonden. Probeer minder of andere woorden.",
        "en": "Nothing found. Try fewer or other words.",
    },
    "search_next": {"nl": "Volgende", "en": "Next"},
    "search_previous": {"nl": "Vorige", "en": "Previous"},
    "search_hit_item": {"nl": "Agendapunt", "en": "Agenda item"},
    "search_hit_dossier": {"nl": "Dossier", "en": "Dossier"},
    "search_hit_note": {"nl": "Dossiernotitie", "en": "Dossier note"},
    "search_hit_stakeholder": {"nl": "Partner", "en": "Stakeholder"},
    "search_hit_contact": {"nl": "Contactpersoon", "en": "Contact person"},
    "search_empty": {
        "nl": "q: typ een of meer woorden om naar te zoeken",
        "en": "q: type one or more words to search for",
    },
    "search_too_long": {
        "nl": "q: hoogstens {limit} tekens (dit zijn er {length})",
        "en": "q: at most {limit} characters (this has {length})",
    },
    "search_no_words": {
        "nl": "q: er staan geen woorden in om naar te zoeken (alleen leestekens)",
        "en": "q: there are no words in it to search for (only punctuation)",
    },
    "search_too_many_words": {
        "nl": "q: hoogstens {limit} woorden",
        "en": "q: at most {limit} words",
    },
    "search_only_excluded": {
        "nl": "q: zeg ook wat je zoekt, niet alleen wat je uitsluit (-woord)",
        "en": "q: say what to look for, not only what to leave out (-word)",
    },
    "search_period_reversed": {
        "nl": "'tot en met' ligt voor 'van'",
        "en": "'to' lies before 'from'",
    },
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
    # dossiers: status, our role, priority
    "verkenning": {"nl": "verkenning", "en": "exploring"},
    "actief": {"nl": "actief", "en": "active"},
    "besluit-genomen": {"nl": "besluit genomen", "en": "decided"},
    "gerealiseerd": {"nl": "gerealiseerd", "en": "achieved"},
    "gestopt": {"nl": "gestopt", "en": "stopped"},
    "partner": {"nl": "partner", "en": "partner"},
    "volger": {"nl": "volger", "en": "follower"},
    "hoog": {"nl": "hoog", "en": "high"},
    "middel": {"nl": "middel", "en": "medium"},
    "laag": {"nl": "laag", "en": "low"},
    # confidentiality
    "public": {"nl": "openbaar", "en": "public"},
    "internal": {"nl": "intern", "en": "internal"},
    "confidential": {"nl": "vertrouwelijk", "en": "confidential"},
    # delivery states
    "pending": {"nl": "wacht", "en": "waiting"},
    "sending": {"nl": "wordt verstuurd", "en": "being sent"},
    "sent": {"nl": "verstuurd", "en": "sent"},
    "failed": {"nl": "mislukt, wordt opnieuw geprobeerd", "en": "failed, will be retried"},
    "expired": {"nl": "verlopen", "en": "expired"},
    "dead": {"nl": "onbestelbaar", "en": "undeliverable"},
    # kinds of mail (outbox rows)
    "mail_reminder": {"nl": "Herinnering", "en": "Reminder"},
    "mail_cancellation": {"nl": "Annulering", "en": "Cancellation"},
    "mail_digest": {"nl": "Overzicht", "en": "Digest"},
    "mail_source-change": {"nl": "Wijziging in een buitenagenda", "en": "Outside calendar change"},
    "mail_outcome": {"nl": "Vraag naar de uitkomst", "en": "Asking for the outcome"},
    "mail_follow-up": {"nl": "Vervolgactie", "en": "Follow-up"},
    "mail_evaluation": {"nl": "Evaluatie samenwerking", "en": "Partnership evaluation"},
    "mail_preparation": {"nl": "Voorbereidingsstap", "en": "Preparation step"},
    "mail_chain-cancelled": {"nl": "Voorbereiding vervalt", "en": "Preparation called off"},
    "mail_contact-gap": {"nl": "Contact achterstallig", "en": "Contact overdue"},
    "mail_overlap": {"nl": "Eén stem", "en": "One voice"},
    # levels and kinds of partnership
    "lokaal": {"nl": "lokaal", "en": "local"},
    "regionaal": {"nl": "regionaal", "en": "regional"},
    "bovenregionaal": {"nl": "bovenregionaal", "en": "supra-regional"},
    "strategisch": {"nl": "strategisch", "en": "strategic"},
    "uitvoerend": {"nl": "uitvoerend", "en": "operational"},
    # fields named in messages
    "field_goal": {"nl": "doel", "en": "goal"},
    "field_message": {"nl": "kernboodschap", "en": "key message"},
}


# Words that change with a number: (one, more).
_COUNTED: dict[str, dict[Lang, tuple[str, str]]] = {
    "items": {"nl": ("agendapunt", "agendapunten"), "en": ("item", "items")},
    "attention": {
        "nl": ("aandachtspunt", "aandachtspunten"),
        "en": ("point of attention", "points of attention"),
    },
}


def counted(key: str, number: int, lang: Lang) -> str:
    """ "1 agendapunt", "3 agendapunten"."""
    one, more = _COUNTED[key][lang]
    return f"{number} {one if number == 1 else more}"


def text(key: str, lang: Lang, **values: str) -> str:
    """The phrase `key` in `lang`, with `{placeholders}` filled in."""
    phrase = _TEXTS[key][lang]
    return phrase.format(**values) if values else phrase


def label(value: str, lang: Lang) -> str:
    """The word for an enum value (kind, status, role); the value itself when unknown."""
    return _VALUES.get(value, {}).get(lang, value)


class Words:
    """Dates and times as a reader reads them, in their language and zone (Babel's formats):
    the one place pages, digests and emails take them from."""

    def __init__(self, lang: Lang, zone: str | ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone if isinstance(zone, ZoneInfo) else clock.zone(zone)
        self.locale = "en_GB" if lang == "en" else "nl_NL"

    def moment(self, when: datetime, all_day: bool) -> str:
        """ "di 8 dec 10:00"; "di 8 dec" for an all-day item."""
        local = when.astimezone(self.zone)
        if all_day:
            return self.day(local.date())
        return format_datetime(local, "EEE d MMM HH:mm", locale=self.locale)

    def long(self, when: datetime, all_day: bool) -> str:
        """ "dinsdag 8 december 2026 om 10:00"; without the time for an all-day item."""
        local = when.astimezone(self.zone)
        if all_day:
            return self.long_day(local.date())
        at = "'at'" if self.lang == "en" else "'om'"
        return format_datetime(local, f"EEEE d MMMM y {at} HH:mm", locale=self.locale)

    def period(self, start: datetime, end: datetime, all_day: bool) -> str:
        """ "dinsdag 8 december 2026 om 10:00–11:30"; across midnight "… om 22:00 tot woensdag
        9 december 2026 om 01:00"; all-day (`end` exclusive) "… t/m donderdag 10 december 2026"."""
        if all_day:
            first = start.astimezone(self.zone).date()
            last = max(first, end.astimezone(self.zone).date() - timedelta(days=1))
            if last == first:
                return self.long_day(first)
            return (
                f"{self.long_day(first)} {text('period_through', self.lang)} {self.long_day(last)}"
            )
        begins, ends = start.astimezone(self.zone), end.astimezone(self.zone)
        if begins.date() == ends.date():
            return f"{self.long(start, False)}–{format_datetime(ends, 'HH:mm', locale=self.locale)}"
        return (
            f"{self.long(start, False)} {text('period_until', self.lang)} {self.long(end, False)}"
        )

    def day(self, day: date) -> str:
        return format_date(day, "EEE d MMM", locale=self.locale)

    def long_day(self, day: date) -> str:
        return format_date(day, "EEEE d MMMM y", locale=self.locale)

    def length(self, duration: timedelta) -> str:
        """ "6 weken", "10 dagen": how long, in the largest unit that keeps a whole number."""
        return format_timedelta(duration, threshold=3, locale=self.locale)

    def span(self, first: date, last: date) -> str:
        """ "7–21 dec 2026", "28 dec 2026 – 10 jan 2027"."""
        return format_interval(first, last, "yMMMd", locale=self.locale)

    def month(self, day: date) -> str:
        """ "december 2026": the month `day` lies in."""
        return format_date(day, "LLLL y", locale=self.locale)

    def weekdays(self) -> list[str]:
        """ "ma" … "zo" (Monday first), as a grid's column heads."""
        names = get_day_names("abbreviated", locale=self.locale)
        return [names[n] for n in range(7)]

    def week(self, day: date) -> str:
        """ "Week 50 (7–13 dec 2026)": the ISO week `day` lies in."""
        year, number, _ = day.isocalendar()
        monday = date.fromisocalendar(year, number, 1)
        return text(
            "week_heading",
            self.lang,
            week=str(number),
            span=self.span(monday, monday + timedelta(days=6)),
        )


# ---------------------------------------------------------------- errors on pages (issue 16)
# A LobbyError's `key` and `params` in words; the field it names goes in front ("Begin: …").

_ERRORS: dict[str, dict[Lang, str]] = {
    "required": {"nl": "vul dit in", "en": "fill this in"},
    "too_long": {
        "nl": "te lang: hoogstens {max} tekens",
        "en": "too long: at most {max} characters",
    },
    "invalid": {"nl": "'{value}' klopt niet", "en": "'{value}' is not right"},
    "invalid_blank": {"nl": "dit klopt niet", "en": "this is not right"},
    "not_a_choice": {
        "nl": "'{value}' is geen van de keuzes",
        "en": "'{value}' is not one of the choices",
    },
    "not_a_date": {
        "nl": "'{value}' is geen datum; schrijf bijvoorbeeld 9-12-2026 10:00",
        "en": "'{value}' is not a date; write for example 9-12-2026 10:00",
    },
    "not_a_day": {
        "nl": "'{value}' is geen datum; schrijf bijvoorbeeld 9-12-2026",
        "en": "'{value}' is not a date; write for example 9-12-2026",
    },
    "not_a_real_date": {
        "nl": "'{value}' bestaat niet als datum of tijd",
        "en": "'{value}' is not a real date or time",
    },
    "year_out_of_range": {
        "nl": "{value} ligt buiten de jaren {first}–{last}",
        "en": "{value} lies outside the years {first}–{last}",
    },
    "not_a_slug": {
        "nl": "'{value}' kan geen korte naam zijn: gebruik kleine letters, cijfers en streepjes",
        "en": "'{value}' cannot be a short name: use lower-case letters, digits and hyphens",
    },
    "not_an_email": {
        "nl": "'{value}' is geen e-mailadres",
        "en": "'{value}' is not an email address",
    },
    "not_a_weekday": {
        "nl": "'{value}' is geen dag van de week",
        "en": "'{value}' is not a weekday",
    },
    "not_a_time": {
        "nl": "'{value}' is geen tijd; schrijf bijvoorbeeld 07:30",
        "en": "'{value}' is not a time of day; write for example 07:30",
    },
    "time_in_clock_change": {
        "nl": "{value} valt tussen 02:00 en 03:00, het uur dat bij het verzetten van de klok "
        "ontbreekt of twee keer komt: kies een andere tijd",
        "en": "{value} falls between 02:00 and 03:00, the hour the clock change skips or "
        "repeats: choose another time",
    },
    "not_a_uid": {
        "nl": "'{value}' kan geen kenmerk zijn: gebruik letters, cijfers en . _ @ : + -",
        "en": "'{value}' cannot be an identifier: use letters, digits and . _ @ : + -",
    },
    "not_a_link": {
        "nl": "'{value}' is geen weblink; begin met https://",
        "en": "'{value}' is not a web link; start with https://",
    },
    "want_day": {
        "nl": "'{value}' moet een datum zonder tijd zijn, net als het begin (hele dag)",
        "en": "'{value}' should be a date without a time, like the start (all day)",
    },
    "want_time": {
        "nl": "'{value}' moet een datum met tijd zijn, net als het begin",
        "en": "'{value}' should be a date and time, like the start",
    },
    "skipped_hour": {
        "nl": "{value} bestaat niet op {day}: de klok springt dan een uur vooruit",
        "en": "{value} does not exist on {day}: the clock skips that hour",
    },
    "second_hour": {
        "nl": "{value} komt die nacht twee keer voor; een reeks begint bij de eerste keer",
        "en": "{value} happens twice that night; a series starts at the first one",
    },
    "end_before_start": {
        "nl": "het einde ligt voor het begin",
        "en": "the end lies before the start",
    },
    "not_first_occurrence": {
        "nl": "het begin valt niet op de herhaling; laat de reeks beginnen op de eerste keer, "
        "{first}",
        "en": "the start is not on the repeat; start the series on its first occurrence, {first}",
    },
    "not_an_occurrence": {
        "nl": "{value} is geen keer van dit agendapunt",
        "en": "{value} is not an occurrence of this item",
    },
    "rrule_empty": {"nl": "de herhaalregel is leeg", "en": "the rule is empty"},
    "rrule_part": {
        "nl": "'{part}' in de herhaalregel klopt niet",
        "en": "'{part}' in the rule is not right",
    },
    "rrule_daily": {
        "nl": "een agendapunt herhaalt hoogstens dagelijks, op de tijd van het begin",
        "en": "an item repeats at most daily, at the time of its start",
    },
    "rrule_until_year": {
        "nl": "laat de reeks uiterlijk in {year} eindigen, of zonder einde",
        "en": "end the series by {year}, or leave the end out",
    },
    "rrule_count": {
        "nl": "hoogstens {count} keer; laat het aantal weg voor een reeks zonder einde",
        "en": "at most {count} times; leave the number out for a series without end",
    },
    "rrule_count_and_until": {
        "nl": "geef een aantal keer of een einddatum, niet allebei",
        "en": "give a number of times or an end date, not both",
    },
    "rrule_freq": {
        "nl": "de herhaling moet dagelijks, wekelijks, maandelijks of jaarlijks zijn",
        "en": "the series repeats daily, weekly, monthly or yearly",
    },
    "rrule_no_occurrence": {
        "nl": "deze herhaling valt nooit op of na het begin",
        "en": "this repeat never falls on or after the start",
    },
    "not_an_offset": {
        "nl": "'{value}' is geen herinnering; schrijf bijvoorbeeld 7 dagen, 1 dag, 2 uur of "
        "5 werkdagen (na afloop: 1 dag na)",
        "en": "'{value}' is not a reminder; write for example 7 days, 1 day, 2 hours or "
        "5 working days (afterwards: 1 day after)",
    },
    "offset_too_far": {
        "nl": "'{value}' ligt te ver van het moment: een herinnering komt hoogstens een jaar "
        "ervoor of erna",
        "en": "'{value}' lies too far from its moment: a reminder comes at most a year before "
        "or after it",
    },
    "unknown_zone": {
        "nl": "'{value}' is geen tijdzone; kies bijvoorbeeld Europe/Amsterdam",
        "en": "'{value}' is not a time zone; choose for example Europe/Amsterdam",
    },
    "unknown_name": {"nl": "'{value}' kennen we niet", "en": "'{value}' is unknown"},
    "unknown_person": {
        "nl": "'{value}' is geen bekende collega",
        "en": "'{value}' is not a known colleague",
    },
    "no_item": {
        "nl": "dit agendapunt bestaat niet, of je mag het niet zien",
        "en": "this agenda item does not exist, or is not yours to see",
    },
    "no_page": {"nl": "deze pagina bestaat niet", "en": "this page does not exist"},
    "wrong_method": {
        "nl": "zo kan deze pagina niet worden opgevraagd",
        "en": "this page cannot be asked for this way",
    },
    "may_not_create": {
        "nl": "alleen lobbyisten, managers en beheerders maken agendapunten aan",
        "en": "only lobbyists, managers and admins create agenda items",
    },
    "may_not_edit": {
        "nl": "je mag dit agendapunt niet wijzigen: lobbyisten wijzigen de agendapunten waarvan "
        "ze eigenaar of deelnemer zijn, managers en beheerders de niet-vertrouwelijke",
        "en": "you may not change this item: lobbyists change the items they own or take part "
        "in, managers and admins the non-confidential ones",
    },
    "planners_only": {
        "nl": "alleen lobbyisten, managers en beheerders mogen dit",
        "en": "only lobbyists, managers and admins may do this",
    },
    "admins_only": {"nl": "alleen beheerders mogen dit", "en": "only admins may do this"},
    "stale_form": {
        "nl": "iemand anders wijzigde dit agendapunt terwijl jij het bewerkte; er is niets "
        "opgeslagen. Laad de pagina opnieuw om de wijziging te zien.",
        "en": "someone else changed this item while you edited it; nothing was saved. Reload "
        "the page to see their change.",
    },
    "sign_in_required": {
        "nl": "log eerst in met je persoonlijke link",
        "en": "sign in with your personal link first",
    },
    "sign_in_link_expired": {
        "nl": "deze inloglink is verlopen (hij werkt 15 minuten); vraag een nieuwe aan",
        "en": "this sign-in link expired (they last 15 minutes); ask for a new one",
    },
    "sign_in_link_used": {
        "nl": "deze inloglink is al gebruikt; vraag een nieuwe aan",
        "en": "this sign-in link was used already; ask for a new one",
    },
    "no_sign_in_link": {
        "nl": "deze inloglink bestaat niet",
        "en": "this sign-in link does not exist",
    },
    "no_feed": {"nl": "deze agenda-link bestaat niet", "en": "this calendar link does not exist"},
    "feed_link_revoked": {
        "nl": "deze agenda-link is ingetrokken; vraag een nieuwe aan",
        "en": "this calendar link was revoked; ask for a new one",
    },
    "feed_link_expired": {
        "nl": "deze agenda-link is verlopen; vraag een nieuwe aan",
        "en": "this calendar link expired; ask for a new one",
    },
    "feed_link_person": {
        "nl": "deze agenda-link is van iemand die geen toegang meer heeft",
        "en": "this calendar link belongs to someone who no longer has access",
    },
    "feed_link_other": {
        "nl": "deze agenda-link opent die agenda niet",
        "en": "this calendar link does not open that calendar",
    },
    "too_many_sign_in": {
        "nl": "te veel aanvragen voor een inloglink vanaf dit adres; probeer het over {minutes} "
        "opnieuw",
        "en": "too many sign-in requests from this address; try again in {minutes}",
    },
    "too_many_bad_token": {
        "nl": "te veel onbekende links vanaf dit adres; probeer het over {minutes} opnieuw",
        "en": "too many unknown links from this address; try again in {minutes}",
    },
    "to_before_from": {
        "nl": "'tot en met' ligt voor 'van'",
        "en": "'until' lies before 'from'",
    },
    "no_sign_on": {
        "nl": "inloggen met een werkaccount is hier niet ingesteld; vraag een inloglink per mail",
        "en": "single sign-on is not set up here; ask for a sign-in link by email",
    },
    "sign_on_failed": {
        "nl": "inloggen met je werkaccount lukte niet; probeer het opnieuw ({detail})",
        "en": "signing in with your work account did not work; try again ({detail})",
    },
    "email_not_verified": {
        "nl": "je werkaccount heeft dit e-mailadres niet bevestigd; vraag het een beheerder",
        "en": "your work account has not verified this email address; ask an administrator",
    },
    "no_access": {
        "nl": "{email} heeft geen toegang tot de lobbyagenda; vraag het een beheerder",
        "en": "{email} has no access to the lobby agenda; ask an administrator",
    },
    "give_new_start": {
        "nl": "geef het nieuwe begin van deze keer",
        "en": "give the new start of this occurrence",
    },
    "no_token": {
        "nl": "deze link of dit token heb je niet",
        "en": "you have no such link or token",
    },
    "no_step": {
        "nl": "deze voorbereidingsstap bestaat niet, of je mag hem niet zien",
        "en": "this preparation step does not exist, or is not yours to see",
    },
    "only_public_reviewed": {
        "nl": "alleen openbare agendapunten komen op de openbare agenda",
        "en": "only public items go on the open agenda",
    },
    "redact_reason": {
        "nl": "geef de reden om weg te lakken",
        "en": "give the reason for redacting",
    },
    "chain_twice": {
        "nl": "dit agendapunt heeft deze voorbereiding al",
        "en": "this item has this preparation already",
    },
    "chain_no_owner": {
        "nl": "dit agendapunt heeft geen eigenaar; geef het eerst een eigenaar",
        "en": "this item has no owner; give it one first",
    },
    "chain_owner_confidential": {
        "nl": "de eigenaar van de voorbereiding moet eigenaar of deelnemer van dit vertrouwelijke "
        "agendapunt zijn",
        "en": "the preparation's owner must own or take part in this confidential item",
    },
    "item_cancelled": {"nl": "dit agendapunt is geannuleerd", "en": "this item is cancelled"},
    "no_occurrence_ahead": {
        "nl": "dit agendapunt komt niet meer terug",
        "en": "this item has no occurrence ahead",
    },
    "form_expired": _TEXTS["form_expired"],
    "read_only": {
        "nl": "dit agendapunt komt uit de buitenagenda {source} en verandert alleen daar; "
        "eigenaar, deelnemers, doel, kernboodschap, rol, herinneringen, uitkomst en "
        "vervolgacties vul je hier in",
        "en": "this item comes from the outside calendar {source} and changes only there; "
        "owner, participants, goal, key message, role, reminders, outcome and follow-ups are "
        "yours to fill in here",
    },
    "database_down": {
        "nl": "de agenda is even niet bereikbaar; probeer het over een minuut opnieuw",
        "en": "the agenda is unavailable for a moment; try again in a minute",
    },
    # notes and documents (issue 17)
    "file_too_large": {
        "nl": "het bestand is groter dan {mb} MB; er is niets bewaard",
        "en": "the file is larger than {mb} MB; nothing was stored",
    },
    "body_too_large": {
        "nl": "het verzoek is groter dan {kb} kB; er is niets bewaard",
        "en": "the request is larger than {kb} kB; nothing was stored",
    },
    "file_empty": {"nl": "het bestand is leeg", "en": "the file is empty"},
    "file_missing": {"nl": "kies een bestand", "en": "choose a file"},
    "note_empty": {"nl": "schrijf iets in de notitie", "en": "a note needs some text"},
    "note_too_long": {
        "nl": "een notitie is hoogstens {max} tekens lang",
        "en": "a note is at most {max} characters long",
    },
}

# What an error says when it has no key of its own: by its HTTP status.
_ERRORS_BY_STATUS: dict[int, dict[Lang, str]] = {
    400: {"nl": "dit klopt niet", "en": "this is not right"},
    401: _ERRORS["sign_in_required"],
    403: {"nl": "dat mag je niet met jouw rol", "en": "your role does not allow this"},
    404: {"nl": "dit bestaat niet (meer), of je mag het niet zien",
          "en": "this does not exist (any more), or is not yours to see"},
    409: {"nl": "dit botst met een andere wijziging; laad de pagina opnieuw",
          "en": "this conflicts with another change; reload the page"},
    410: {"nl": "deze link werkt niet meer; vraag een nieuwe aan",
          "en": "this link no longer works; ask for a new one"},
    412: _ERRORS["stale_form"],
    429: {"nl": "te veel pogingen; probeer het over een paar minuten opnieuw",
          "en": "too many attempts; try again in a few minutes"},
    502: {"nl": "een buitenagenda kon niet worden opgehaald",
          "en": "an outside calendar could not be fetched"},
    503: _ERRORS["database_down"],
}  # fmt: skip

# The item page's own words (issue 16).
_TEXTS["add_to_my_calendar"] = {
    "nl": "Zet in mijn agenda (.ics)",
    "en": "Add to my calendar (.ics)",
}
_TEXTS["history_created"] = {"nl": "aangemaakt", "en": "created"}
_TEXTS["yes"] = {"nl": "ja", "en": "yes"}
_TEXTS["no"] = {"nl": "nee", "en": "no"}

# The names of fields as the forms and filters call them.
_FIELD_NAMES: dict[str, dict[Lang, str]] = {
    "file": {"nl": "Bestand", "en": "File"},
    "document": {"nl": "Document", "en": "Document"},
    "title": {"nl": "Titel", "en": "Title"},
    "kind": {"nl": "Soort", "en": "Kind"},
    "start": {"nl": "Begin", "en": "Start"},
    "end": {"nl": "Einde", "en": "End"},
    "timezone": {"nl": "Tijdzone", "en": "Time zone"},
    "rrule": {"nl": "Herhaling", "en": "Repeats"},
    "repeat": {"nl": "Herhaling", "en": "Repeats"},
    "until": {"nl": "Herhaling tot en met", "en": "Repeats until"},
    "location": {"nl": "Waar", "en": "Where"},
    "online_url": {"nl": "Online", "en": "Online"},
    "description": {"nl": "Beschrijving", "en": "Description"},
    "themes": {"nl": "Thema's", "en": "Themes"},
    "theme": {"nl": "Thema", "en": "Theme"},
    "stakeholders": {"nl": "Partners", "en": "Stakeholders"},
    "stakeholder": {"nl": "Partner", "en": "Stakeholder"},
    "owner": {"nl": "Eigenaar", "en": "Owner"},
    "participants": {"nl": "Deelnemers", "en": "Participants"},
    "goal": {"nl": "Doel", "en": "Goal"},
    "message": {"nl": "Kernboodschap", "en": "Key message"},
    "role": {"nl": "Rol", "en": "Role"},
    "status": {"nl": "Status", "en": "Status"},
    "confidentiality": {"nl": "Vertrouwelijkheid", "en": "Confidentiality"},
    "reminders": {"nl": "Herinneringen", "en": "Reminders"},
    "outcome": {"nl": "Uitkomst", "en": "Outcome"},
    "follow_ups": {"nl": "Vervolgactie", "en": "Follow-up action"},
    "text": {"nl": "actie", "en": "action"},
    "due": {"nl": "uiterlijk", "en": "due"},
    "dossiers": {"nl": "Dossiers", "en": "Dossiers"},
    "occurrence": {"nl": "Deze keer", "en": "This occurrence"},
    "occurrences": {"nl": "Gewijzigde keer", "en": "Changed occurrence"},
    "exdates": {"nl": "Vervallen keer", "en": "Cancelled occurrence"},
    "from": {"nl": "Van", "en": "From"},
    "to": {"nl": "Tot en met", "en": "Until"},
    "digest_time": {"nl": "Tijd van het overzicht", "en": "Time of the digest"},
    "digest_day": {"nl": "Dag van het overzicht", "en": "Day of the digest"},
    "language": {"nl": "Taal", "en": "Language"},
    "email": {"nl": "E-mailadres", "en": "Email address"},
    "template": {"nl": "Voorbereiding", "en": "Preparation"},
    "redact": {"nl": "Weglakken", "en": "Redaction"},
    "scope": {"nl": "Soort link", "en": "Kind of link"},
    "label": {"nl": "Omschrijving", "en": "Label"},
}

_MINUTES: dict[Lang, tuple[str, str]] = {"nl": ("minuut", "minuten"), "en": ("minute", "minutes")}


def field_name(field: str, lang: Lang) -> str:
    """ "Begin"; "Vervolgactie 2: uiterlijk" for `follow_ups.1.due`; "" for an unknown one."""
    parts = field.split(".")
    names = _FIELD_NAMES.get(parts[0])
    if names is None:
        return ""
    name = names[lang]
    number = next((int(p) + 1 for p in parts[1:] if p.isdigit()), None)
    if number is not None:
        name = f"{name} {number}"
    last = parts[-1]
    if len(parts) > 1 and not last.isdigit() and last in _FIELD_NAMES:
        name = f"{name}: {_FIELD_NAMES[last][lang].lower()}"
    return name


def say_error(error: LobbyError, lang: Lang) -> str:
    """An error as a person reads it on a page: in their language, the field named in words
    ("Begin: '9 december 2026 10:00' is geen datum; schrijf bijvoorbeeld 9-12-2026 10:00")."""
    params = {name: _as_typed(value) for name, value in error.params.items()}
    if "minutes" in params and params["minutes"].isdigit():
        one, more = _MINUTES[lang]
        params["minutes"] = f"{params['minutes']} {one if params['minutes'] == '1' else more}"
    key = error.key
    if key == "invalid" and not params.get("value"):
        key = "invalid_blank"
    if key in _ERRORS:
        body = _ERRORS[key][lang].format_map(_Lenient(params))
    elif lang == "en":
        body = error.message  # the English message is the one it has
    else:
        body = _ERRORS_BY_STATUS.get(error.status, _ERRORS_BY_STATUS[400])[lang]
    name = field_name(error.field, lang) if error.field else ""
    sentence = f"{name}: {body}" if name else body
    return sentence[:1].upper() + sentence[1:]


_ISO_WALL = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2})?)?")


def _as_typed(value: str) -> str:
    """An ISO date or wall time, as forms take and show it: "9-12-2026 10:00"."""
    match = _ISO_WALL.fullmatch(value.strip())
    if not match:
        return value
    year, month, day, hour, minute = match.groups()
    shown = f"{int(day)}-{int(month)}-{year}"
    return f"{shown} {hour}:{minute}" if hour else shown


class _Lenient(dict[str, str]):
    """Params for a phrase; one that is missing reads as nothing rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


# ---------------------------------------------------------------- recurrence in words (issue 16)

_ORDINALS: dict[Lang, dict[int, str]] = {
    "nl": {1: "eerste", 2: "tweede", 3: "derde", 4: "vierde", 5: "vijfde", -1: "laatste"},
    "en": {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"},
}
_SMALL: dict[Lang, dict[int, str]] = {
    "nl": {2: "twee", 3: "drie", 4: "vier", 5: "vijf", 6: "zes"},
    "en": {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"},
}
_UNIT: dict[Lang, dict[str, tuple[str, str, str]]] = {  # (every one, plural, article)
    "nl": {"DAILY": ("elke dag", "dagen", "elke"), "WEEKLY": ("elke week", "weken", "elke"),
           "MONTHLY": ("elke maand", "maanden", "elke"), "YEARLY": ("elk jaar", "jaar", "elke")},
    "en": {"DAILY": ("every day", "days", "every"), "WEEKLY": ("every week", "weeks", "every"),
           "MONTHLY": ("every month", "months", "every"), "YEARLY": ("every year", "years", "every")},
}  # fmt: skip
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RULE_WORDS: dict[str, dict[Lang, str]] = {
    "on": {"nl": "op", "en": "on"},
    "on_the": {"nl": "op de", "en": "on the"},
    "until": {"nl": "tot en met", "en": "until"},
    "times": {"nl": "{n} keer", "en": "{n} times"},
    "own_rule": {"nl": "volgens een eigen regel", "en": "by a rule of its own"},
}


def say_rule(rule: str, start: datetime, words: Words) -> str:
    """An RRULE in words, read from `start` (aware) in `words`' zone and language: "elke twee
    weken op woensdag, tot en met woensdag 30 juni 2027"; "elke maand op de tweede dinsdag,
    4 keer". A rule with parts beyond these reads "volgens een eigen regel"."""
    lang = words.lang
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}
    if parts.get("FREQ") not in _UNIT[lang] or set(parts) - known:
        return _RULE_WORDS["own_rule"][lang]
    local = start.astimezone(words.zone)
    every, plural, article = _UNIT[lang][parts["FREQ"]]
    interval = int(parts.get("INTERVAL", "1") or 1)
    if interval > 1:
        every = f"{article} {_SMALL[lang].get(interval, str(interval))} {plural}"
    said = [every]
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    # 5 January 2026 is a Monday: the weekdays' names in the reader's language.
    day_names = [format_date(date(2026, 1, 5 + i), "EEEE", locale=words.locale) for i in range(7)]
    if parts["FREQ"] == "WEEKLY":
        chosen = [day_names[_DAY_CODES.index(d[-2:])] for d in days] or [day_names[local.weekday()]]
        said.append(f"{_RULE_WORDS['on'][lang]} {_joined(chosen, lang)}")
    elif parts["FREQ"] == "MONTHLY" and days:
        nth = [
            f"{_ORDINALS[lang].get(int(d[:-2] or 1), d[:-2])} {day_names[_DAY_CODES.index(d[-2:])]}"
            for d in days
        ]
        said.append(f"{_RULE_WORDS['on_the'][lang]} {_joined(nth, lang)}")
    elif parts["FREQ"] == "MONTHLY":
        day = parts.get("BYMONTHDAY") or str(local.day)
        said.append(f"{_RULE_WORDS['on_the'][lang]} {day}{'e' if lang == 'nl' else '.'}")
    elif parts["FREQ"] == "YEARLY":
        said.append(
            f"{_RULE_WORDS['on'][lang]} {format_date(local, 'd MMMM', locale=words.locale)}"
        )
    text_ = " ".join(said)
    if "UNTIL" in parts:
        until = parts["UNTIL"]
        if len(until) == 8:
            last = date(int(until[:4]), int(until[4:6]), int(until[6:8]))
        else:
            moment = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=ZoneInfo("UTC"))
            last = moment.astimezone(words.zone).date()
        text_ += f", {_RULE_WORDS['until'][lang]} {words.long_day(last)}"
    if parts.get("COUNT", "").isdigit():
        text_ += ", " + _RULE_WORDS["times"][lang].format(n=parts["COUNT"])
    return text_


def _joined(names: list[str], lang: Lang) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {text('and', lang)} {names[-1]}"


# ---------------------------------------------------------------- the catalog and each theme's focus
# (issue 16: themes, stakeholders and partnerships kept in the browser; issue 17: focus en sturing)

_TEXTS.update({
    "nav_catalog": {"nl": "Catalogus", "en": "Catalogue"},
    "name": {"nl": "Naam", "en": "Name"},
    "partnership": {"nl": "Samenwerking", "en": "Partnership"},
    "catalog_intro": {
        "nl": "Waar de agenda over gaat en met wie: thema's met hun focus, partners en "
        "samenwerkingsverbanden.",
        "en": "What the agenda is about and with whom: themes with their focus, stakeholders "
        "and partnerships.",
    },
    "themes_intro": {
        "nl": "Per thema de focus voor deze periode: prioriteit, onze rol per niveau, de "
        "strategische keuze en de portefeuillehouder.",
        "en": "Per theme its focus for this period: priority, our role per level, the "
        "strategic choice and the portfolio holder.",
    },
    "stakeholders_intro": {
        "nl": "De organisaties waarmee we samenwerken en die we willen beïnvloeden, per soort.",
        "en": "The organisations we work with and want to influence, by kind.",
    },
    "catalog_count": {"nl": "{count} in totaal", "en": "{count} in all"},
    "new_theme": {"nl": "Nieuw thema", "en": "New theme"},
    "new_stakeholder": {"nl": "Nieuwe partner", "en": "New stakeholder"},
    "new_partnership": {"nl": "Nieuwe samenwerking", "en": "New partnership"},
    "edit_named": {"nl": "{name} bewerken", "en": "Edit {name}"},
    "theme_focus": {"nl": "Focus en sturing", "en": "Focus and steering"},
    "strategic_choice": {"nl": "Strategische keuze", "en": "Strategic choice"},
    "strategic_choice_hint": {
        "nl": "In één zin: wat we op dit thema wel en niet doen, en waarom.",
        "en": "In one sentence: what we do and do not do on this theme, and why.",
    },
    "portfolio_holder": {"nl": "Portefeuillehouder", "en": "Portfolio holder"},
    "portfolio_holder_hint": {
        "nl": "De wethouder, bijvoorbeeld: wethouder Anna de Vries.",
        "en": "The alderman, for example: alderman Anna de Vries.",
    },
    "role_at": {"nl": "Onze rol {level}", "en": "Our role ({level})"},
    "roles_per_level": {"nl": "Onze rol per niveau", "en": "Our role per level"},
    "not_chosen": {"nl": "nog niet gekozen", "en": "not chosen yet"},
    "priority_is": {"nl": "prioriteit {priority}", "en": "priority {priority}"},
    "stakeholder_kind": {"nl": "Soort partner", "en": "Kind of stakeholder"},
    "website": {"nl": "Website", "en": "Website"},
    "our_contact": {"nl": "Contactpersoon bij ons", "en": "Our contact"},
    "started_on": {"nl": "Gestart op", "en": "Started on"},
    "next_evaluation_on": {"nl": "Volgende evaluatie", "en": "Next evaluation"},
    "catalog_slug_hint": {
        "nl": "Kleine letters, cijfers en streepjes, zoals regio-alkmaar; staat in links en "
        "kan niet meer veranderen.",
        "en": "Lower-case letters, digits and hyphens, such as regio-alkmaar; it is in links "
        "and cannot change later.",
    },
    "all_partnerships": {"nl": "Alle samenwerkingen", "en": "All partnerships"},
    "focus_heading": {"nl": "Focus per thema", "en": "Focus per theme"},
    "theme_report_title": {"nl": "Inzet per thema", "en": "Effort per theme"},
    "theme_report_intro": {
        "nl": "Per thema de focus, de gehouden contacten (lobbygesprekken en netwerkmomenten) "
        "afgezet tegen de prioriteit, en de dossiers met hun status. Vertrouwelijke contacten "
        "zijn meegeteld, niet beschreven; een contact over twee thema's telt bij beide.",
        "en": "Per theme its focus, the contacts held (lobby meetings and networking moments) "
        "against its priority, and the dossiers with their status. Confidential contacts are "
        "counted, not described; a contact on two themes counts for both.",
    },
    "report_share": {"nl": "Aandeel", "en": "Share"},
    "report_effort": {"nl": "Inzet tegenover prioriteit", "en": "Effort against priority"},
    "effort_low": {
        "nl": "minder contact dan gemiddeld, bij een hoge prioriteit",
        "en": "less contact than average, for a high priority",
    },
    "effort_high": {
        "nl": "meer contact dan gemiddeld, bij een lage prioriteit",
        "en": "more contact than average, for a low priority",
    },
    "effort_fits": {"nl": "past bij de prioriteit", "en": "in line with the priority"},
    "effort_unset": {"nl": "geen prioriteit gekozen", "en": "no priority chosen"},
    "report_without_theme": {
        "nl": "Contacten zonder thema: {count}",
        "en": "Contacts without a theme: {count}",
    },
    "report_dossiers_none": {"nl": "geen dossiers", "en": "no dossiers"},
})  # fmt: skip

_VALUES.update({
    # kinds of stakeholder
    "gemeente": {"nl": "gemeente", "en": "municipality"},
    "regio": {"nl": "regio", "en": "region"},
    "provincie": {"nl": "provincie", "en": "province"},
    "rijk": {"nl": "Rijk", "en": "national government"},
    "kennisinstelling": {"nl": "kennisinstelling", "en": "knowledge institution"},
    "onderwijs": {"nl": "onderwijs", "en": "education"},
    "bedrijf": {"nl": "bedrijf", "en": "business"},
    "maatschappelijk": {"nl": "maatschappelijke organisatie", "en": "civil society"},
    "overig": {"nl": "overig", "en": "other"},
    "eu": {"nl": "EU-instelling", "en": "EU institution"},
})  # fmt: skip

_FIELD_NAMES.update({
    "name": {"nl": "Naam", "en": "Name"},
    "slug": {"nl": "Korte naam", "en": "Short name"},
    "priority": {"nl": "Prioriteit", "en": "Priority"},
    "roles": {"nl": "Onze rol", "en": "Our role"},
    "lokaal": {"nl": "Lokaal", "en": "Local"},
    "regionaal": {"nl": "Regionaal", "en": "Regional"},
    "bovenregionaal": {"nl": "Bovenregionaal", "en": "Supra-regional"},
    "strategic_choice": {"nl": "Strategische keuze", "en": "Strategic choice"},
    "portfolio_holder": {"nl": "Portefeuillehouder", "en": "Portfolio holder"},
    "website": {"nl": "Website", "en": "Website"},
    "level": {"nl": "Niveau", "en": "Level"},
    "members": {"nl": "Leden", "en": "Members"},
    "contact": {"nl": "Contactpersoon bij ons", "en": "Our contact"},
    "started_on": {"nl": "Gestart op", "en": "Started on"},
    "next_evaluation_on": {"nl": "Volgende evaluatie", "en": "Next evaluation"},
})  # fmt: skip

_ERRORS.update({
    "not_level_roles": {
        "nl": "'{value}' is geen rij niveau:rol; schrijf bijvoorbeeld regionaal:aanjager",
        "en": "'{value}' is not a list of level:role; write for example regionaal:aanjager",
    },
    "slug_taken": {
        "nl": "de korte naam '{value}' is al in gebruik; kies een andere",
        "en": "the short name '{value}' is taken already; choose another",
    },
    "stale_catalog_form": {
        "nl": "iemand anders wijzigde dit terwijl jij het bewerkte; er is niets opgeslagen. "
        "Laad de pagina opnieuw om de wijziging te zien.",
        "en": "someone else changed this while you edited it; nothing was saved. Reload the "
        "page to see their change.",
    },
})  # fmt: skip
