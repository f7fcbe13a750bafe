"""Demo data for policies, learning and the boundaries register, written through services.

Called once by `demo_load()` after the posts. Nothing here writes a model directly: the
past is shown only where a service accepts a date (a version's `effective_from`, an
attestation's `now`).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from carepost.accounts.models import Membership, Organisation
from carepost.boundaries import rules
from carepost.boundaries import services as boundaries
from carepost.consent.models import Person
from carepost.learning import content
from carepost.learning import services as learning
from carepost.learning.models import Module
from carepost.policies import services as policies
from carepost.policies.models import PolicyVersion
from carepost.policies.services import VersionInput

SOCIAL_MEDIA_V1 = """\
This policy is for everyone who works or volunteers with Thistle Care. It explains how
we use social media at work and what we ask of you on your own accounts.

## Our official accounts
Codes: 5.8

Only the people named by the service manager post on Thistle Care's accounts. Every post
goes through Carepost and is checked by a reviewer before it goes out.

## Your own accounts
Codes: 5.8, 2.8

You are free to use social media in your own time. Please do not say where you work on
a public profile, and never post about the people we support or their families.

## Friend requests from people we support
Codes: 2.8, 2.6
See: social-media#your-own-accounts

Do not accept friend or follow requests from people we support, or from their families,
if you only know them through work. Decline politely and tell your line manager. If you
knew them before, declare it in Carepost so that your line manager can agree a plan.
"""

SOCIAL_MEDIA_V2 = """\
This policy is for everyone who works or volunteers with Thistle Care. It explains how
we use social media at work and what we ask of you on your own accounts.

## Our official accounts
Codes: 5.8

Only the people named by the service manager post on Thistle Care's accounts. Every post
goes through Carepost and is checked by a reviewer before it goes out.

## Your own accounts
Codes: 5.8, 2.8

You are free to use social media in your own time. Please do not say where you work on
a public profile, and never post about the people we support or their families.

## Photos, names and stories of people we support
Codes: 5.8, 2.3, 1.5
See: photo-video-consent#asking-for-consent, photo-video-consent#when-someone-changes-their-mind

Never take or share a photo of someone we support on your own phone or your own
accounts, even in a private group. Photos for our news page are taken on a work device
and only once the consent register says yes for that person, that photo and that page.

Leave out anything that tells a reader about someone's health, care or where they live.
If you are not sure, ask a reviewer before you write it.

## Friend requests from people we support
Codes: 2.8, 2.6
See: social-media#your-own-accounts

Do not accept friend or follow requests from people we support, or from their families,
if you only know them through work. Decline politely and tell your line manager: the
decision aid in Carepost records it for you. If you knew them before, declare it in
Carepost so that your line manager can agree a plan.
"""

PHOTO_CONSENT_V1 = """\
How we ask for, record and respect consent before a photo, a video, a name or a story
about someone we support is shared outside the service.

## Asking for consent
Codes: 1.5, 2.3

Ask the person themselves first, in a way that suits them, and write down their own
view. If they cannot decide about this, check the consent register for a welfare
attorney or guardian with power over publicity. Next of kin alone cannot consent.

## Children and young people
Codes: 1.5, 3.2

Never share a photo or name that could show where a looked-after child lives. Check
with the consent officer before anything about a child or young person is shared.

## When someone changes their mind
Codes: 1.5

Anyone can withdraw consent at any time. Tell the consent officer the same day; they
will record it and ask for anything already published to be taken down.

## Using social media
Codes: 5.8
See: social-media#your-own-accounts

Photos and videos are only ever shared on our official accounts, never on your own.
"""

# Aileen's completed reflection: long enough, names nobody, and passes the screening.
AILEEN_REFLECTION = """\
Before this module I thought my privacy settings were fine because my profile picture is
of my dog. When I went through the check-up I found that my workplace was still showing
on my profile, and anyone could see the photos I am tagged in by friends. I have changed
both, and I now check who can see a post before I share it.

The part that made me stop and think was about comments. A relative thanked me in a
public comment on a night out photo, and I replied without thinking. Nothing in it was
wrong, but it showed that we know each other through work, and that is not mine to share.
Next time I will thank them in person and keep work conversations at work.

I also learned where to send good news: if something lovely happens at the service I now
write it up in Carepost so a reviewer can check consent, instead of putting it on my own
page. I am now more confident explaining this to new staff on my shift.
"""

CALLUM_DRAFT = """\
Had a friend request last month from someone I support and it felt awkward to say no.
The decision aid helped. Still to write: what I would say next time, face to face.
"""


def _person(org: Organisation, preferred: str) -> Person:
    return Person.objects.get(organisation=org, preferred_name=preferred)


def demo_modules_load(org: Organisation, members: dict[str, Membership]) -> None:
    """Policies with attestations, learning with a badge, and a boundaries register."""
    _demo_policies(members)
    _demo_learning(members)
    _demo_boundaries(org, members)


# Policies ------------------------------------------------------------------------------


def _attest(member: Membership, version: PolicyVersion, days_ago: int) -> None:
    policies.attestation_record(
        membership=member,
        version=version,
        now=timezone.now() - timedelta(days=days_ago),
    )


def _demo_policies(m: dict[str, Membership]) -> None:
    kirsty = m["kirsty"]
    today = timezone.localdate()

    social = policies.policy_create(
        membership=kirsty,
        title="Social media policy",
        slug="social-media",
        first_version=VersionInput(
            body=SOCIAL_MEDIA_V1,
            summary_of_changes="First version of our social media policy.",
            effective_from=today - timedelta(days=400),
        ),
    )
    photo = policies.policy_create(
        membership=kirsty,
        title="Photo and video consent policy",
        slug="photo-video-consent",
        first_version=VersionInput(
            body=PHOTO_CONSENT_V1,
            summary_of_changes="First version of our photo and video consent policy.",
            effective_from=today - timedelta(days=430),
        ),
    )
    social_v1 = social.versions.get(number=1)
    social_v2 = policies.policy_version_publish(
        membership=kirsty,
        policy=social,
        expected_number=1,
        data=VersionInput(
            body=SOCIAL_MEDIA_V2,
            summary_of_changes=(
                "New section on photos, names and stories of people we support, linked to "
                "the photo and video consent policy. Everyone needs to read it again."
            ),
            effective_from=today - timedelta(days=21),
            requires_reattestation=True,
        ),
    )
    photo_v1 = photo.versions.get(number=1)

    # Social media: most read version 2; Callum read only version 1, so it is due again.
    _attest(m["aileen"], social_v1, 300)
    _attest(m["callum"], social_v1, 280)
    _attest(m["morag"], social_v1, 250)
    _attest(m["kirsty"], social_v2, 20)
    _attest(m["aileen"], social_v2, 14)
    _attest(m["morag"], social_v2, 10)
    _attest(m["iain"], social_v2, 6)
    _attest(m["fiona"], social_v2, 3)

    # Photo and video consent, a yearly re-read: Callum's is overdue, Morag's is due soon.
    _attest(m["callum"], photo_v1, 380)
    _attest(m["morag"], photo_v1, 350)
    _attest(m["aileen"], photo_v1, 30)
    _attest(m["fiona"], photo_v1, 60)
    _attest(m["kirsty"], photo_v1, 90)


# Learning ------------------------------------------------------------------------------


def _scores(
    trait: int, capability: int, confidence: int
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    inst = content.instrument()
    traits = {t.id: trait for t in inst.traits}
    skills = {
        s.id: {"capability": capability, "confidence": confidence, "relevance": 5}
        for s in inst.skills
    }
    return traits, skills


def _demo_learning(m: dict[str, Membership]) -> None:
    learning.modules_install_starter(membership=m["kirsty"])
    org = m["kirsty"].organisation
    social = Module.objects.get(organisation=org, slug="social-media")
    boundaries_module = Module.objects.get(organisation=org, slug="boundaries")

    # Aileen: a clean reflection, shared with Shona, commented on, completed: a badge.
    aileen = m["aileen"]
    reflection = learning.reflection_save(membership=aileen, module=social, text=AILEEN_REFLECTION)
    reflection = learning.reflection_share(membership=aileen, reflection=reflection)
    learning.reflection_comment_add(
        membership=m["shona"],
        reflection=reflection,
        text=(
            "Thanks Aileen, this is a really thoughtful reflection. Would you be happy to "
            "talk the new starters through your privacy check-up at the next team meeting?"
        ),
    )
    learning.reflection_complete(
        membership=aileen,
        reflection=reflection,
        expected_version=reflection.version,
        share_evidence=True,
    )

    # Callum: a reflection in progress, not yet long enough to complete.
    learning.reflection_save(membership=m["callum"], module=boundaries_module, text=CALLUM_DRAFT)

    # Aileen's self-assessment, taken before and after the module.
    traits, skills = _scores(3, 2, 2)
    skills["reflective_writing"]["capability"] = 3
    learning.self_assessment_record(membership=aileen, traits=traits, skills=skills)
    traits, skills = _scores(4, 4, 4)
    traits["collaboration"] = 5
    skills["privacy_settings"]["confidence"] = 5
    learning.self_assessment_record(membership=aileen, traits=traits, skills=skills)


# Boundaries ----------------------------------------------------------------------------


def _demo_boundaries(org: Organisation, m: dict[str, Membership]) -> None:
    shona = m["shona"]
    today = timezone.localdate()

    # Callum used the decision aid: a friend request from someone he supports now.
    boundaries.connection_request_record(
        membership=m["callum"],
        answers=rules.Answers(
            requester="current", knew_before="no", child="no", platform="facebook", name="Rab"
        ),
        outcome="declined_referred",
        person=_person(org, "Rab"),
        note=(
            "Declined the request and had a quiet word at the day centre. Explained it is "
            "nothing personal and showed him our Facebook page to keep up with news."
        ),
        tell_manager=True,
    )

    # Aileen lives two doors down from Jessie: declared and acknowledged with a plan.
    declaration = boundaries.declaration_create(
        membership=m["aileen"],
        relationship="neighbour",
        known_since="2009",
        person=_person(org, "Jessie"),
        note=(
            "We live on the same street and our families have known each other for years. "
            "I say hello when I see her but we do not visit each other's homes."
        ),
    )
    plan = boundaries.declaration_acknowledge(
        membership=shona,
        declaration=declaration,
        measures=["not_key_worker", "no_care_decisions", "tell_if_changes"],
        plan=(
            "Thanks for telling me, Aileen. You can keep working shifts at Braeburn House as "
            "normal. Morag will stay as Jessie's key worker, and you will not be part of "
            "reviews of her care. If Jessie or her family ask you about her care outside "
            "work, kindly point them to the service. We will look at this again in six months."
        ),
        review_on=today + timedelta(days=182),
    )
    boundaries.declaration_plan_read(membership=m["aileen"], plan=plan)

    # Morag's declaration is waiting for Shona to acknowledge it.
    boundaries.declaration_create(
        membership=m["morag"],
        relationship="family",
        known_since="All my life",
        person=_person(org, "Catriona"),
        note="Catriona is my cousin. She has just started coming to Riverside Day Centre.",
    )
