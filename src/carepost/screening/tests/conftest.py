from __future__ import annotations

import pytest

from carepost.screening import Register, RegisterPerson, Service

PEOPLE = [
    RegisterPerson(
        "P01", "Rose Catherine McAllister", "Rose", ("Mrs Mac", "Rosie"), "Braeview House"
    ),
    RegisterPerson(
        "P02", "William James Hendry", "Will", ("Willie", "Mr Hendry"), "Braeview House"
    ),
    RegisterPerson("P03", "Margaret Anne Docherty", "Peggy", ("Mrs D", "Maggie"), "Braeview House"),
    RegisterPerson("P04", "Grace Elizabeth O'Neill", "Grace", ("Gracie",), "Braeview House"),
    RegisterPerson("P07", "May Isobel Robertson", "May", ("Wee May",), "Braeview House"),
    RegisterPerson("P17", "Jack Peter Lindsay", "Jack", ("Jacky",), "Riverside Day Centre"),
    RegisterPerson("P26", "Jack Connor Stewart", "Jack", ("Jacko",), "Oak Lodge"),
    RegisterPerson("P28", "Hope Temitope Adebayo", "Hope", ("Hopey",), "Oak Lodge"),
    RegisterPerson("P34", "William Robert Paterson", "Bill", ("Billy", "Mr Paterson"), "Cairn"),
    RegisterPerson("P33", "Dawn Elizabeth Baird", "Dawn", (), "Cairn"),
    RegisterPerson("P11", "Siobhán Bernadette Quinn", "Siobhán", ("Shiv",), "Braeview House"),
    RegisterPerson("P24", "Ann-Marie Boyle", "Ann-Marie", ("Annie",), "Riverside Day Centre"),
]


@pytest.fixture(scope="session")
def register() -> Register:
    return Register.from_people(
        PEOPLE,
        services=[
            Service("Oak Lodge", sensitivity="secret", address="15 Birch Avenue, Barrhead G78 1QQ")
        ],
    )
