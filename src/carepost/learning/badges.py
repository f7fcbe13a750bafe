"""Open Badges 2.0 documents (hosted verification), badge images and baking.

Every object lives at a stable public URL under /learning/badges/ and is served as JSON-LD
with the Open Badges v2 context. The recipient is the worker's email, hashed with a salt
(never in plain text). Evidence links to the reflection only if the worker chose to
share it. Nothing here names or describes people who use services (R-OB-03): the
reflection was screened before the badge could be issued.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from django.conf import settings
from django.urls import reverse
from openbadges_bakery import bake, unbake
from PIL import Image, ImageDraw, ImageFont

from carepost.learning.models import BadgeAssertion, BadgeClass, BadgeIssuer

CONTEXT = "https://w3id.org/openbadges/v2"
PALETTE = ["#1d4f91", "#00703c", "#8a4b00", "#6f2c91", "#005ea5", "#b3261e"]


def absolute(url_name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(url_name, kwargs=kwargs)


def identity_hash(email: str, salt: str) -> str:
    """The Open Badges hashed identity: sha256 of the email (lower-cased) plus the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def issuer_url(issuer: BadgeIssuer) -> str:
    return absolute("learning:ob_issuer", uid=issuer.uid)


def badge_class_url(badge_class: BadgeClass) -> str:
    return absolute("learning:ob_badge_class", uid=badge_class.uid)


def assertion_url(assertion: BadgeAssertion) -> str:
    return absolute("learning:ob_assertion", uid=assertion.uid)


def issuer_document(issuer: BadgeIssuer) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(issuer),
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        doc["description"] = issuer.description
    return doc


def badge_class_document(badge_class: BadgeClass, issuer: BadgeIssuer) -> dict[str, Any]:
    module = badge_class.module
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url(badge_class),
        "name": badge_class.name,
        "description": badge_class.description,
        "image": absolute("learning:ob_badge_image", uid=badge_class.uid),
        "criteria": {"narrative": badge_class.criteria},
        "issuer": issuer_url(issuer),
        "tags": ["Carepost", "SSSC Codes of Practice", "reflective practice"],
    }
    if module.codes:
        doc["alignment"] = [
            {
                "targetName": f"SSSC Code of Practice {number}",
                "targetUrl": (
                    "https://www.sssc.uk.com/the-scottish-social-services-council/"
                    "sssc-codes-of-practice/"
                ),
                "targetFramework": "SSSC Codes of Practice (2024)",
                "targetCode": number,
            }
            for number in module.codes
        ]
    return doc


def assertion_document(assertion: BadgeAssertion) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(assertion),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": assertion.salt,
            "identity": assertion.identity_hash,
        },
        "badge": badge_class_url(assertion.badge_class),
        "verification": {"type": "HostedBadge"},
        "issuedOn": assertion.issued_on.isoformat(),
        "image": absolute("learning:ob_badge_image", uid=assertion.badge_class.uid),
    }
    if assertion.evidence_public:
        doc["evidence"] = {
            "id": absolute("learning:ob_evidence", uid=assertion.uid),
            "narrative": "A reflective account of at least "
            f"{assertion.reflection.module.min_words} words, checked for personal information "
            "before it was shared.",
        }
    if assertion.revoked_at:
        doc = {
            "@context": CONTEXT,
            "type": "Assertion",
            "id": doc["id"],
            "revoked": True,
            "revocationReason": assertion.revocation_reason or "Revoked by the issuer.",
        }
    return doc


def badge_image(title: str, index: int = 0) -> bytes:
    """A simple round badge with the module's initials, as PNG bytes."""
    size = 256
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    colour = PALETTE[index % len(PALETTE)]
    draw.ellipse((8, 8, size - 8, size - 8), fill=colour, outline="#1b1b1b", width=6)
    draw.ellipse((36, 36, size - 36, size - 36), outline="#ffffff", width=4)
    initials = "".join(w[0] for w in title.split() if w[:1].isalpha())[:3].upper() or "C"
    try:
        font: Any = ImageFont.load_default(size=72)
    except TypeError:  # older Pillow without scalable default font
        font = ImageFont.load_default()
    draw.text((size / 2, size / 2), initials, fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def baked_png(assertion: BadgeAssertion) -> bytes:
    """The badge image with the assertion embedded (Open Badges baking, iTXt chunk)."""
    source = io.BytesIO(bytes(assertion.badge_class.image_png))
    payload = json.dumps(assertion_document(assertion), separators=(",", ":"))
    baked = bake(source, payload, io.BytesIO())
    return bytes(baked.getvalue())


def unbaked(png: bytes) -> dict[str, Any] | None:
    text = unbake(io.BytesIO(png))
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return dict(json.loads(text))
