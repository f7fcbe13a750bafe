"""How Graph API answers are classified, images fitted and secrets kept out of logs."""

from __future__ import annotations

import io
import json
import logging
import random
from typing import Any

import httpx
import pytest
from PIL import Image

from carepost.publishing.connectors.base import ErrorKind
from carepost.publishing.connectors.facebook import graph
from carepost.publishing.connectors.facebook.connector import first_link, fit_image
from carepost.publishing.connectors.facebook.graph import (
    error_from_response,
    is_not_found,
    usage_wait_seconds,
)
from fakeplatforms import facebook as fake_facebook
from fakeplatforms.testing import RunningFake


def answer(
    status: int,
    code: int | None = None,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    message: str = "Something",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {}
    if code is not None:
        body = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbC"}}
        if subcode is not None:
            body["error"]["error_subcode"] = subcode
    return httpx.Response(status, json=body, headers=headers or {})


@pytest.mark.parametrize("code", [190, 102])
def test_expired_or_invalid_tokens_need_reconnection(code: int) -> None:
    assert error_from_response(answer(400, code), creating=True).kind == ErrorKind.AUTH


def test_an_oauth_401_needs_reconnection() -> None:
    assert error_from_response(answer(401, 2500), creating=False).kind == ErrorKind.AUTH


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttling_codes_are_transient_with_a_wait(code: int) -> None:
    error = error_from_response(answer(400, code), creating=True)
    assert error.kind == ErrorKind.TRANSIENT and error.retry_after == graph.DEFAULT_THROTTLE_WAIT


def test_http_429_waits_as_long_as_the_business_use_case_header_says() -> None:
    usage = {"1234": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    error = error_from_response(
        answer(429, headers={"X-Business-Use-Case-Usage": json.dumps(usage)}), creating=True
    )
    assert error.kind == ErrorKind.TRANSIENT and error.retry_after == 7 * 60


def test_the_longest_estimate_of_all_usage_headers_wins() -> None:
    headers = {
        "X-App-Usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 2}),
        "X-Page-Usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 5}),
    }
    assert usage_wait_seconds(headers) == 300


def test_a_zero_estimate_falls_back_to_retry_after() -> None:
    headers = {
        "X-App-Usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 0}),
        "Retry-After": "42",
    }
    assert error_from_response(answer(429, 4, headers=headers), creating=True).retry_after == 42


@pytest.mark.parametrize("code", [1, 2])
def test_service_errors_are_unknown_for_creates_and_transient_for_reads(code: int) -> None:
    assert error_from_response(answer(500, code), creating=True).kind == ErrorKind.UNKNOWN
    assert error_from_response(answer(500, code), creating=False).kind == ErrorKind.TRANSIENT


@pytest.mark.parametrize("status", [502, 503])
def test_gateway_errors_are_transient_even_for_creates(status: int) -> None:
    assert error_from_response(answer(status, 2), creating=True).kind == ErrorKind.TRANSIENT


def test_a_bare_500_on_create_is_unknown() -> None:
    response = httpx.Response(500, text="<html>oops</html>")
    assert error_from_response(response, creating=True).kind == ErrorKind.UNKNOWN


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (368, "blocked this Page from posting"),
        (100, "did not accept what Carepost sent"),
        (200, "does not have permission to post"),
        (10, "does not have permission to post"),
        (506, "same text twice"),
    ],
)
def test_refusals_are_permanent_and_explained_in_plain_english(code: int, words: str) -> None:
    error = error_from_response(answer(400, code, message="(#x) raw graph text"), creating=True)
    assert error.kind == ErrorKind.PERMANENT
    assert words in error.message
    assert f"Facebook error {code}" in error.message


def test_not_found_is_code_100_subcode_33_or_does_not_exist() -> None:
    assert is_not_found(answer(400, 100, subcode=33, kind="GraphMethodException"))
    assert is_not_found(answer(400, 100, message="Object with ID '1_2' does not exist"))
    assert not is_not_found(answer(400, 100, message="Invalid parameter"))
    assert not is_not_found(answer(400, 190))


def test_the_first_link_loses_trailing_punctuation() -> None:
    assert first_link("See https://a.example/x?y=1. Thanks") == "https://a.example/x?y=1"
    assert first_link("(see https://a.example/b)") == "https://a.example/b"
    assert first_link("No links here.") == ""


def test_small_images_are_sent_untouched() -> None:
    data = b"\xff\xd8\xff small"
    assert fit_image(data, "image/jpeg") == (data, "image/jpeg")


def test_large_images_are_recompressed_at_full_size_when_possible() -> None:
    rng = random.Random(3)
    image = Image.frombytes("RGB", (900, 700), rng.randbytes(900 * 700 * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    data, content_type = fit_image(out.getvalue(), "image/png", max_bytes=1_200_000)
    assert content_type == "image/jpeg" and len(data) <= 1_200_000
    with Image.open(io.BytesIO(data)) as result:
        assert result.size == (900, 700)


def test_images_that_cannot_fit_at_full_size_are_shrunk() -> None:
    rng = random.Random(4)
    image = Image.frombytes("RGB", (600, 600), rng.randbytes(600 * 600 * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    data, _ = fit_image(out.getvalue(), "image/png", max_bytes=120_000)
    assert len(data) <= 120_000
    with Image.open(io.BytesIO(data)) as result:
        assert result.size[0] < 600


def test_transparent_images_are_flattened_on_white() -> None:
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))  # right half stays transparent
    noise = Image.frombytes("RGB", (150, 300), random.Random(5).randbytes(150 * 300 * 3))
    image.paste(noise.convert("RGBA"), (0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert len(out.getvalue()) > 150_000
    data, _ = fit_image(out.getvalue(), "image/png", max_bytes=150_000)
    with Image.open(io.BytesIO(data)) as result:
        r, g, b = result.convert("RGB").getpixel((250, 150))
        assert min(r, g, b) > 240


def test_secrets_in_oauth_requests_never_reach_the_log(
    fake: RunningFake, caplog: pytest.LogCaptureFixture
) -> None:
    from carepost.publishing.connectors.facebook.tests.conftest import VERSION, allow_in_dialog

    redirect_uri = "http://127.0.0.1:9/callback/"
    location = allow_in_dialog(
        f"{fake.url}/{VERSION}/dialog/oauth?client_id={fake_facebook.APP_ID}"
        f"&redirect_uri={redirect_uri}&state=s"
    )
    code = httpx.URL(location).params["code"]
    with caplog.at_level(logging.DEBUG):
        user_token = graph.exchange_code(code=code, redirect_uri=redirect_uri)
        long_lived = graph.exchange_long_lived(user_token=user_token)
        pages = graph.list_pages(user_token=long_lived)
    assert pages and caplog.records
    for secret in (
        code,
        user_token,
        long_lived,
        fake_facebook.APP_SECRET,
        pages[0]["access_token"],
    ):
        assert secret not in caplog.text
