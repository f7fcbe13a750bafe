"""Fixtures for the publishing tests."""

from __future__ import annotations

from typing import Any

import pytest

from carepost.publishing.connectors import registry
from carepost.publishing.models import Channel
from carepost.publishing.tests.scripted import ScriptedConnector


@pytest.fixture
def scripted(org: Any, monkeypatch: pytest.MonkeyPatch) -> Channel:
    ScriptedConnector.publish_error = None
    ScriptedConnector.delete_error = None
    ScriptedConnector.delete_outcome = "deleted"
    ScriptedConnector.find_answer = None
    ScriptedConnector.during_publish = None
    ScriptedConnector.calls = []
    monkeypatch.setitem(registry.CONNECTORS, "mastodon", ScriptedConnector)
    return Channel.objects.create(organisation=org, kind="mastodon", name="Mastodon")
