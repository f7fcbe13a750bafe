"""Which connector class serves which channel kind."""

from __future__ import annotations

from carepost.common.errors import ValidationFailed
from carepost.publishing.connectors.base import Connector
from carepost.publishing.connectors.website.connector import WebsiteConnector
from carepost.publishing.models import Channel, ChannelKind

CONNECTORS: dict[str, type] = {
    ChannelKind.WEBSITE: WebsiteConnector,
}


def connector_for(channel: Channel) -> Connector:
    try:
        cls = CONNECTORS[channel.kind]
    except KeyError as exc:
        raise ValidationFailed(
            f"The {channel.get_kind_display()} connector is not available yet."
        ) from exc
    connector: Connector = cls(channel)
    return connector
