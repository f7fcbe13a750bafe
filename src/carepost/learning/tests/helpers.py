from __future__ import annotations

from typing import Any

from carepost.learning import services
from carepost.learning.tests.conftest import CLEAN


def earned_badge(member: Any, module: Any, *, share_evidence: bool = True) -> Any:
    reflection = services.reflection_save(membership=member, module=module, text=CLEAN)
    return services.reflection_complete(
        membership=member,
        reflection=reflection,
        expected_version=reflection.version,
        share_evidence=share_evidence,
    )
