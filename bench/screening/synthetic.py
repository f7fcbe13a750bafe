"""A synthetic register: the corpus register plus Faker en_GB people (seeded)."""

from __future__ import annotations

from pathlib import Path

from carepost.screening import Register, RegisterPerson

SERVICES = ("Braeview House", "Riverside Day Centre", "Oak Lodge", "Cairn Supported Living")


def synthetic_people(count: int, seed: int = 4) -> list[RegisterPerson]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(seed)
    people = []
    for n in range(count):
        first, last = fake.first_name(), fake.last_name()
        middle = fake.first_name() if n % 3 == 0 else ""
        full = " ".join(p for p in (first, middle, last) if p)
        nickname = first[:3] + "ie" if n % 5 == 0 else ""
        people.append(
            RegisterPerson(
                id=f"S{n:05d}",
                full_name=full,
                preferred_name=first,
                aliases=(nickname,) if nickname else (),
                service=SERVICES[n % 4],
            )
        )
    return people


def big_register(corpus_register: Path, size: int = 10_000) -> Register:
    base = Register.from_csv(corpus_register)
    people = list(base.people.values())
    people += synthetic_people(size - len(people))
    return Register.from_people(people)
