"""The screening engine: analyse the text once, run the checks in a fixed order.

Order (documented in docs/screening.md):
 1. normalise + tokenise (``text.analyse``)
 2. personal_data  -- identifiers first, so their digits are not read as anything else
 3. person         -- register mentions (later checks use them to know who is identifiable)
 4. unknown_name   -- capitalised names not on the register
 5. special_category, 6. location, 7. confidential -- need the mentions and the identifiers
 8. offensive, 9. watched_term (policy), 10. voice
then the policy's actions and disabled checks are applied and findings sorted by start.
"""

from __future__ import annotations

from dataclasses import replace

from .checks.confidential import check_confidential
from .checks.location import check_location
from .checks.offensive import check_offensive
from .checks.person import check_person, find_mentions
from .checks.personal_data import check_personal_data, find_personal_data
from .checks.special_category import check_special_category
from .checks.unknown_name import check_unknown_names
from .checks.voice import check_voice
from .checks.watched import check_watched
from .findings import Finding, Report
from .policy import Policy
from .register import Register
from .text import analyse


def screen(text: str, *, register: Register | None = None, policy: Policy | None = None) -> Report:
    """Screen one text. ``register`` and ``policy`` default to an empty register and the
    default policy. Never raises on any str input."""
    if register is None:
        register = Register.empty()
    if policy is None:
        policy = Policy.default()
    if not isinstance(text, str):
        raise TypeError("screen() expects a str")
    doc = analyse(text)
    disabled = policy.disabled  # Policy.enabled(check) is "check not in disabled"
    findings: list[Finding] = []
    doc.personal = find_personal_data(doc)
    if "personal_data" not in disabled:
        findings += check_personal_data(doc)
    doc.mentions = find_mentions(doc, register)
    if "person" not in disabled:
        findings += check_person(doc, register)
    if "unknown_name" not in disabled:
        findings += check_unknown_names(doc, register)
    if "special_category" not in disabled:
        findings += check_special_category(doc, register)
    if "location" not in disabled:
        findings += check_location(doc, register)
    if "confidential" not in disabled:
        findings += check_confidential(doc, register)
    if "offensive" not in disabled:
        findings += check_offensive(doc, register)
    if policy.watched_terms:
        enabled = policy.enabled
        findings += [f for f in check_watched(doc, policy.watched_matcher) if enabled(f.check)]
    if "voice" not in disabled:
        findings += check_voice(doc)
    if policy.check_actions or policy.code_actions:
        findings = [
            f
            if (a := policy.action_for(f.check, f.code, f.action)) == f.action
            else replace(f, action=a)
            for f in findings
        ]
    if len(findings) > 1:
        findings.sort(key=_order)
    return Report(findings)


def _order(f: Finding) -> tuple[int, int, str, str, str]:
    return (f.start, f.end, f.check, f.person_id or "", f.code)
