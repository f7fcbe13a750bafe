from __future__ import annotations

import shutil

import pytest

from carepost.screening import Register, RegisterPerson


@pytest.fixture(scope="session")
def photo_register() -> Register:
    return Register.from_people(
        [
            RegisterPerson("P01", "Rose Catherine McAllister", "Rose", ("Mrs Mac",), "Braeview"),
            RegisterPerson("P05", "Jamal Ahmed", "Jamal", (), "Braeview"),
        ]
    )


@pytest.fixture(scope="session")
def exiftool() -> str:
    path = shutil.which("exiftool")
    if path is None:  # `make test` installs it (Debian libimage-exiftool-perl)
        pytest.skip("exiftool is not installed (make test installs it)")
    return path
