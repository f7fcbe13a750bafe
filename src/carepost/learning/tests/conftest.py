from __future__ import annotations

from typing import Any

import pytest

from conftest import _member

CLEAN = (
    "This module made me look again at how I use my own accounts. I had not checked my "
    "privacy settings for a long time, and I found that my friends list and old photos were "
    "visible to anyone. I changed that the same evening. At work, I now understand why only "
    "the designated staff post on the official page and why every photo needs consent from "
    "the person or someone with legal authority, not just a relative. Next time a family "
    "member sends me a friend request I will decline politely, point them to the office "
    "number and the official page, and tell my line manager the next morning. I will also "
    "reread our policy when it changes, because the rules are there to protect people."
)
NAMING = CLEAN.replace("At work, I now", "When Nessie asked me about the garden photo, I now")


@pytest.fixture
def admin(org: Any) -> Any:
    return _member(org, "ada", "org_admin")


@pytest.fixture
def lena(org: Any) -> Any:
    return _member(org, "lena", "line_manager", "worker")


@pytest.fixture
def managed_alice(alice: Any, lena: Any) -> Any:
    alice.line_manager = lena
    alice.save(update_fields=["line_manager"])
    return alice


@pytest.fixture
def modules(admin: Any) -> list[Any]:
    from carepost.learning.services import modules_install_starter

    return modules_install_starter(membership=admin)


@pytest.fixture
def module(modules: list[Any]) -> Any:
    return modules[0]
