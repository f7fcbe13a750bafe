"""The website channel: public news page, Atom feed and clean images."""

import io
from pathlib import Path
from typing import Any

import pytest
import rnc2rng
from django.test import Client
from lxml import etree
from PIL import Image

from carepost.posts.tests.helpers import approved, photo
from carepost.publishing.models import Publication
from carepost.publishing.services import (
    publication_send,
    publication_take_down,
    publication_take_down_execute,
)

pytestmark = pytest.mark.django_db
ATOM_RNC = Path(__file__).parent / "schemas" / "atom.rnc"


def atom_schema() -> etree.RelaxNG:
    rng = rnc2rng.dumps(rnc2rng.load(str(ATOM_RNC)))
    # rnc2rng declares the empty "local" prefix, which XML forbids; RELAX NG does not need it.
    rng = rng.replace('xmlns:local=""', "")
    return etree.RelaxNG(etree.fromstring(rng.encode()))


def published(alice: Any, rita: Any, website: Any, **kw: Any) -> Publication:
    post = approved(alice, rita, website, **kw)
    pub = Publication.objects.get(post=post)
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    return pub


def test_published_post_appears_on_the_public_news_page(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    published(alice, rita, website, text="Sweet peas are up in the garden.")
    response = client.get("/news/thistle/")
    assert response.status_code == 200
    assert "Sweet peas are up in the garden." in response.content.decode()


def test_feed_is_valid_atom_with_the_published_entries(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    published(alice, rita, website, text="First <news> & more", photos=[photo()])
    published(alice, rita, website, text="Second news item")
    response = client.get("/news/thistle/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    doc = etree.fromstring(response.content)
    schema = atom_schema()
    assert schema.validate(doc), schema.error_log
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = doc.xpath("//a:entry/a:title/text()", namespaces=ns)
    assert set(titles) == {"First <news> & more", "Second news item"}
    assert doc.xpath("//a:entry/a:summary[contains(., 'img')]", namespaces=ns)


def test_taken_down_post_leaves_the_page_and_the_feed_at_once(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    pub = published(alice, rita, website, text="Temporary news", photos=[photo()])
    assert client.get(f"/news/thistle/{pub.pk}/photo/0").status_code == 200
    publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    assert "Temporary news" not in client.get("/news/thistle/").content.decode()
    assert "Temporary news" not in client.get("/news/thistle/feed.atom").content.decode()
    assert client.get(f"/news/thistle/{pub.pk}/").status_code == 404
    assert client.get(f"/news/thistle/{pub.pk}/photo/0").status_code == 404
    publication_take_down_execute(publication_id=pub.pk)
    assert client.get(f"/news/thistle/{pub.pk}/").status_code == 404


def test_published_image_carries_no_metadata(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    pub = published(alice, rita, website, photos=[photo()])
    response = client.get(f"/news/thistle/{pub.pk}/photo/0")
    data = response.content
    with Image.open(io.BytesIO(data)) as img:
        assert not img.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(img.info)


def test_unpublished_posts_are_not_on_the_news_page(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    post = approved(alice, rita, website, text="Not yet out")
    pub = Publication.objects.get(post=post)
    assert "Not yet out" not in client.get("/news/thistle/").content.decode()
    assert client.get(f"/news/thistle/{pub.pk}/").status_code == 404


def test_another_organisations_slug_does_not_show_our_news(
    client: Client, alice: Any, rita: Any, website: Any, other_org: Any
) -> None:
    pub = published(alice, rita, website, text="Ours only")
    assert "Ours only" not in client.get("/news/elsewhere/").content.decode()
    assert client.get(f"/news/elsewhere/{pub.pk}/").status_code == 404


def test_unknown_organisation_is_404(client: Client, db: None) -> None:
    assert client.get("/news/nobody/").status_code == 404
