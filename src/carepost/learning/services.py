"""Every write to learning: modules, reflections, comments, assessments, scenarios, badges."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.learning import badges, content
from carepost.learning.models import (
    BadgeAssertion,
    BadgeClass,
    BadgeIssuer,
    Module,
    Reflection,
    ReflectionComment,
    ReflectionStatus,
    ScenarioAttempt,
    SelfAssessment,
)

MAX_REFLECTION = 20_000
PERSON_MESSAGE = (
    "This looks like the name of someone your organisation supports. Take it out, and any "
    "detail that would let a reader work out who it is."
)
WORD = re.compile(r"\b[\w'\u2019-]+\b")


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def _require_admin(membership: Membership) -> None:
    if not membership.is_active or not membership.has_role(Role.ORG_ADMIN):
        raise PermissionDenied("Only an organisation administrator can manage learning modules.")


def _require_active(membership: Membership) -> None:
    if not membership.is_active:
        raise PermissionDenied("Your membership of this organisation has ended.")


def _issuer(membership: Membership) -> BadgeIssuer:
    org = membership.organisation
    issuer = BadgeIssuer.objects.filter(organisation=org).first()
    if issuer is None:
        email = parseaddr(str(settings.DEFAULT_FROM_EMAIL or ""))[1] or "carepost@localhost"
        issuer = BadgeIssuer.objects.create(
            organisation=org,
            name=org.name,
            email=email,
            url=settings.SITE_URL + f"/news/{org.slug}/",
            description=f"Learning badges awarded by {org.name} through Carepost.",
        )
    return issuer


def _badge_class_for(module: Module) -> BadgeClass:
    return BadgeClass.objects.create(
        organisation=module.organisation,
        module=module,
        name=module.title,
        description=module.summary,
        criteria=(
            f"Work through the module “{module.title}” and write a reflection of at least "
            f"{module.min_words} words that identifies nobody you support, checked by "
            "Carepost's confidentiality screening."
        ),
        image_png=badges.badge_image(module.title, module.position),
    )


def module_create(
    *,
    membership: Membership,
    title: str,
    summary: str,
    guidance: str,
    activities: list[str] | None = None,
    links: list[dict[str, str]] | None = None,
    codes: list[str] | None = None,
    slug: str = "",
    min_words: int = 100,
) -> Module:
    _require_admin(membership)
    title, summary = title.strip(), summary.strip()
    if not title or not summary or not guidance.strip():
        raise ValidationFailed("A module needs a title, a summary and some guidance.")
    if not 50 <= min_words <= 2000:
        raise ValidationFailed("The reflection length must be between 50 and 2000 words.")
    for link in links or []:
        if not str(link.get("url", "")).startswith(("https://", "http://")):
            raise ValidationFailed("Links must be web addresses starting with https://.")
    slug = slug or slugify(title)[:80]
    if Module.objects.filter(organisation=membership.organisation, slug=slug).exists():
        raise ValidationFailed(f"There is already a module called “{title}”.")
    with transaction.atomic():
        position = Module.objects.filter(organisation=membership.organisation).count()
        module = Module.objects.create(
            organisation=membership.organisation,
            slug=slug,
            title=title[:200],
            summary=summary[:500],
            guidance=guidance.strip(),
            activities=list(activities or []),
            links=list(links or []),
            codes=list(codes or []),
            min_words=min_words,
            position=position,
        )
        _issuer(membership)
        _badge_class_for(module)
        audit_event_record(
            action="learning.module_published",
            subject=module,
            actor=membership.user,
            organisation=membership.organisation,
            data={"slug": slug},
        )
    return module


def modules_install_starter(*, membership: Membership) -> list[Module]:
    """Add the starter modules the organisation does not have yet."""
    _require_admin(membership)
    existing = set(
        Module.objects.filter(organisation=membership.organisation).values_list("slug", flat=True)
    )
    created = []
    with transaction.atomic():
        for raw in content.starter_modules():
            if raw["slug"] in existing:
                continue
            created.append(
                module_create(
                    membership=membership,
                    title=raw["title"],
                    summary=raw["summary"],
                    guidance=raw["guidance"],
                    activities=raw.get("activities", []),
                    links=raw.get("links", []),
                    codes=raw.get("codes", []),
                    slug=raw["slug"],
                )
            )
    return created


def badge_issuer_update(*, membership: Membership, name: str, email: str, url: str) -> BadgeIssuer:
    """The public issuer details shown on every badge (name, contact email, website)."""
    _require_admin(membership)
    if not name.strip() or "@" not in email or not url.startswith(("https://", "http://")):
        raise ValidationFailed("Give a name, a contact email address and a web address.")
    with transaction.atomic():
        issuer = _issuer(membership)
        BadgeIssuer.objects.filter(pk=issuer.pk).update(
            name=name.strip()[:200], email=email.strip(), url=url.strip(), updated_at=timezone.now()
        )
        issuer.refresh_from_db()
        audit_event_record(
            action="learning.issuer_updated",
            subject=issuer,
            actor=membership.user,
            organisation=membership.organisation,
            data={"name": issuer.name, "email": issuer.email, "url": issuer.url},
        )
    return issuer


def _screen(organisation: Organisation, text: str) -> tuple[str, list[dict[str, object]]]:
    from carepost.posts.screening import screen_text

    report = screen_text(organisation, text)
    findings: list[dict[str, object]] = [
        {
            "check": f.check,
            "code": f.code,
            "action": f.action,
            "start": f.start,
            "end": f.end,
            "text": f.text[:200],
            "message": PERSON_MESSAGE if f.check == "person" else f.message,
            "person_id": f.person_id,
        }
        for f in report.findings
    ]
    return str(report.verdict), findings


def reflection_save(
    *, membership: Membership, module: Module, text: str, expected_version: int | None = None
) -> Reflection:
    """Save the worker's reflection and screen it. Findings that identify someone (or need
    review) must be resolved by rewriting before it can be shared or completed. Saving
    text with such findings withdraws any earlier sharing with the line manager."""
    _require_active(membership)
    if module.organisation_id != membership.organisation_id:
        raise PermissionDenied("That module belongs to another organisation.")
    if not module.is_published:
        raise InvalidTransition("This module is not available any more.")
    text = text.strip()
    if not text:
        raise ValidationFailed("Write your reflection first.")
    if len(text) > MAX_REFLECTION:
        raise ValidationFailed("Your reflection is too long. Please keep it under 3,000 words.")
    verdict, findings = _screen(membership.organisation, text)
    blocking = any(f["action"] in ("block", "review") for f in findings)
    now = timezone.now()
    with transaction.atomic():
        existing = Reflection.objects.filter(module=module, author=membership.user).first()
        if existing is None:
            try:
                with transaction.atomic():
                    reflection = Reflection.objects.create(
                        organisation=membership.organisation,
                        module=module,
                        membership=membership,
                        author=membership.user,
                        text=text,
                        word_count=word_count(text),
                        screened_at=now,
                        screening_verdict=verdict,
                        findings=findings,
                    )
            except IntegrityError as exc:
                raise ConflictError(
                    "Your reflection was saved from another window. Reload the page."
                ) from exc
        else:
            if existing.status == ReflectionStatus.COMPLETED:
                raise InvalidTransition(
                    "This module is complete, so its reflection cannot change: it is the "
                    "evidence for your badge."
                )
            if expected_version is not None and existing.version != expected_version:
                raise ConflictError(
                    "Your reflection was changed in another window. Reload the page to see it."
                )
            changes: dict[str, object] = {
                "text": text,
                "word_count": word_count(text),
                "screened_at": now,
                "screening_verdict": verdict,
                "findings": findings,
                "version": F("version") + 1,
                "updated_at": now,
            }
            if blocking:
                changes["shared_with_manager_at"] = None
            updated = Reflection.objects.filter(
                pk=existing.pk, version=existing.version, status=ReflectionStatus.DRAFT
            ).update(**changes)
            if not updated:
                raise ConflictError("Your reflection changed while saving. Reload the page.")
            reflection = existing
            reflection.refresh_from_db()
        audit_event_record(
            action="learning.reflection_saved",
            subject=reflection,
            actor=membership.user,
            organisation=membership.organisation,
            # Never the text or the matched words: only what kind of findings there were.
            data={
                "words": reflection.word_count,
                "verdict": verdict,
                "finding_codes": sorted({str(f["code"]) for f in findings}),
            },
        )
    return reflection


def _check_own_clean(membership: Membership, reflection: Reflection, doing: str) -> None:
    _require_active(membership)
    if reflection.organisation_id != membership.organisation_id:
        raise PermissionDenied("That reflection belongs to another organisation.")
    if reflection.author_id != membership.user_id:
        raise PermissionDenied("Only the person who wrote a reflection can do this.")
    if not reflection.is_clean:
        raise InvalidTransition(
            f"Your reflection may identify someone. Rewrite the highlighted parts and save "
            f"it again before you {doing}."
        )


def reflection_share(*, membership: Membership, reflection: Reflection) -> Reflection:
    """Share a clean reflection with the worker's line manager, who can then comment."""
    _check_own_clean(membership, reflection, "share it")
    if membership.line_manager_id is None:
        raise InvalidTransition(
            "You do not have a line manager in Carepost yet. Ask your organisation administrator."
        )
    if reflection.shared_with_manager_at is not None:
        raise InvalidTransition("You have already shared this reflection with your line manager.")
    with transaction.atomic():
        now = timezone.now()
        updated = Reflection.objects.filter(
            pk=reflection.pk, version=reflection.version, shared_with_manager_at__isnull=True
        ).update(shared_with_manager_at=now)
        if not updated:
            raise ConflictError("Your reflection changed while sharing. Reload the page.")
        reflection.refresh_from_db()
        audit_event_record(
            action="learning.reflection_shared",
            subject=reflection,
            actor=membership.user,
            organisation=membership.organisation,
            data={"line_manager": membership.line_manager_id},
        )
    return reflection


def reflection_complete(
    *, membership: Membership, reflection: Reflection, expected_version: int, share_evidence: bool
) -> BadgeAssertion:
    """Complete the module: the reflection is long enough and clean. Issues the badge."""
    _check_own_clean(membership, reflection, "complete the module")
    if reflection.status == ReflectionStatus.COMPLETED:
        raise InvalidTransition("You have already completed this module.")
    if reflection.version != expected_version:
        raise ConflictError("Your reflection changed since you checked it. Reload the page.")
    if reflection.word_count < reflection.module.min_words:
        raise ValidationFailed(
            f"Your reflection has {reflection.word_count} words. Write at least "
            f"{reflection.module.min_words} to complete the module."
        )
    email = (membership.user.email or "").strip()
    if not email:
        raise ValidationFailed(
            "Your account has no email address, which a badge needs. Ask your administrator."
        )
    badge_class = BadgeClass.objects.filter(module=reflection.module).first()
    if badge_class is None:
        raise InvalidTransition("This module has no badge. Ask your administrator.")
    now = timezone.now()
    with transaction.atomic():
        updated = Reflection.objects.filter(
            pk=reflection.pk, version=expected_version, status=ReflectionStatus.DRAFT
        ).update(status=ReflectionStatus.COMPLETED, completed_at=now)
        if not updated:
            raise ConflictError("Your reflection changed since you checked it. Reload the page.")
        salt = secrets.token_hex(16)
        assertion = BadgeAssertion.objects.create(
            organisation=membership.organisation,
            badge_class=badge_class,
            recipient=membership.user,
            reflection=reflection,
            salt=salt,
            identity_hash=badges.identity_hash(email, salt),
            issued_on=now.replace(microsecond=0),
            evidence_public=share_evidence,
        )
        audit_event_record(
            action="learning.module_completed",
            subject=reflection,
            actor=membership.user,
            organisation=membership.organisation,
            data={"module": reflection.module_id, "words": reflection.word_count},
        )
        audit_event_record(
            action="learning.badge_issued",
            subject=assertion,
            actor=membership.user,
            organisation=membership.organisation,
            data={"badge_class": str(badge_class.uid), "evidence_public": share_evidence},
        )
    reflection.refresh_from_db()
    return assertion


def badge_evidence_set(
    *, membership: Membership, assertion: BadgeAssertion, public: bool
) -> BadgeAssertion:
    """The worker chooses whether the badge links to their reflection as evidence."""
    if assertion.organisation_id != membership.organisation_id:
        raise PermissionDenied("That badge belongs to another organisation.")
    if assertion.recipient_id != membership.user_id:
        raise PermissionDenied("Only the person who earned a badge can change it.")
    if assertion.revoked_at is not None:
        raise InvalidTransition("This badge has been revoked.")
    with transaction.atomic():
        BadgeAssertion.objects.filter(pk=assertion.pk).update(
            evidence_public=public, updated_at=timezone.now()
        )
        assertion.refresh_from_db()
        audit_event_record(
            action="learning.badge_evidence_set",
            subject=assertion,
            actor=membership.user,
            organisation=membership.organisation,
            data={"evidence_public": public},
        )
    return assertion


def reflection_comment_add(
    *, membership: Membership, reflection: Reflection, text: str
) -> ReflectionComment:
    """The author's line manager comments on a reflection that was shared with them."""
    _require_active(membership)
    if reflection.organisation_id != membership.organisation_id:
        raise PermissionDenied("That reflection belongs to another organisation.")
    if (
        not membership.has_role(Role.LINE_MANAGER)
        or reflection.membership.line_manager_id != membership.pk
    ):
        raise PermissionDenied("Only the author's line manager can comment on a reflection.")
    if reflection.shared_with_manager_at is None:
        raise InvalidTransition("This reflection has not been shared with you.")
    text = text.strip()
    if len(text) < 2:
        raise ValidationFailed("Write your comment first.")
    with transaction.atomic():
        comment = ReflectionComment.objects.create(
            reflection=reflection, author=membership.user, text=text[:5000]
        )
        audit_event_record(
            action="learning.reflection_commented",
            subject=reflection,
            actor=membership.user,
            organisation=membership.organisation,
            data={"comment": comment.pk},
        )
    return comment


def self_assessment_record(
    *,
    membership: Membership,
    traits: Mapping[str, int],
    skills: Mapping[str, Mapping[str, int]],
) -> SelfAssessment:
    _require_active(membership)
    inst = content.instrument()
    trait_ids = {t.id for t in inst.traits}
    skill_ids = {s.id for s in inst.skills}
    aspects = {a for a, _ in content.SKILL_ASPECTS}
    if set(traits) != trait_ids:
        raise ValidationFailed("Score each of the six characteristics.")
    if set(skills) != skill_ids or any(set(v) != aspects for v in skills.values()):
        raise ValidationFailed("Score every skill for capability, confidence and relevance.")
    scores = [*traits.values(), *(s for v in skills.values() for s in v.values())]
    if any(not isinstance(s, int) or not 1 <= s <= 5 for s in scores):
        raise ValidationFailed("Every score must be from 1 (very low) to 5 (very high).")
    with transaction.atomic():
        assessment = SelfAssessment.objects.create(
            organisation=membership.organisation,
            membership=membership,
            taken_at=timezone.now(),
            traits=dict(traits),
            skills={k: dict(v) for k, v in skills.items()},
        )
        audit_event_record(
            action="learning.self_assessment_recorded",
            subject=assessment,
            actor=membership.user,
            organisation=membership.organisation,
        )
    return assessment


def scenario_attempt_record(
    *, membership: Membership, scenario_slug: str, path: list[str]
) -> ScenarioAttempt:
    _require_active(membership)
    scenario = content.scenarios().get(scenario_slug)
    if scenario is None:
        raise ValidationFailed("There is no such scenario.")
    try:
        next_step, taken = scenario.walk(path)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    if next_step is not None:
        raise InvalidTransition("The scenario is not finished yet.")
    with transaction.atomic():
        attempt = ScenarioAttempt.objects.create(
            organisation=membership.organisation,
            membership=membership,
            scenario=scenario_slug,
            path=list(path),
            good_choices=sum(1 for _, c in taken if c.quality == "good"),
            completed_at=timezone.now(),
        )
        audit_event_record(
            action="learning.scenario_completed",
            subject=attempt,
            actor=membership.user,
            organisation=membership.organisation,
            data={"scenario": scenario_slug, "path": list(path)},
        )
    return attempt
