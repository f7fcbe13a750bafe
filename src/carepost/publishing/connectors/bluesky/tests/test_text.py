"""Grapheme counting, facet byte offsets and record keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from carepost.publishing.connectors.bluesky.connector import BlueskyConnector
from carepost.publishing.connectors.bluesky.text import (
    grapheme_clusters,
    grapheme_count,
    tid,
    tid_for,
    tid_timestamp,
    utf8_offset,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Braeview", 8),
        ("cafe\u0301", 4),  # e + combining acute accent
        ("Ǹ\u0323\u0300", 1),  # several combining marks on one letter
        ("👍🏽", 1),  # skin-tone modifier
        ("👨‍👩‍👧‍👦", 1),  # family joined with zero-width joiners
        ("🧑🏽‍🦰", 1),  # modifier inside a ZWJ sequence
        ("🇬🇧🇫🇷", 2),  # two flags of regional indicator pairs
        ("🇬🇧🇫", 2),  # a flag and an unpaired indicator
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 1),  # Scotland
        ("1️⃣", 1),  # keycap
        ("❤️", 1),  # variation selector
        ("\r\n", 1),
        ("a\u200db", 2),  # a joiner between letters does not join them
        ("한국어", 3),  # precomposed Hangul
        ("\u1100\u1161\u11a8", 1),  # Hangul jamo L V T
        ("ไทำ", 2),  # Thai SARA AM is a spacing mark
        ("", 0),
    ],
)
def test_graphemes_are_counted_as_readers_see_them(text: str, expected: int) -> None:
    assert grapheme_count(text) == expected
    assert "".join(grapheme_clusters(text)) == text


def test_indic_conjuncts_are_over_counted_never_under_counted() -> None:
    # Unicode 15.1 counts क्ष as one; we count two (documented): safe for a limit.
    assert grapheme_count("क्ष") == 2


def test_utf8_offsets_count_bytes_not_characters() -> None:
    text = "Ça va 🌻 #Fête"
    index = text.index("#")
    assert utf8_offset(text, index) == len("Ça va 🌻 ".encode())
    assert utf8_offset(text, index) == 12


class _Channel:
    pk = 1
    config = {"service_url": "http://127.0.0.1:9", "did": "did:plc:x", "handle": "a.test"}


def test_facets_point_at_utf8_byte_ranges_in_non_ascii_text(settings: Any) -> None:
    text = "Gàidhlig 🌿 fèis: https://fèis.example/là #FèisBhraeview (café)"
    facets = BlueskyConnector(_Channel()).facets(text)
    raw = text.encode()
    found = {raw[f.index.byte_start : f.index.byte_end].decode(): f.features[0] for f in facets}
    assert set(found) == {"https://fèis.example/là", "#FèisBhraeview"}
    assert found["#FèisBhraeview"].tag == "FèisBhraeview"
    assert facets == sorted(facets, key=lambda f: f.index.byte_start)


def test_trailing_punctuation_is_not_part_of_a_link(settings: Any) -> None:
    text = "See https://braeview.example/news."
    [facet] = BlueskyConnector(_Channel()).facets(text)
    assert text.encode()[facet.index.byte_start : facet.index.byte_end] == (
        b"https://braeview.example/news"
    )


def test_a_tid_has_13_sortable_characters_and_round_trips() -> None:
    value = tid(1_714_564_800_123_456, 5)
    assert len(value) == 13 and value[0] in "234567abcdefghij"
    assert tid_timestamp(value) == 1_714_564_800_123_456
    assert tid(1_714_564_800_123_456, 6) > value
    assert tid(1_714_564_800_123_457, 0) > tid(1_714_564_800_123_456, 1023)


def test_a_publications_tid_is_stable_and_uses_its_id_as_clock() -> None:
    created = datetime(2026, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert tid_for(created, 1025) == tid_for(created, 1025)
    assert tid_for(created, 1025) == tid_for(created, 1)  # same clock id 1
    assert tid_for(created, 1026) != tid_for(created, 1025)
    assert tid_timestamp(tid_for(created, 7)) == int(created.timestamp()) * 1_000_000 + 123456


def test_a_tid_refuses_values_out_of_range() -> None:
    with pytest.raises(ValueError):
        tid(2**53, 0)
    with pytest.raises(ValueError):
        tid(0, 1024)
