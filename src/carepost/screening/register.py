"""The register of people supported and the organisation's services, compiled for matching.

Build it once per organisation and reuse it for every post::

    oak = Service("Oak Lodge", sensitivity="secret", address="15 Birch Avenue, Barrhead G78 1QQ")
    register = Register.from_people(people, services=[oak])

Names are matched on tokens of the normalised, lower-cased text. A dict from each form's
first token to the forms that start with it makes matching one dict look-up per word
of the post, whatever the size of the register. One-letter typos are found through a
deletion-neighbourhood index of the name tokens of five letters or more.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .lexicon import english_words
from .normalise import fold_text, normalise

TITLES: Final[tuple[str, ...]] = ("mr", "mrs", "miss", "ms", "mx", "dr")
SENSITIVITIES: Final[tuple[str, ...]] = ("normal", "sensitive", "secret")

_WORD: Final = re.compile(r"[^\W_]+")

# Strength of each kind of form (higher wins when one person matches twice at one place).
FORM_KINDS: Final[dict[str, int]] = {
    "full_name": 6,
    "reversed_name": 5,
    "title_surname": 4,
    "alias": 3,
    "preferred_name": 2,
    "first_name": 1,
}


@dataclass(frozen=True)
class RegisterPerson:
    """A person supported, as on the consent register."""

    id: str
    full_name: str
    preferred_name: str = ""
    aliases: tuple[str, ...] = ()
    service: str = ""


@dataclass(frozen=True)
class Service:
    """A service of the organisation. ``sensitivity="secret"`` (a children's house, a refuge)
    makes the location check flag any mention of its address, street or postcode."""

    name: str
    sensitivity: str = "normal"
    address: str = ""
    kind: str = ""  # free text, e.g. "care_home", "children", "refuge"
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITIES:
            raise ValueError(
                f"sensitivity must be one of {SENSITIVITIES}, not {self.sensitivity!r}"
            )


@dataclass(frozen=True, slots=True)
class Form:
    tokens: tuple[str, ...]
    person_id: str
    kind: str


class Mention:
    """A register person found in a post (offsets in the normalised text)."""

    __slots__ = ("end", "first_token", "kind", "last_token", "person_id", "start", "tag", "typo")

    def __init__(
        self,
        person_id: str,
        start: int,
        end: int,
        kind: str,
        first_token: int,
        last_token: int,
        typo: bool = False,
        tag: bool = False,
    ) -> None:
        self.person_id = person_id
        self.start = start
        self.end = end
        self.kind = kind
        self.first_token = first_token
        self.last_token = last_token
        self.typo = typo
        self.tag = tag


def name_variants(name: str) -> list[tuple[str, ...]]:
    """Token sequences for a name, split at apostrophes/hyphens and joined ("o neill", "oneill")."""
    norm, _ = normalise(name)
    fold = fold_text(norm)
    split = tuple(_WORD.findall(fold))
    joined = tuple(t for word in fold.split() if (t := "".join(_WORD.findall(word))))
    variants = [split]
    if joined != split and joined:
        variants.append(joined)
    return [v for v in variants if v]


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Register:
    """People supported and services; compiled for matching. Immutable once built."""

    def __init__(self, people: Iterable[RegisterPerson] = (), services: Iterable[Service] = ()):
        self.people: dict[str, RegisterPerson] = {}
        self.services: tuple[Service, ...] = tuple(services)
        self.by_first: dict[str, list[tuple[tuple[str, ...], list[Form]]]] = {}
        self.name_tokens: set[str] = set()
        self.single_names: set[str] = set()  # tokens that alone name somebody
        self.typo_index: dict[str, set[str]] = {}
        self.service_tokens: set[str] = set()
        self.person_service: dict[str, str] = {}
        self._typo_cache: dict[str, set[str]] = {}
        # the same entries as by_first, split for matching: multi-word forms by their
        # first two tokens, one-word forms by their token (both longest first, as in
        # by_first), so a word is compared only with the forms that can match it
        self.by_pair: dict[tuple[str, str], list[tuple[tuple[str, ...], list[Form]]]] = {}
        self.by_single: dict[str, list[tuple[tuple[str, ...], list[Form]]]] = {}
        self._typo_keys: dict[str, str | None] = {}
        self._messages: dict[tuple[str, str, bool], str] = {}  # person check's messages
        forms: dict[tuple[str, ...], dict[str, Form]] = {}

        def add(tokens: tuple[str, ...], person_id: str, kind: str) -> None:
            if not tokens:
                return
            slot = forms.setdefault(tokens, {})
            old = slot.get(person_id)
            if old is None or FORM_KINDS[kind] > FORM_KINDS[old.kind]:
                slot[person_id] = Form(tokens, person_id, kind)

        for person in people:
            if person.id in self.people:
                raise ValueError(f"duplicate register id {person.id!r}")
            self.people[person.id] = person
            self.person_service[person.id] = person.service
            words = person.full_name.split()
            if not words:
                continue
            for variant in name_variants(person.full_name):
                add(variant, person.id, "full_name")
            firsts = name_variants(words[0])
            surnames = name_variants(words[-1]) if len(words) > 1 else []
            givens = list(firsts)
            if person.preferred_name:
                prefs = name_variants(person.preferred_name)
                for pref in prefs:
                    add(pref, person.id, "preferred_name" if len(pref) == 1 else "alias")
                givens += prefs
            for first in firsts:
                add(first, person.id, "first_name")
            for alias in person.aliases:
                for variant in name_variants(alias):
                    add(variant, person.id, "alias")
                    if len(variant) == 1 and variant[0] not in TITLES:
                        givens.append(variant)
            for surname in surnames:
                for given in givens:
                    add(given + surname, person.id, "full_name")
                    add(surname + given, person.id, "reversed_name")
                for title in TITLES:
                    add((title, *surname), person.id, "title_surname")

        common = english_words()
        for tokens, slot in forms.items():
            entry = (tokens, list(slot.values()))
            self.by_first.setdefault(tokens[0], []).append(entry)
            self.name_tokens.update(tokens)
            if len(tokens) == 1:
                self.single_names.add(tokens[0])
        for entries in self.by_first.values():
            entries.sort(key=lambda item: -len(item[0]))
            for entry in entries:
                form_tokens = entry[0]
                if len(form_tokens) == 1:
                    self.by_single.setdefault(form_tokens[0], []).append(entry)
                else:
                    self.by_pair.setdefault((form_tokens[0], form_tokens[1]), []).append(entry)
        # words that can start a match: a form's first word, or a possessive written
        # without its apostrophe ("peggys") of a one-word name
        self.start_keys: frozenset[str] = frozenset(self.by_first) | frozenset(
            name + "s" for name in self.single_names if len(name) + 1 > 3
        )
        for name_token in self.name_tokens:
            if len(name_token) >= 5 and name_token not in TITLES and name_token not in common:
                for deleted in deletions(name_token) | {name_token}:
                    self.typo_index.setdefault(deleted, set()).add(name_token)
        for service in self.services:
            for name in (service.name, *service.aliases):
                for variant in name_variants(name):
                    self.service_tokens.add(variant[0])
        for person in self.people.values():
            if person.service:
                for variant in name_variants(person.service):
                    self.service_tokens.add(variant[0])

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def from_people(
        cls, people: Iterable[RegisterPerson], *, services: Iterable[Service] = ()
    ) -> Register:
        return cls(people, services)

    @classmethod
    def from_csv(cls, path: str | Path, *, services: Iterable[Service] = ()) -> Register:
        """Read ``id,full_name,preferred_name,aliases,service`` (aliases split on ``|``)."""
        people = []
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"id", "full_name"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            for row in reader:
                aliases = tuple(
                    a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()
                )
                people.append(
                    RegisterPerson(
                        id=row["id"].strip(),
                        full_name=(row.get("full_name") or "").strip(),
                        preferred_name=(row.get("preferred_name") or "").strip(),
                        aliases=aliases,
                        service=(row.get("service") or "").strip(),
                    )
                )
        return cls(people, services)

    @classmethod
    def empty(cls) -> Register:
        return _EMPTY

    # -- queries ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.people)

    def typo_candidates(self, token: str) -> set[str]:
        cached = self._typo_cache.get(token)
        if cached is not None:
            return cached
        result = self._typo_candidates(token)
        if len(self._typo_cache) < 100_000:
            self._typo_cache[token] = result
        return result

    def typo_key(self, key: str) -> str | None:
        """The register name token a capitalised word is a one-letter typo of (the
        smallest if several), or None: only for words of four letters or more that are
        neither a name token nor an English word."""
        if key in self._typo_keys:
            return self._typo_keys[key]
        result = None
        if (
            self.typo_index
            and len(key) >= 4
            and key not in self.name_tokens
            and key not in english_words()
            and key.isalpha()
        ):
            found = self.typo_candidates(key)
            if found:
                result = min(found)
        if len(self._typo_keys) < 100_000:
            self._typo_keys[key] = result
        return result

    def _typo_candidates(self, token: str) -> set[str]:
        found: set[str] = set()
        index = self.typo_index
        if token in index:
            found |= index[token]
        for variant in deletions(token):
            if variant in index:
                found |= index[variant]
        return {name for name in found if name != token and _one_edit(token, name)}

    def service_of(self, person_id: str) -> Service | None:
        name = self.person_service.get(person_id, "")
        for service in self.services:
            if service.name == name:
                return service
        return None


def _one_edit(a: str, b: str) -> bool:
    """True if a and b differ by one insertion, deletion or substitution."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if la > lb:
        a, b = b, a
    return any(a == b[:i] + b[i + 1 :] for i in range(len(b)))


_EMPTY = Register()

__all__ = ["Form", "Mention", "Register", "RegisterPerson", "Service"]
