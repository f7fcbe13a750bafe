"""A fictional organisation with a living publishing desk, for `make demo`."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from carepost.accounts.models import Membership, Organisation, Service, User
from carepost.accounts.roles import Role
from carepost.accounts.services import (
    membership_create,
    membership_set_line_manager,
    organisation_create,
    service_create,
)
from carepost.consent.models import Person
from carepost.oversight.demo_modules import demo_modules_load
from carepost.posts.models import Post
from carepost.posts.services import DraftInput, PhotoInput, post_archive, post_create, post_submit
from carepost.publishing.models import Channel, Publication
from carepost.publishing.services import publication_request_take_down, publication_send
from carepost.review.services import review_approve, review_reject, review_request_changes

DEMO_SLUG = "thistle-care"
DEMO_PASSWORD = "carepost-demo"  # noqa: S105 - printed on screen for the demo; never used elsewhere


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    roles: tuple[str, ...]


STAFF = [
    DemoLogin("aileen", "Aileen Fraser", (Role.WORKER,)),
    DemoLogin("callum", "Callum Reid", (Role.WORKER,)),
    DemoLogin("morag", "Morag Stewart", (Role.REVIEWER, Role.WORKER)),
    DemoLogin("iain", "Iain Buchanan", (Role.REVIEWER,)),
    DemoLogin("shona", "Shona MacLeod", (Role.LINE_MANAGER,)),
    DemoLogin("fiona", "Fiona Grant", (Role.CONSENT_OFFICER,)),
    DemoLogin("euan", "Euan Paterson", (Role.SAFEGUARDING_LEAD,)),
    DemoLogin("kirsty", "Kirsty Wallace", (Role.ORG_ADMIN,)),
]

PEOPLE = [
    # legal name, preferred name, aliases, service index, year of birth
    ("Agnes Mary Baird", "Nessie", ["Mrs B"], 0, 1938),
    ("Donald John Munro", "Donnie", ["Mr Munro"], 0, 1941),
    ("Isobel Catherine Kerr", "Isa", ["Mrs K"], 0, 1935),
    ("Archibald Ross", "Archie", [], 0, 1944),
    ("Jessie Ann Cowan", "Jessie", [], 0, 1940),
    ("Hamish Duncan Lyall", "Hamish", ["Big H"], 1, 1968),
    ("Elspeth Jean Ogilvie", "Elspeth", [], 1, 1972),
    ("Robert Thomas Niven", "Rab", ["Bobby"], 1, 1959),
    ("Catriona Moira Dunn", "Catriona", ["Cat"], 1, 1985),
    ("Lewis James Abercrombie", "Lewis", [], 2, 2011),
    ("Skye Morven Haig", "Skye", [], 2, 2014),
    ("Callan Peter Birnie", "Callan", [], 3, 1990),
]


def _demo_photo(colour: tuple[int, int, int], label: str) -> bytes:
    """A simple drawn picture carrying GPS metadata, so the demo shows it being removed."""
    img = Image.new("RGB", (960, 640), colour)
    draw = ImageDraw.Draw(img)
    for i in range(0, 960, 80):
        draw.rectangle([i, 420, i + 60, 640], fill=(min(255, colour[0] + 40), colour[1], colour[2]))
    draw.ellipse([380, 120, 580, 320], fill=(250, 220, 120))
    draw.text((40, 40), label, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    gps = {1: "N", 2: (55.0, 51.0, 0.0), 3: "W", 4: (4.0, 25.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def demo_load() -> list[DemoLogin]:
    """Create the demo organisation (once). Returns the logins to print."""
    if Organisation.objects.filter(slug=DEMO_SLUG).exists():
        return STAFF
    with transaction.atomic():
        org = organisation_create(name="Thistle Care (demo)", slug=DEMO_SLUG)
        services = [
            service_create(
                organisation=org,
                name="Braeburn House",
                kind=Service.Kind.CARE_HOME,
                sensitivity="public",
                address="12 Loch Road, Paisley",
            ),
            service_create(
                organisation=org,
                name="Riverside Day Centre",
                kind=Service.Kind.DAY_SERVICE,
                sensitivity="public",
            ),
            service_create(
                organisation=org,
                name="Rowan Children's House",
                kind=Service.Kind.CHILDRENS_HOUSE,
                sensitivity="secret",
            ),
            service_create(
                organisation=org,
                name="Harbour Supported Living",
                kind=Service.Kind.SUPPORTED_LIVING,
                sensitivity="discreet",
            ),
        ]
        members: dict[str, Membership] = {}
        for login in STAFF:
            user = User.objects.create_user(
                username=login.username,
                password=DEMO_PASSWORD,
                email=f"{login.username}@thistle-care.example",
                first_name=login.name.split()[0],
                last_name=login.name.split()[1],
            )
            members[login.username] = membership_create(
                organisation=org, user=user, roles=login.roles
            )
        for username, member in members.items():
            if username != "shona":
                membership_set_line_manager(membership=member, line_manager=members["shona"])
        for legal, preferred, aliases, svc, year in PEOPLE:
            Person.objects.create(
                organisation=org,
                service=services[svc],
                legal_name=legal,
                preferred_name=preferred,
                aliases=aliases,
                date_of_birth=date(year, 6, 1),
            )
        _demo_consents(org, members["fiona"])
    _demo_posts(org, members)
    demo_modules_load(org, members)
    return STAFF


def _demo_consents(org: Organisation, officer: Membership) -> None:
    """A register that shows each rule: self-consent, a welfare attorney, next of kin only,
    an override, a consent due for review, a looked-after child and a children's hearing."""
    from carepost.consent import services as consent

    def person(preferred: str) -> Person:
        return Person.objects.get(organisation=org, preferred_name=preferred)

    today = timezone.localdate()
    everything = ["name", "photo", "story"]
    for name in ("Donnie", "Isa", "Rab", "Catriona", "Callan", "Elspeth"):
        consent.consent_record(
            membership=officer,
            person=person(name),
            media=everything,
            all_public_channels=True,
            method="verbal_witnessed",
            witness="Shona MacLeod, line manager",
            persons_own_view="Happy to be in photos of activities.",
        )
    nessie = person("Nessie")
    consent.capacity_decision_record(
        membership=officer,
        person=nessie,
        outcome="lacks_capacity",
        assessed_on=today - timedelta(days=90),
        assessed_by="Dr R. Kaur, GP",
        review_on=today + timedelta(days=275),
    )
    attorney = consent.representative_record(
        membership=officer,
        person=nessie,
        name="Margaret Baird",
        relationship="Daughter",
        authority="welfare_attorney",
        covers_publicity=True,
        valid_from=date(2019, 3, 1),
        evidence_reference="OPG registration W123456",
    )
    consent.consent_record(
        membership=officer,
        person=nessie,
        representative=attorney,
        media=everything,
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Fiona Grant",
        persons_own_view="Nessie smiled and nodded when shown garden club photos.",
    )
    archie = person("Archie")
    consent.capacity_decision_record(
        membership=officer,
        person=archie,
        outcome="lacks_capacity",
        assessed_on=today - timedelta(days=30),
        assessed_by="Dr R. Kaur, GP",
    )
    consent.representative_record(
        membership=officer,
        person=archie,
        name="John Ross",
        relationship="Son (next of kin)",
        authority="consulted_only",
        covers_publicity=False,
        valid_from=date(2020, 1, 1),
    )
    jessie = person("Jessie")
    consent.person_update(
        membership=officer,
        person=jessie,
        legal_name=jessie.legal_name,
        preferred_name=jessie.preferred_name,
        aliases=jessie.aliases,
        date_of_birth=jessie.date_of_birth,
        service=jessie.service,
        flags={"do_not_photograph": True},
    )
    consent.consent_record(
        membership=officer,
        person=person("Hamish"),
        media=["name", "story"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Shona MacLeod",
        valid_from=today - timedelta(days=345),
        valid_until=today + timedelta(days=20),
    )
    lewis = person("Lewis")
    consent.person_update(
        membership=officer,
        person=lewis,
        legal_name=lewis.legal_name,
        preferred_name=lewis.preferred_name,
        aliases=lewis.aliases,
        date_of_birth=lewis.date_of_birth,
        service=lewis.service,
        flags={"looked_after": True},
    )
    consent.consent_record(
        membership=officer,
        person=lewis,
        media=["name"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Rowan House manager",
    )
    skye = person("Skye")
    consent.person_update(
        membership=officer,
        person=skye,
        legal_name=skye.legal_name,
        preferred_name=skye.preferred_name,
        aliases=skye.aliases,
        date_of_birth=skye.date_of_birth,
        service=skye.service,
        flags={"looked_after": True, "childrens_hearing": True},
    )


def _draft(
    org: Organisation,
    m: Membership,
    text: str,
    *,
    people: tuple[str, ...] = (),
    photo: bytes | None = None,
    alt: str = "",
    publish_at: datetime | None = None,
) -> Post:
    website = Channel.objects.get(organisation=org, kind="website")
    tagged = [Person.objects.get(organisation=org, preferred_name=n) for n in people]
    photos = [PhotoInput(alt_text=alt, data=photo, name="garden.jpg")] if photo else []
    post = post_create(
        membership=m,
        draft=DraftInput(
            text=text, channels=[website], people=tagged, photos=photos, publish_at=publish_at
        ),
    )
    # Check the photos for faces now (the task worker would do it after the commit).
    from carepost.posts.photo_services import photo_analyse

    for photo_id in post.revisions.values_list("photos__photo_id", flat=True):
        if photo_id is not None:
            photo_analyse(photo_id=photo_id)
    return post


def _approve(post: Post, reviewer: Membership) -> Post:
    post.refresh_from_db()
    assert post.current_revision_id is not None
    return review_approve(
        membership=reviewer,
        post=post,
        revision_id=post.current_revision_id,
        expected_version=post.version,
    )


def _submit(post: Post, author: Membership) -> Post:
    post.refresh_from_db()
    return post_submit(membership=author, post=post, expected_version=post.version)


def _send_all(post: Post) -> None:
    for pub in Publication.objects.filter(post=post):
        publication_send(publication_id=pub.pk)


def _demo_posts(org: Organisation, m: dict[str, Membership]) -> None:
    aileen, callum, morag, iain = m["aileen"], m["callum"], m["morag"], m["iain"]

    # Published, with a photo whose GPS position was removed.
    p = _draft(
        org,
        aileen,
        "Our garden club planted sweet peas and tatties this week. The raised beds are "
        "looking braw, and the tea and scones afterwards went down a treat.",
        photo=_demo_photo((46, 110, 70), "Garden club"),
        alt="Raised garden beds with young plants in the sun",
    )
    _approve(_submit(p, aileen), morag)
    _send_all(p)

    # Published, featuring someone who agreed.
    p = _draft(
        org,
        callum,
        "Donnie won the Braeburn House quiz again on Friday. Nobody knows more about "
        "the 1966 World Cup!",
        people=("Donnie",),
    )
    _approve(_submit(p, callum), morag)
    _send_all(p)

    # Published, then taken down by a reviewer.
    p = _draft(
        org,
        callum,
        "Thank you to everyone who came to the Riverside summer fair. We raised £640 for new "
        "art materials!",
    )
    _approve(_submit(p, callum), iain)
    _send_all(p)
    for pub in Publication.objects.filter(post=p):
        publication_request_take_down(
            publication=pub, reason="Wrong total: a corrected post follows.", actor=iain.user
        )

    # Approved, scheduled for tomorrow morning.
    tomorrow = (timezone.localtime() + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    p = _draft(
        org,
        aileen,
        "Coming up on Friday: our ceilidh afternoon with the Paisley fiddlers. Families welcome.",
        publish_at=tomorrow,
    )
    _approve(_submit(p, aileen), iain)

    # Waiting for review, with findings for the reviewer.
    p = _draft(
        org,
        callum,
        "Happy 85th birthday to Nessie! She had a lovely day with her family at Braeburn House.",
        people=("Nessie",),
    )
    _submit(p, callum)
    p = _draft(
        org,
        aileen,
        "Hamish says the day centre trip to the Falkirk Wheel was the best day out this year. "
        "Call us on 0141 496 0123 to find out about our trips.",
    )
    _submit(p, aileen)
    # A reviewer's own post: someone else must approve it.
    p = _draft(
        org,
        morag,
        "We are recruiting relief support workers at Braeburn House. Full training given.",
    )
    _submit(p, morag)

    # Changes requested.
    p = _draft(
        org,
        callum,
        "Archie enjoyed the music therapy session today after a tough week with his dementia.",
        people=("Archie",),
    )
    p = _submit(p, callum)
    review_request_changes(
        membership=morag,
        post=p,
        revision_id=p.current_revision_id or 0,
        expected_version=p.version,
        comment="Please leave out Archie's diagnosis: it is health information.",
    )

    # Rejected.
    p = _draft(
        org,
        aileen,
        "Lovely morning at the children's house, the kids walked to the school round the corner.",
    )
    p = _submit(p, aileen)
    review_reject(
        membership=iain,
        post=p,
        revision_id=p.current_revision_id or 0,
        expected_version=p.version,
        comment="Posts must never say where Rowan Children's House is.",
    )

    # Archived: an old draft nobody needs any more.
    p = _draft(org, callum, "Draft: Christmas lunch menu (superseded by the newsletter).")
    post_archive(membership=callum, post=p, expected_version=p.version)

    # Drafts.
    _draft(org, aileen, "Draft: knitting group photos to follow once everyone has agreed.")
    _draft(
        org, callum, "Draft: thank you to the volunteers from the Rotary Club for the new benches."
    )
