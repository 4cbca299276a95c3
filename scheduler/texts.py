"""User-facing words in Dutch (default) and English, for feeds now and emails and pages later."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_interval, format_timedelta

from scheduler import clock

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
        "nl": "Begin (2026-12-08T10:00, of een datum)",
        "en": "Start (2026-12-08T10:00, or a date)",
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
        "nl": "Herinneringen (bijv. P7D, P1D, 5WD; leeg: standaard)",
        "en": "Reminders (e.g. P7D, P1D, 5WD; empty: the defaults)",
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
