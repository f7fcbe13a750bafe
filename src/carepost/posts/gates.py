"""What stands between a revision and approval (invariant I1), in plain English.

Checked when the reviewer approves and again when each publication is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carepost.posts.models import (
    AnalysisState,
    FaceChoice,
    FindingAction,
    PostRevision,
    ScreeningFinding,
)


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str


def finding_is_resolved(finding: ScreeningFinding, tagged_person_ids: set[int]) -> bool:
    if finding.check_name == "person" and finding.person_id is not None:
        # Naming someone is fine once they are tagged: the consent gate then
        # checks that they agreed to be named on these channels.
        return finding.person_id in tagged_person_ids
    if finding.action == FindingAction.BLOCK:
        return False
    if finding.action == FindingAction.REVIEW:
        return finding.acknowledged_at is not None
    return True


def revision_blockers(
    revision: PostRevision, *, channels: list[object] | None = None, at: datetime | None = None
) -> list[Blocker]:
    """Everything that stops `revision` going out on `channels` (default: all it names)."""
    from carepost.consent.gates import revision_consent_checks

    blockers: list[Blocker] = []
    if revision.screened_at is None:
        blockers.append(Blocker("not_screened", "This version has not been screened yet."))
    tagged = set(revision.people.values_list("id", flat=True))
    for f in revision.findings.select_related("person"):
        if finding_is_resolved(f, tagged):
            continue
        if f.check_name == "person" and f.person is not None:
            blockers.append(
                Blocker(
                    "person_not_tagged",
                    f"“{f.text}” looks like {f.person.display_name}, who is not tagged. "
                    "Tag them as featured, or remove their name.",
                )
            )
        elif f.action == FindingAction.BLOCK:
            blockers.append(
                Blocker(f"finding_{f.code}", f"{f.message} Edit the post to remove “{f.text}”.")
            )
        else:
            blockers.append(
                Blocker(
                    f"finding_{f.code}",
                    f"{f.message} A reviewer must give a reason to go ahead with “{f.text}”.",
                )
            )
    blockers.extend(photo_blockers(revision, tagged))
    if not revision.channels.exists():
        blockers.append(Blocker("no_channels", "Choose at least one channel to publish on."))
    seen = set()
    for check in revision_consent_checks(revision, channels=channels, at=at):
        if not check.status.allowed and check.status.reason not in seen:
            seen.add(check.status.reason)
            blockers.append(Blocker(f"consent_{check.status.code}", check.status.reason))
    if not revision.text.strip() and not revision.photos.exists():
        blockers.append(Blocker("empty", "The post has no text and no photos."))
    # What a platform would refuse: text over its limit, more photos than it takes.
    from carepost.publishing.selectors import revision_platform_problems

    for problem in revision_platform_problems(revision, channels=channels):
        blockers.append(Blocker(problem.code, problem.message))
    return blockers


def _numbers(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def photo_blockers(revision: PostRevision, tagged: set[int]) -> list[Blocker]:
    """Every face decided (a tagged person, or blurred), every photo checked, no metadata left.

    Consent for the people linked to faces is the consent gate's part (consent/gates.py).
    """
    blockers: list[Blocker] = []
    for rp in revision.photos.select_related("photo").prefetch_related(
        "photo__faces", "face_decisions"
    ):
        n = rp.position + 1
        photo = rp.photo
        if photo.analysis_state in (AnalysisState.PENDING, AnalysisState.RUNNING):
            blockers.append(
                Blocker(
                    "photo_checking",
                    f"We're still checking photo {n} for faces — this takes a few seconds.",
                )
            )
            continue
        if photo.analysis_state == AnalysisState.FAILED:
            reason = (photo.analysis_error or "the check stopped").rstrip(".")
            blockers.append(
                Blocker(
                    "photo_check_failed",
                    f"We couldn't check photo {n}: {reason}. Remove it or try again.",
                )
            )
            continue
        decisions = {d.face_id: d for d in rp.face_decisions.all()}
        faces = list(photo.faces.all())
        undecided = [f.number for f in faces if f.pk not in decisions]
        if undecided:
            plural = len(undecided) > 1
            blockers.append(
                Blocker(
                    "face_undecided",
                    f"Photo {n}: face{'s' if plural else ''} {_numbers(undecided)} "
                    f"{'need' if plural else 'needs'} a choice: say who "
                    f"{'each one' if plural else 'it'} is, or blur {'them' if plural else 'it'}.",
                )
            )
        untagged = [
            f.number
            for f in faces
            if f.pk in decisions
            and decisions[f.pk].choice == FaceChoice.PERSON
            and decisions[f.pk].person_id not in tagged
        ]
        if untagged:
            blockers.append(
                Blocker(
                    "face_person_not_tagged",
                    f"Photo {n}: face {_numbers(untagged)} is linked to someone who is not "
                    "tagged. Tag them as featured, or blur the face.",
                )
            )
        blurred = any(d.choice == FaceChoice.BLUR for d in decisions.values())
        if blurred and not rp.published_copy:
            blockers.append(
                Blocker(
                    "photo_not_rendered",
                    f"Photo {n}: the copy with blurred faces has not been made. Save the post again.",
                )
            )
        left = [m for m in (photo.report or {}).get("clean_metadata", []) if m.get("blocking")]
        if left:
            blockers.append(
                Blocker(
                    "photo_metadata",
                    f"Photo {n} still carries {left[0].get('label', 'metadata')}. "
                    "Remove the photo and upload it again.",
                )
            )
    return blockers
