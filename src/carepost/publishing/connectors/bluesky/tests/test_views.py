"""Connecting and reconnecting a Bluesky account through the pages, against the fake PDS."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carepost.audit.models import AuditEvent
from carepost.publishing.connectors.bluesky.tests.conftest import fake_control
from carepost.publishing.models import Channel, ChannelStatus
from fakeplatforms.bluesky import DEFAULT_APP_PASSWORD, DEFAULT_HANDLE, DEFAULT_PASSWORD
from fakeplatforms.testing import RunningFake

pytestmark = pytest.mark.django_db

CONNECT = reverse("channels_bluesky:connect")


def form(fake: RunningFake, **changes: str) -> dict[str, str]:
    return {
        "name": "Bluesky - Braeview",
        "handle": "@" + DEFAULT_HANDLE,
        "app_password": DEFAULT_APP_PASSWORD,
        "service_url": fake.url,
    } | changes


def logged_in(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def all_audit_text() -> str:
    return " ".join(f"{e.action} {e.data}" for e in AuditEvent.objects.all())


def test_the_connect_page_explains_app_passwords(
    fake_pds: RunningFake, rita: Any, client: Client
) -> None:
    page = logged_in(client, rita).get(CONNECT).content.decode()
    assert "App passwords" in page and "main password" in page
    assert 'type="password"' in page and 'autocomplete="off"' in page


def test_connecting_creates_the_channel_with_encrypted_credentials(
    fake_pds: RunningFake, rita: Any, client: Client
) -> None:
    response = logged_in(client, rita).post(CONNECT, form(fake_pds), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"connected to Bluesky as @{DEFAULT_HANDLE}" in page
    channel = Channel.objects.get(organisation=rita.organisation, kind="bluesky")
    assert channel.name == "Bluesky - Braeview"
    assert channel.config["handle"] == DEFAULT_HANDLE
    assert channel.config["did"].startswith("did:plc:")
    assert channel.config["service_url"] == fake_pds.url
    assert channel.credentials["app_password"] == DEFAULT_APP_PASSWORD
    assert channel.credentials["access_jwt"] and channel.credentials["refresh_jwt"]
    # Encrypted at rest, and nowhere else.
    assert DEFAULT_APP_PASSWORD.encode() not in bytes(channel.credentials_encrypted)
    assert DEFAULT_APP_PASSWORD not in str(channel.config)
    assert DEFAULT_APP_PASSWORD not in page
    assert channel.credentials["access_jwt"] not in page
    assert AuditEvent.objects.filter(action="channel.connected").exists()
    audit = all_audit_text()
    assert DEFAULT_APP_PASSWORD not in audit
    assert channel.credentials["refresh_jwt"] not in audit


def test_a_wrong_app_password_says_so_and_creates_nothing(
    fake_pds: RunningFake, rita: Any, client: Client
) -> None:
    response = logged_in(client, rita).post(
        CONNECT, form(fake_pds, app_password="wxyz-abcd-efgh-ijkl")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bluesky did not accept that handle and app password" in page
    assert "wxyz-abcd-efgh-ijkl" not in page  # never shown back
    assert not Channel.objects.filter(kind="bluesky").exists()


def test_the_main_password_is_refused_even_though_bluesky_accepts_it(
    fake_pds: RunningFake, rita: Any, client: Client
) -> None:
    response = logged_in(client, rita).post(CONNECT, form(fake_pds, app_password=DEFAULT_PASSWORD))
    assert response.status_code == 400
    page = response.content.decode()
    assert "main password" in page
    assert DEFAULT_PASSWORD not in page
    assert not Channel.objects.filter(kind="bluesky").exists()


def test_an_unreachable_server_gives_a_plain_message(rita: Any, client: Client) -> None:
    response = logged_in(client, rita).post(
        CONNECT,
        {
            "name": "Bluesky",
            "handle": DEFAULT_HANDLE,
            "app_password": DEFAULT_APP_PASSWORD,
            "service_url": "http://127.0.0.1:9",
        },
    )
    assert response.status_code == 400
    assert "could not get an answer from the Bluesky server" in response.content.decode()


def test_plain_http_and_local_servers_are_refused_outside_development(
    fake_pds: RunningFake, rita: Any, client: Client, settings: Any
) -> None:
    settings.CAREPOST_ALLOW_INSECURE_INSTANCES = False
    settings.DEBUG = False
    logged_in(client, rita)
    response = client.post(CONNECT, form(fake_pds))
    assert response.status_code == 400
    assert "must start with https://" in response.content.decode()
    response = client.post(CONNECT, form(fake_pds, service_url="https://127.0.0.1:8443"))
    assert "private network" in response.content.decode()
    assert not Channel.objects.filter(kind="bluesky").exists()


def test_a_worker_cannot_connect_a_channel(
    fake_pds: RunningFake, alice: Any, client: Client
) -> None:
    logged_in(client, alice)
    assert client.get(CONNECT).status_code == 403
    assert client.post(CONNECT, form(fake_pds)).status_code == 403
    assert not Channel.objects.filter(kind="bluesky").exists()


def test_the_channels_page_links_to_connect_and_reconnect(
    bluesky_channel: Channel, rita: Any, client: Client
) -> None:
    page = logged_in(client, rita).get(reverse("channels:list")).content.decode()
    assert CONNECT in page
    assert reverse("channels_bluesky:reconnect", kwargs={"channel_id": bluesky_channel.pk}) in page


def test_reconnecting_replaces_the_app_password_and_reactivates_the_channel(
    fake_pds: RunningFake, bluesky_channel: Channel, rita: Any, client: Client
) -> None:
    fake_control(
        fake_pds,
        "/__bluesky/account",
        {"handle": DEFAULT_HANDLE, "password": "new-main", "app_password": "qrst-uvwx-2345-6789"},
    )
    Channel.objects.filter(pk=bluesky_channel.pk).update(status=ChannelStatus.NEEDS_REAUTH)
    url = reverse("channels_bluesky:reconnect", kwargs={"channel_id": bluesky_channel.pk})
    logged_in(client, rita)
    assert "@carepost.test" in client.get(url).content.decode()
    response = client.post(url, {"app_password": "qrst-uvwx-2345-6789"}, follow=True)
    assert response.status_code == 200
    assert "reconnected" in response.content.decode()
    bluesky_channel.refresh_from_db()
    assert bluesky_channel.status == ChannelStatus.ACTIVE
    assert bluesky_channel.credentials["app_password"] == "qrst-uvwx-2345-6789"
    assert "qrst-uvwx-2345-6789" not in all_audit_text()


def test_reconnecting_with_a_wrong_password_keeps_the_old_credentials(
    fake_pds: RunningFake, bluesky_channel: Channel, rita: Any, client: Client
) -> None:
    url = reverse("channels_bluesky:reconnect", kwargs={"channel_id": bluesky_channel.pk})
    response = logged_in(client, rita).post(url, {"app_password": "nope-nope-nope-nope"})
    assert response.status_code == 400
    assert "did not accept" in response.content.decode()
    bluesky_channel.refresh_from_db()
    assert bluesky_channel.credentials["app_password"] == DEFAULT_APP_PASSWORD


def test_another_organisations_channel_cannot_be_reconnected(
    bluesky_channel: Channel, olga: Any, client: Client
) -> None:
    url = reverse("channels_bluesky:reconnect", kwargs={"channel_id": bluesky_channel.pk})
    assert logged_in(client, olga).get(url).status_code == 404
