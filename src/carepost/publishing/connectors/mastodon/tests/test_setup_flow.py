"""Connecting and reconnecting a Mastodon account, through the views, against the fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from carepost.audit.models import AuditEvent
from carepost.publishing.channel_services import channel_mark_needs_reauth
from carepost.publishing.connectors.mastodon.views import SESSION_KEY
from carepost.publishing.models import Channel, ChannelStatus
from fakeplatforms.mastodon import ACCOUNT_ID, USERNAME
from fakeplatforms.testing import RunningFake

pytestmark = pytest.mark.django_db

CONNECT = "/channels/mastodon/connect/"


def signed_in(membership: Any) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def start_connect(client: Client, fake: RunningFake, **overrides: str) -> str:
    """Fill in the connect form; return the fake's authorisation address."""
    data = {"name": "Thistle Mastodon", "instance_url": fake.url, "visibility": "unlisted"}
    response = client.post(CONNECT, data | overrides)
    assert response.status_code == 302, response.content.decode()
    location: str = response["Location"]
    assert location.startswith(f"{fake.url}/oauth/authorize?")
    return location


def decide_on_fake(authorise_url: str, decision: str = "approve") -> str:
    """What a person does on the server's page; returns where the server sends them back."""
    query = {k: v[-1] for k, v in parse_qs(urlsplit(authorise_url).query).items()}
    base = authorise_url.split("?", 1)[0]
    answer = httpx.post(base, data=query | {"decision": decision})
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("channels_mastodon:callback")
    return f"{back.path}?{back.query}"


def test_connecting_creates_a_channel_with_encrypted_credentials(
    fake: RunningFake, rita: Any
) -> None:
    client = signed_in(rita)
    assert client.get(CONNECT).status_code == 200
    authorise_url = start_connect(client, fake)
    assert "client_secret" not in authorise_url
    page = client.get(decide_on_fake(authorise_url), follow=True)
    assert page.status_code == 200
    channel = Channel.objects.get(organisation=rita.organisation, kind="mastodon")
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.config == {
        "instance_url": fake.url,
        "account": f"@{USERNAME}@127.0.0.1:{fake.port}",
        "account_id": ACCOUNT_ID,
        "visibility": "unlisted",
    }
    secrets = channel.credentials
    assert set(secrets) == {"access_token", "client_id", "client_secret"}
    for secret in (secrets["access_token"], secrets["client_secret"]):
        assert secret.encode() not in bytes(channel.credentials_encrypted)
        assert secret not in page.content.decode()
        for event in AuditEvent.objects.all():
            assert secret not in str(event.data)
    assert "Thistle Mastodon is connected" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="channel.connected", subject_id=str(channel.pk)
    ).exists()
    assert SESSION_KEY not in client.session
    # The token works: the fake knows it.
    who = httpx.get(
        f"{fake.url}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {secrets['access_token']}"},
    )
    assert who.json()["acct"] == USERNAME


def test_the_servers_authorise_page_names_the_app_and_its_permissions(
    fake: RunningFake, rita: Any
) -> None:
    page = httpx.get(start_connect(signed_in(rita), fake))
    text = page.text
    assert page.status_code == 200
    assert '<html lang="en">' in text and "<title>" in text and "<h1>" in text
    assert "Carepost" in text
    for scope in ("read:accounts", "read:statuses", "write:statuses", "write:media"):
        assert scope in text
    assert ">Authorise</button>" in text and ">Deny</button>" in text


def test_a_mismatched_state_is_refused(fake: RunningFake, rita: Any) -> None:
    client = signed_in(rita)
    back = decide_on_fake(start_connect(client, fake))
    forged = back.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 400
    assert "did not recognise this answer" in response.content.decode()
    assert not Channel.objects.filter(kind="mastodon").exists()
    # The real answer cannot be replayed afterwards either: the attempt was used up.
    assert client.get(back).status_code == 400
    assert not Channel.objects.filter(kind="mastodon").exists()


def test_a_missing_state_is_refused(fake: RunningFake, rita: Any) -> None:
    client = signed_in(rita)
    back = decide_on_fake(start_connect(client, fake))
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = client.get(reverse("channels_mastodon:callback"), {"code": code})
    assert response.status_code == 400
    assert not Channel.objects.filter(kind="mastodon").exists()


def test_an_answer_for_a_flow_another_user_started_is_refused(
    fake: RunningFake, rita: Any, ravi: Any
) -> None:
    back = decide_on_fake(start_connect(signed_in(rita), fake))
    response = signed_in(ravi).get(back)
    assert response.status_code == 400
    assert not Channel.objects.filter(kind="mastodon").exists()


def test_denying_access_says_so_plainly_with_a_way_back(fake: RunningFake, rita: Any) -> None:
    client = signed_in(rita)
    response = client.get(decide_on_fake(start_connect(client, fake), decision="deny"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Access was not allowed" in body and "nothing was connected" in body
    assert f'href="{CONNECT}"' in body
    assert not Channel.objects.filter(kind="mastodon").exists()


def test_a_code_the_server_does_not_accept_is_explained(fake: RunningFake, rita: Any) -> None:
    client = signed_in(rita)
    back = decide_on_fake(start_connect(client, fake))
    state = parse_qs(urlsplit(back).query)["state"][0]
    response = client.get(
        reverse("channels_mastodon:callback"), {"code": "nonsense", "state": state}
    )
    assert response.status_code == 400
    assert "did not accept the sign-in" in response.content.decode()
    assert not Channel.objects.filter(kind="mastodon").exists()


def test_a_worker_cannot_connect_or_reconnect(
    fake: RunningFake, alice: Any, channel: Channel
) -> None:
    client = signed_in(alice)
    assert client.get(CONNECT).status_code == 403
    data = {"name": "Mine", "instance_url": fake.url, "visibility": "public"}
    assert client.post(CONNECT, data).status_code == 403
    reconnect = reverse("channels_mastodon:reconnect", kwargs={"channel_id": channel.pk})
    assert client.get(reconnect).status_code == 403
    assert client.post(reconnect, {"visibility": "public"}).status_code == 403
    callback = reverse("channels_mastodon:callback")
    assert client.get(callback, {"code": "x", "state": "y"}).status_code == 403
    assert fake.state()["apps"] == 1  # only the fixture's: nothing was registered


def test_another_organisation_cannot_reconnect_the_channel(
    fake: RunningFake, olga: Any, channel: Channel
) -> None:
    reconnect = reverse("channels_mastodon:reconnect", kwargs={"channel_id": channel.pk})
    assert signed_in(olga).get(reconnect).status_code == 404


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("not a web address", "does not look like a web address"),
        ("https://mastodon.social/@thistle", "without anything after its name"),
        ("https://mastodon.social/?x=1", "Enter just the server"),
        ("", "This field is required"),
    ],
)
def test_a_bad_server_address_gets_a_clear_message(
    fake: RunningFake, rita: Any, typed: str, message: str
) -> None:
    response = signed_in(rita).post(
        CONNECT, {"name": "Thistle Mastodon", "instance_url": typed, "visibility": "public"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()


def test_plain_http_and_local_addresses_are_refused_outside_tests(
    fake: RunningFake, rita: Any, settings: Any
) -> None:
    settings.CAREPOST_ALLOW_INSECURE_INSTANCES = False
    client = signed_in(rita)
    data = {"name": "Thistle Mastodon", "visibility": "public"}
    insecure = client.post(CONNECT, data | {"instance_url": fake.url})
    assert "starting with https://" in insecure.content.decode()
    local = client.post(CONNECT, data | {"instance_url": "https://127.0.0.1"})
    assert "private network" in local.content.decode()
    assert fake.state()["apps"] == 0


def test_an_unreachable_server_gets_a_clear_message_not_an_error_page(
    fake: RunningFake, rita: Any
) -> None:
    response = signed_in(rita).post(
        CONNECT,
        {"name": "Thistle Mastodon", "instance_url": "http://127.0.0.1:9", "visibility": "public"},
    )
    assert response.status_code == 200
    assert "could not reach 127.0.0.1:9" in response.content.decode()


@pytest.fixture
def plain_web_server(tmp_path: Path) -> Iterator[str]:
    """An ordinary web server with nothing on it: every API address is 404."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = partial(Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_not_mastodon_is_explained(
    fake: RunningFake, rita: Any, plain_web_server: str
) -> None:
    response = signed_in(rita).post(
        CONNECT,
        {"name": "Thistle Mastodon", "instance_url": plain_web_server, "visibility": "public"},
    )
    assert response.status_code == 200
    assert "did not answer like a Mastodon server" in response.content.decode()


def test_a_server_in_trouble_is_explained(fake: RunningFake, rita: Any) -> None:
    fake.faults({"path": "/instance", "fault": "503", "times": -1})
    response = signed_in(rita).post(
        CONNECT, {"name": "Thistle Mastodon", "instance_url": fake.url, "visibility": "public"}
    )
    assert response.status_code == 200
    assert "having problems at the moment" in response.content.decode()
    assert fake.state()["apps"] == 0


def test_a_trailing_slash_or_missing_scheme_is_fine(fake: RunningFake, rita: Any) -> None:
    client = signed_in(rita)
    data = {"name": "Thistle Mastodon", "visibility": "public"}
    assert client.post(CONNECT, data | {"instance_url": fake.url + "/"}).status_code == 302
    bare = fake.url.removeprefix("http://")
    # Without a scheme the address is taken as https://, which the fake does not speak.
    response = client.post(CONNECT, data | {"instance_url": bare})
    assert f"could not reach {bare}" in response.content.decode()


def test_a_name_already_used_is_refused_before_leaving_for_the_server(
    fake: RunningFake, rita: Any, channel: Channel
) -> None:
    response = signed_in(rita).post(
        CONNECT, {"name": channel.name, "instance_url": fake.url, "visibility": "public"}
    )
    assert response.status_code == 200
    assert "There is already a channel called" in response.content.decode()


def test_reconnecting_reactivates_a_paused_channel_with_a_new_token(
    fake: RunningFake, rita: Any, channel: Channel
) -> None:
    old_token = channel.credentials["access_token"]
    channel_mark_needs_reauth(channel=channel, error="The access token is invalid")
    client = signed_in(rita)
    reconnect = reverse("channels_mastodon:reconnect", kwargs={"channel_id": channel.pk})
    page = client.get(reconnect)
    assert "Posts for it are waiting" in page.content.decode()
    response = client.post(reconnect, {"visibility": "public"})
    assert response.status_code == 302
    page = client.get(decide_on_fake(response["Location"]), follow=True)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.config["visibility"] == "public"
    assert channel.credentials["access_token"] != old_token
    assert channel.credentials["access_token"] not in page.content.decode()
    assert "is reconnected" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="channel.reconnected", subject_id=str(channel.pk)
    ).exists()


def test_reconnecting_as_a_different_account_is_refused(
    fake: RunningFake, rita: Any, channel: Channel
) -> None:
    channel.config = {**channel.config, "account_id": "1", "account": "@someoneelse@example"}
    channel.save()
    old = bytes(channel.credentials_encrypted)
    client = signed_in(rita)
    reconnect = reverse("channels_mastodon:reconnect", kwargs={"channel_id": channel.pk})
    response = client.get(
        decide_on_fake(client.post(reconnect, {"visibility": "public"})["Location"])
    )
    assert "but Thistle Mastodon posts as @someoneelse@example" in response.content.decode()
    channel.refresh_from_db()
    assert bytes(channel.credentials_encrypted) == old
