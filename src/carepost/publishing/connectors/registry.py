"""Which connector class serves which channel kind, and where each one's setup lives.

Each connector is a folder under `connectors/` (see CONTRIBUTING.md, "Adding a
connector"): `connector.py` with the class named here, and optionally `urls.py`
with its setup views, mounted at /channels/<kind>/.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from carepost.common.errors import ValidationFailed
from carepost.publishing.connectors.base import Connector, Limits
from carepost.publishing.models import Channel, ChannelKind

# A dotted path (imported on first use), or a class (tests substitute their own).
CONNECTORS: dict[str, str | type] = {
    ChannelKind.WEBSITE: "carepost.publishing.connectors.website.connector.WebsiteConnector",
    ChannelKind.MASTODON: "carepost.publishing.connectors.mastodon.connector.MastodonConnector",
    ChannelKind.BLUESKY: "carepost.publishing.connectors.bluesky.connector.BlueskyConnector",
    ChannelKind.FACEBOOK: "carepost.publishing.connectors.facebook.connector.FacebookConnector",
}


def connector_class(kind: str) -> type:
    try:
        entry = CONNECTORS[kind]
        if isinstance(entry, type):
            return entry
        module_name, _, class_name = entry.rpartition(".")
        cls: type = getattr(import_module(module_name), class_name)
    except (KeyError, ImportError, AttributeError) as exc:
        raise ValidationFailed(f"The {kind} connector is not available.") from exc
    return cls


def connector_for(channel: Channel) -> Connector:
    connector: Connector = connector_class(channel.kind)(channel)
    return connector


def limits_for(kind: str) -> Limits:
    limits: Limits = connector_class(kind).limits  # type: ignore[attr-defined]
    return limits


def setup_url_modules() -> dict[str, str]:
    """kind -> dotted path of the connector's setup urls module, for those that have one."""
    found = {}
    for kind, path in CONNECTORS.items():
        if not isinstance(path, str):
            continue
        package = path.rsplit(".", 2)[0]
        if find_spec(package) is not None and find_spec(f"{package}.urls") is not None:
            found[kind] = f"{package}.urls"
    return found
