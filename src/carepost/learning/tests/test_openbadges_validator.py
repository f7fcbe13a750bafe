"""1EdTech's Open Badges validator checks our Issuer, BadgeClass and Assertion, offline.

The validator (`openbadges` 1.1.2) pins old libraries that clash with ours, so it runs in
its own virtual environment, built once from the package registry into
var/openbadges-validator-venv (see openbadges_validator/requirements.txt). It fetches the
badge from this app's live test server on 127.0.0.1; the JSON-LD context is answered
from the copy the validator ships, and any other host is refused (openbadges_validator/run.py).
"""

# ruff: noqa: S603 (runs our own pinned validator venv with fixed arguments)

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from carepost.learning import badges, services
from carepost.learning.tests.helpers import earned_badge

HERE = Path(__file__).parent / "openbadges_validator"
REQUIREMENTS = HERE / "requirements.txt"
ROOT = Path(__file__).resolve().parents[4]
VENV = ROOT / "var" / "openbadges-validator-venv"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

pytestmark = pytest.mark.django_db(transaction=True)


def _python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


@pytest.fixture(scope="session")
def validator_python() -> Path:
    """The validator's own venv, built once and rebuilt when its pins change."""
    stamp = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    marker = VENV / ".carepost-stamp"
    if marker.exists() and marker.read_text() == stamp and _python(VENV).exists():
        return _python(VENV)
    building = VENV.with_name(VENV.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    try:
        if Path(uv).exists():
            subprocess.run(
                [uv, "venv", "--quiet", "--python", sys.executable, str(building)], check=True
            )
            install = [uv, "pip", "install", "--quiet", "--python", str(_python(building))]
        else:
            venv.create(building, with_pip=True)
            install = [str(_python(building)), "-m", "pip", "install", "--quiet"]
        subprocess.run([*install, "--no-deps", "-r", str(REQUIREMENTS)], check=True)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"Could not build the Open Badges validator's venv from the registry: {exc}")
    (building / ".carepost-stamp").write_text(stamp)
    shutil.rmtree(VENV, ignore_errors=True)
    building.rename(VENV)
    return _python(VENV)


def validate(python: Path, target: str, email: str | None = None) -> dict[str, Any]:
    args = [str(python), str(HERE / "run.py"), target, *([email] if email else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def assert_offline(result: dict[str, Any]) -> None:
    assert result["refused"] == []
    for url in result["requested"]:
        assert urlparse(url).hostname in LOOPBACK or url in result["served_locally"], url


@pytest.fixture
def issued(live_server: Any, settings: Any, org: Any, alice: Any) -> Any:
    from conftest import _member

    settings.SITE_URL = live_server.url
    admin = _member(org, "ada", "org_admin")
    services.badge_issuer_update(
        membership=admin,
        name="Thistle Care",
        email="learning@thistle.example.org",
        url="https://thistle.example.org/",
    )
    (module, *_) = services.modules_install_starter(membership=admin)
    return earned_badge(alice, module)


def test_the_issued_assertion_validates_against_the_served_urls(
    validator_python: Path, issued: Any
) -> None:
    result = validate(validator_python, badges.assertion_url(issued), "alice@example.org")
    report = result["report"]
    assert report["valid"] is True, report["messages"]
    assert report["errorCount"] == 0 and report["openBadgesVersion"] == "2.0"
    assert {"Assertion", "BadgeClass", "Issuer"} <= set(result["graph_types"])
    assert_offline(result)
    assert result["served_locally"], "the JSON-LD context was answered from the local copy"


def test_the_badge_class_and_the_issuer_validate_on_their_own(
    validator_python: Path, issued: Any
) -> None:
    for url, kind in (
        (badges.badge_class_url(issued.badge_class), "BadgeClass"),
        (badges.issuer_url(issued.organisation.badge_issuer), "Issuer"),
    ):
        result = validate(validator_python, url)
        assert result["report"]["valid"] is True, (kind, result["report"]["messages"])
        assert kind in result["graph_types"]
        assert_offline(result)


def test_the_validator_rejects_the_badge_for_someone_elses_email(
    validator_python: Path, issued: Any
) -> None:
    result = validate(validator_python, badges.assertion_url(issued), "bob@example.org")
    assert result["report"]["valid"] is False
    assert_offline(result)


def test_the_baked_png_validates_and_carries_the_served_assertion(
    validator_python: Path, issued: Any, tmp_path: Path
) -> None:
    png = tmp_path / "badge.png"
    png.write_bytes(badges.baked_png(issued))
    assert badges.unbaked(png.read_bytes()) == badges.assertion_document(issued)
    result = validate(validator_python, str(png), "alice@example.org")
    assert result["report"]["valid"] is True, result["report"]["messages"]
    assert_offline(result)
