// Reads email messages as postal-mime (an RFC 5322 / MIME parser used by mail services and
// browser clients) reads them, and their .ics attachments as ical.js reads them.
//
// stdin: a JSON list of messages, each base64 of the bytes as sent over SMTP.
// stdout: a JSON list with, per message, what the reader found (see tests/readers.py).
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';
import PostalMime from 'postal-mime';

function leaves(node) {
    // The MIME tree as the parser built it: its root is not part of the result object, so
    // it is read from the parser (postal-mime is pinned in package.json).
    const kind = node.contentType.parsed.value;
    if (node.contentType.multipart) {
        return [{ type: kind, multipart: true }, ...node.childNodes.flatMap(leaves)];
    }
    return [{
        type: kind,
        multipart: false,
        disposition: node.contentDisposition.parsed.value || null,
    }];
}

function calendar(attachment) {
    const text = new TextDecoder().decode(attachment.content);
    try {
        const root = new ICAL.Component(ICAL.parse(text));
        const events = root.getAllSubcomponents('vevent').map((event) => new ICAL.Event(event));
        return {
            filename: attachment.filename,
            method: attachment.method || null,
            error: null,
            name: root.name,
            events: events.map((event) => ({ uid: event.uid, start: event.startDate.toString() })),
        };
    } catch (error) {
        return { filename: attachment.filename, method: null, error: String(error), events: [] };
    }
}

async function read(raw) {
    const parser = new PostalMime();
    const email = await parser.parse(Buffer.from(raw, 'base64'));
    const dateHeader = email.headers.filter((h) => h.key === 'date').map((h) => h.value);
    return {
        date: dateHeader,
        dateValid: dateHeader.length === 1 && !Number.isNaN(Date.parse(dateHeader[0])),
        messageId: email.headers.filter((h) => h.key === 'message-id').map((h) => h.value),
        from: email.from || null,
        to: email.to || [],
        subject: email.subject ?? null,
        headers: email.headers.map((h) => h.key),
        parts: leaves(parser.root),
        text: email.text ?? null,
        html: email.html ?? null,
        attachments: email.attachments.map((a) => ({ type: a.mimeType, filename: a.filename })),
        calendars: email.attachments.filter((a) => a.mimeType === 'text/calendar').map(calendar),
    };
}

const messages = JSON.parse(readFileSync(0, 'utf8'));
const found = [];
for (const raw of messages) {
    found.push(await read(raw));
}
process.stdout.write(JSON.stringify(found));
