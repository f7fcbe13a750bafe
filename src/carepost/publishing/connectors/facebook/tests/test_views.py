"""Connecting and reconnecting a Facebook Page through the pages, against the fake."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from carepost.audit.models import AuditEvent
from carepost.publishing.channel_services import channel_connect, channel_mark_needs_reauth
from carepost.publishing.connectors.base import RemoteState
from carepost.publishing.connectors.facebook.connector import FacebookConnector
from carepost.publishing.connectors.facebook.tests.conftest import (
    DAY_SERVICE_PAGE,
    THISTLE_PAGE,
    allow_in_dialog,
    page_tokens,
)
from carepost.publishing.connectors.facebook.views import SESSION_KEY
from carepost.publishing.models import Channel, ChannelStatus
from fakeplatforms import facebook as fake_facebook
from fakeplatforms.testing import RunningFake

pytestmark = pytest.mark.django_db

CONNECT = "/channels/facebook/connect/"
CHOOSE = "/channels/facebook/choose/"


def logged_in(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def start_connect(client: Client, name: str = "Thistle Facebook") -> str:
    """Submit the channel name; returns the Facebook dialog address Carepost sent us to."""
    response = client.post(CONNECT, {"name": name})
    assert response.status_code == 302, response.content.decode()
    return str(response["Location"])


def come_back(client: Client, dialog_url: str, decision: str = "allow") -> Any:
    """Act on Facebook's dialog, then follow its redirect back into Carepost."""
    return client.get(local(allow_in_dialog(dialog_url, decision)))


def connected_page_token(fake: RunningFake) -> str:
    return page_tokens(fake)[THISTLE_PAGE]


def test_connect_sends_the_browser_to_the_facebook_dialog(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    dialog = start_connect(logged_in(client, rita))
    assert dialog.startswith(f"{fake.url}/v24.0/dialog/oauth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(dialog).query).items()}
    assert query["client_id"] == fake_facebook.APP_ID
    assert query["redirect_uri"] == "http://testserver/channels/facebook/callback/"
    assert query["scope"] == "pages_manage_posts,pages_read_engagement,pages_show_list"
    assert len(query["state"]) >= 32
    assert fake_facebook.APP_SECRET not in dialog


def test_a_page_is_picked_and_the_channel_is_created_with_an_encrypted_token(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    client = logged_in(client, rita)
    pages_response = client.get(CONNECT)
    assert "Channel name" in pages_response.content.decode()
    back = come_back(client, start_connect(client))
    assert back.status_code == 302 and back["Location"] == CHOOSE
    choose = client.get(CHOOSE)
    html = choose.content.decode()
    assert choose.status_code == 200
    assert "<legend>" in html and 'type="radio"' in html
    assert "Thistle Care" in html and "Thistle Day Service" in html
    # The Page without CREATE_CONTENT is listed as not usable, with the reason, and no radio.
    assert "Pages you cannot use" in html and "Braeburn Friends" in html
    assert f'value="{fake_facebook.PAGES[2][0]}"' not in html
    done = client.post(CHOOSE, {"page": THISTLE_PAGE})
    assert done.status_code == 302 and done["Location"] == "/channels/"

    channel = Channel.objects.get(organisation=rita.organisation, kind="facebook")
    assert channel.name == "Thistle Facebook"
    assert channel.config == {
        "page_id": THISTLE_PAGE,
        "page_name": "Thistle Care",
        "account": "Facebook Page: Thistle Care",
        "graph_version": "v24.0",
    }
    token = channel.credentials["page_access_token"]
    assert token.startswith("EAAP")
    assert token.encode() not in bytes(channel.credentials_encrypted)
    # The token works: the connector can post with it.
    assert FacebookConnector(channel).status(THISTLE_PAGE) in (RemoteState.GONE,)
    # ...and it appeared nowhere: not in any page, the session, or the audit log.
    for response in (pages_response, back, choose, done, client.get("/channels/")):
        assert token not in response.content.decode()
    assert token not in str(client.session.items())
    assert SESSION_KEY not in client.session
    events = AuditEvent.objects.filter(action="channel.connected")
    assert events.count() == 1 and token not in str(list(events.values()))


def test_the_session_keeps_page_tokens_only_encrypted(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    client = logged_in(client, rita)
    come_back(client, start_connect(client))
    stored = str(client.session[SESSION_KEY])
    assert "EAAP" not in stored and "Thistle Care" not in stored


def test_an_answer_with_the_wrong_state_is_refused(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    client = logged_in(client, rita)
    dialog = start_connect(client)
    location = allow_in_dialog(dialog)
    forged = location.replace("state=", "state=forged")
    response = client.get(local(forged))
    assert response.status_code == 400
    assert "does not match a connection started from this browser" in response.content.decode()
    assert client.get(CHOOSE).status_code == 302  # nothing to choose from
    assert not Channel.objects.filter(kind="facebook").exists()


def test_an_answer_without_a_started_connection_is_refused(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    response = logged_in(client, rita).get("/channels/facebook/callback/?code=abc&state=xyz")
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()


def test_a_state_cannot_be_used_twice(client: Client, fake: RunningFake, rita: Any) -> None:
    client = logged_in(client, rita)
    location = local(allow_in_dialog(start_connect(client)))
    assert client.get(location).status_code == 302
    assert client.get(location).status_code == 400


def test_cancelling_on_facebook_is_explained_plainly(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    client = logged_in(client, rita)
    response = come_back(client, start_connect(client), decision="cancel")
    assert response.status_code == 200
    assert "You cancelled on Facebook" in response.content.decode()
    assert not Channel.objects.filter(kind="facebook").exists()


def test_a_failed_code_exchange_changes_nothing(
    client: Client, fake: RunningFake, rita: Any, settings: Any
) -> None:
    client = logged_in(client, rita)
    dialog = start_connect(client)
    settings.CAREPOST_FACEBOOK_APP_SECRET = "wrong-secret"
    response = come_back(client, dialog)
    html = response.content.decode()
    assert response.status_code == 502 and "did not complete the connection" in html
    assert "wrong-secret" not in html
    assert not Channel.objects.filter(kind="facebook").exists()


def test_without_app_credentials_the_page_says_what_an_administrator_must_set(
    client: Client, rita: Any, settings: Any
) -> None:
    settings.CAREPOST_FACEBOOK_APP_ID = ""
    settings.CAREPOST_FACEBOOK_APP_SECRET = ""
    response = logged_in(client, rita).get(CONNECT)
    html = response.content.decode()
    assert "CAREPOST_FACEBOOK_APP_ID" in html and "CAREPOST_FACEBOOK_APP_SECRET" in html
    assert "administrator" in html
    assert logged_in(client, rita).post(CONNECT, {"name": "X"}).status_code == 200


@pytest.mark.parametrize("path", [CONNECT, CHOOSE, "/channels/facebook/callback/?state=x"])
def test_workers_cannot_connect_pages(
    client: Client, fake: RunningFake, alice: Any, path: str
) -> None:
    assert logged_in(client, alice).get(path).status_code == 403


def test_a_taken_channel_name_is_refused_before_going_to_facebook(
    client: Client, fake: RunningFake, rita: Any
) -> None:
    response = logged_in(client, rita).post(CONNECT, {"name": "Website news page"})
    if response.status_code == 302:  # the website channel is called something else here
        name = Channel.objects.get(organisation=rita.organisation, kind="website").name
        response = client.post(CONNECT, {"name": name})
    assert response.status_code == 200
    assert "There is already a channel called" in response.content.decode()


def test_the_session_flow_is_bound_to_the_organisation(
    client: Client, fake: RunningFake, rita: Any, olga: Any
) -> None:
    client = logged_in(client, rita)
    location = local(allow_in_dialog(start_connect(client)))
    response = logged_in(client, olga).get(location)
    assert response.status_code == 400


# -- reconnecting -------------------------------------------------------------------


@pytest.fixture
def paused_channel(fake: RunningFake, rita: Any) -> Channel:
    channel = channel_connect(
        membership=rita,
        kind="facebook",
        name="Thistle Facebook",
        config={"page_id": THISTLE_PAGE, "page_name": "Thistle Care", "graph_version": "v24.0"},
        credentials={"page_access_token": "EAAP-expired"},
    )
    channel_mark_needs_reauth(channel=channel, error="Facebook error 190")
    channel.refresh_from_db()
    return channel


def start_reconnect(client: Client, channel: Channel) -> str:
    url = f"/channels/facebook/{channel.pk}/reconnect/"
    page = client.get(url)
    assert page.status_code == 200 and "Continue to Facebook" in page.content.decode()
    response = client.post(url)
    assert response.status_code == 302
    return str(response["Location"])


def test_reconnecting_updates_the_token_and_reactivates_the_channel(
    client: Client, fake: RunningFake, rita: Any, paused_channel: Channel
) -> None:
    client = logged_in(client, rita)
    come_back(client, start_reconnect(client, paused_channel))
    choose = client.get(CHOOSE)
    assert f'value="{THISTLE_PAGE}" checked' in choose.content.decode()
    assert client.post(CHOOSE, {"page": THISTLE_PAGE}).status_code == 302
    paused_channel.refresh_from_db()
    assert paused_channel.status == ChannelStatus.ACTIVE
    token = paused_channel.credentials["page_access_token"]
    assert token != "EAAP-expired"
    assert FacebookConnector(paused_channel).status(f"{THISTLE_PAGE}_1") == RemoteState.GONE
    assert Channel.objects.filter(kind="facebook").count() == 1


def test_reconnecting_to_a_different_page_is_refused_clearly(
    client: Client, fake: RunningFake, rita: Any, paused_channel: Channel
) -> None:
    client = logged_in(client, rita)
    come_back(client, start_reconnect(client, paused_channel))
    response = client.post(CHOOSE, {"page": DAY_SERVICE_PAGE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "This channel posts to the Page “Thistle Care”" in html
    assert "connect it as a new channel" in html
    paused_channel.refresh_from_db()
    assert paused_channel.status == ChannelStatus.NEEDS_REAUTH
    assert paused_channel.credentials["page_access_token"] == "EAAP-expired"


def test_another_organisations_channel_cannot_be_reconnected(
    client: Client, fake: RunningFake, olga: Any, paused_channel: Channel
) -> None:
    response = logged_in(client, olga).get(f"/channels/facebook/{paused_channel.pk}/reconnect/")
    assert response.status_code == 404


def test_the_channels_page_links_to_connect_and_reconnect(
    client: Client, fake: RunningFake, rita: Any, paused_channel: Channel
) -> None:
    html = logged_in(client, rita).get("/channels/").content.decode()
    assert CONNECT in html
    assert f"/channels/facebook/{paused_channel.pk}/reconnect/" in html
