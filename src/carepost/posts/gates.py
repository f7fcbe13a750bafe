"""What stands between a revision and approval (invariant I1), in plain English.

Checked when the reviewer approves and again when each publication is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carepost.posts.models import FindingAction, PostRevision, ScreeningFinding


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
    if not revision.channels.exists():
        blockers.append(Blocker("no_channels", "Choose at least one channel to publish on."))
    seen = set()
    for check in revision_consent_checks(revision, channels=channels, at=at):
        if not check.status.allowed and check.status.reason not in seen:
            seen.add(check.status.reason)
            blockers.append(Blocker(f"consent_{check.status.code}", check.status.reason))
    if not revision.text.strip() and not revision.photos.exists():
        blockers.append(Blocker("empty", "The post has no text and no photos."))
    return blockers
