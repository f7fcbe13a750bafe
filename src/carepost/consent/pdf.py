"""Printable consent forms (standard and easy read) and the subject access summary."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from carepost.consent.models import Media

MEDIA_PLAIN = {
    "name": "my name (first name only unless I say otherwise)",
    "photo": "photos of me",
    "video": "videos of me",
    "story": "my story or things I have said",
}
MEDIA_EASY = {
    "name": "My name",
    "photo": "Photos of me",
    "video": "Videos of me",
    "story": "My story, or what I say",
}
BOX = "[   ]"  # the standard PDF fonts have no ballot-box glyph


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _doc(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Carepost",
    )


def consent_form_pdf(
    *,
    organisation: str,
    person_name: str,
    media: Sequence[str],
    channels: Sequence[str],
    valid_from: date,
    valid_until: date,
    easy_read: bool = False,
) -> bytes:
    """A form offering exactly `media` on exactly `channels` for the given period."""
    styles = getSampleStyleSheet()
    size = 18 if easy_read else 11
    body = ParagraphStyle(
        "body", parent=styles["BodyText"], fontSize=size, leading=size * 1.45, spaceAfter=size * 0.6
    )
    head = ParagraphStyle(
        "head", parent=styles["Heading1"], fontSize=size * 1.7, leading=size * 2.1
    )
    sub = ParagraphStyle("sub", parent=styles["Heading2"], fontSize=size * 1.25, leading=size * 1.6)
    labels = MEDIA_EASY if easy_read else MEDIA_PLAIN
    story: list[Any] = []
    buffer = io.BytesIO()
    title = f"Consent form for {person_name}"
    if easy_read:
        story += [
            Paragraph(_esc(f"Can {organisation} share your photo or story?"), head),
            Paragraph(_esc(f"This form is for {person_name}."), body),
            Paragraph("We would like to put things about you online.", body),
            Paragraph("You choose. You can say yes or no.", body),
            Paragraph("Saying no will not change your care or what you can join in.", body),
            Paragraph("You can change your mind at any time. Just tell a member of staff.", body),
            Paragraph(
                "Photos can show that you get care or support. That is health information.", body
            ),
            Paragraph("What can we share? Tick yes or no.", sub),
        ]
    else:
        story += [
            Paragraph(_esc(f"{organisation}: consent to publish"), head),
            Paragraph(_esc(f"For: {person_name}"), body),
            Paragraph(
                _esc(
                    f"{organisation} would like to publish the things ticked below on the channels listed. "
                    "Consent is your free choice: refusing, or withdrawing later, has no effect on your care, "
                    "support or activities. Photos and stories from a care service can reveal health or "
                    "disability, which is special category information, so we ask for your explicit consent."
                ),
                body,
            ),
            Paragraph("What you agree to (tick each one you agree to)", sub),
        ]
    rows = [[f"{BOX} Yes   {BOX} No", labels.get(m, m)] for m in media if m in Media.values]
    widths = [62 * mm, 108 * mm] if easy_read else [45 * mm, 125 * mm]
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), size),
                ("LEADING", (0, 0), (-1, -1), size * 1.4),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [table, Spacer(1, size)]
    where = "Where we will share it:" if easy_read else "Channels covered:"
    story += [Paragraph(_esc(where), sub)]
    story += [Paragraph(_esc(f"- {c}"), body) for c in channels]
    period = (
        f"From {valid_from:%-d %B %Y} to {valid_until:%-d %B %Y}. We will ask you again before then."
        if easy_read
        else f"Period: from {valid_from:%-d %B %Y} until {valid_until:%-d %B %Y}, when we will ask again."
    )
    story += [Paragraph(_esc(period), body)]
    if not easy_read:
        story += [
            Paragraph("Withdrawing consent", sub),
            Paragraph(
                "You can withdraw at any time, as easily as you gave it: tell any member of staff. We will "
                "take down everything featuring you that relies on this consent, on every channel.",
                body,
            ),
            Paragraph("Who is signing (tick one)", sub),
            Paragraph(f"{BOX} The person named above.", body),
            Paragraph(
                f"{BOX} A welfare attorney, welfare guardian or intervention order holder whose "
                "powers cover this decision (attach the evidence).",
                body,
            ),
            Paragraph(f"{BOX} A person with parental responsibilities.", body),
            Paragraph(f"{BOX} The local authority (for a looked-after child).", body),
            Paragraph(
                "Next of kin and family cannot consent for an adult. They can add their views below.",
                body,
            ),
        ]
    else:
        story += [Paragraph("Sign here if this is you, or your representative:", sub)]
    story += [
        Spacer(1, size),
        Paragraph("Signature: ____________________________   Date: ______________", body),
        Paragraph("Name (capitals): ____________________________", body),
        Paragraph("Views of the person or people consulted:", body),
        Spacer(1, size * 3),
    ]
    _doc(buffer, title).build(story)
    return buffer.getvalue()


def subject_access_pdf(data: dict[str, Any]) -> bytes:
    """A readable summary of the subject access export."""
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    story: list[Any] = []
    person = data["person"]
    story += [
        Paragraph(_esc(f"What Carepost holds about {person['legal_name']}"), styles["Title"]),
        Paragraph(_esc(f"Exported {data['exported_at'][:16].replace('T', ' ')}"), body),
        Paragraph("Details", styles["Heading2"]),
        Paragraph(
            _esc(
                f"Preferred name: {person['preferred_name'] or '-'}; date of birth: {person['date_of_birth'] or '-'}; service: {person['service']}"
            ),
            body,
        ),
        Paragraph(
            _esc(
                "Instructions: "
                + ", ".join(k.replace("_", " ") for k, v in person["instructions"].items() if v)
                or "none"
            ),
            body,
        ),
        Paragraph("Consent events", styles["Heading2"]),
    ]
    for c in data["consent_events"] or [{"kind": "none"}]:
        if c["kind"] == "none":
            story.append(Paragraph("None recorded.", body))
            continue
        withdrawn = f"; withdrawn {c['withdrawn_at'][:10]}" if c["withdrawn_at"] else ""
        story.append(
            Paragraph(
                _esc(
                    f"{c['kind'].capitalize()} by {c['given_by']}: {', '.join(c['media'])} on {c['channels']}, "
                    f"{c['valid_from']} to {c['valid_until']}{withdrawn}"
                ),
                body,
            )
        )
    story.append(Paragraph("Capacity decisions", styles["Heading2"]))
    for d in data["capacity_decisions"] or [None]:
        story.append(
            Paragraph(
                _esc(f"{d['assessed_on']}: {d['outcome']} (assessed by {d['assessed_by']})")
                if d
                else "None recorded.",
                body,
            )
        )
    story.append(Paragraph("Representatives", styles["Heading2"]))
    for r in data["representatives"] or [None]:
        story.append(
            Paragraph(
                _esc(f"{r['name']} ({r['relationship']}): {r['authority']}")
                if r
                else "None recorded.",
                body,
            )
        )
    story.append(Paragraph("Posts featuring them", styles["Heading2"]))
    for p in data["posts"] or [None]:
        if p is None:
            story.append(Paragraph("None.", body))
            continue
        pubs = (
            "; ".join(f"{x['channel']}: {x['state']}" for x in p["publications"]) or "not published"
        )
        story.append(
            Paragraph(
                _esc(f"Post {p['post']} version {p['version']}: {p['text'][:300]} ({pubs})"), body
            )
        )
    buffer = io.BytesIO()
    _doc(buffer, "Subject access export").build(story)
    return buffer.getvalue()
