"""person: mentions of people on the register, by any form of their name.

Multi-word forms (full name, first name + surname, title + surname, reversed names,
aliases such as "Big Ray") are matched directly. A single word that is also an
ordinary English word ("Rose", "Will", "May", "Grace") needs evidence that it is a
name: a capital letter in the middle of a sentence, or -- where capitals tell nothing
(start of a sentence, ALL CAPS, a hashtag, a writer who never uses capitals) -- the
words around it ("Will has...", "Hope's", "Sandy and Iris"). Known phrases ("rose
garden", "Union Jack") and other proper nouns next to it ("Hope Street", "Frank
Sinatra") veto it.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Final

from ..findings import Finding, make_finding
from ..lexicon import english_words, given_names, name_false_friends
from ..normalise import fold_text, normalise
from ..register import TITLES, Form, Mention, Register, name_variants
from ..text import LOWER, TITLE, UPPER, Doc, Token

DETERMINERS: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "every",
        "each",
        "no",
        "another",
        "such",
        "what",
        "which",
        "whose",
    ]
)
VOCATIVE: Final = frozenset(
    [
        "congratulations",
        "congrats",
        "thanks",
        "thank",
        "welcome",
        "hello",
        "hi",
        "hiya",
        "dear",
        "meet",
        "birthday",
        "happy",
        "done",
        "luck",
        "love",
        "go",
        "bye",
        "cheers",
        "proud",
        "hats",
        "off",
        "shout",
        "out",
        "to",
        "with",
        "for",
        "by",
        "from",
        "and",
        "our",
        "wee",
        "big",
        "lovely",
        "wonderful",
        "brilliant",
        "gorgeous",
        "amazing",
        "star",
    ]
)
NAME_FOLLOWERS: Final = frozenset(
    [
        "is",
        "was",
        "has",
        "had",
        "have",
        "says",
        "said",
        "will",
        "would",
        "can",
        "could",
        "did",
        "does",
        "who",
        "whose",
        "loves",
        "loved",
        "likes",
        "liked",
        "enjoyed",
        "enjoys",
        "won",
        "got",
        "made",
        "went",
        "came",
        "took",
        "gave",
        "turned",
        "turns",
        "finished",
        "started",
        "joined",
        "spent",
        "celebrated",
        "celebrates",
        "baked",
        "cooked",
        "ran",
        "led",
        "painted",
        "built",
        "scored",
        "sang",
        "danced",
        "told",
        "asked",
        "wants",
        "wanted",
        "needs",
        "needed",
        "just",
        "also",
        "always",
        "never",
        "really",
        "finally",
        "recently",
        "hit",
        "ate",
        "drank",
        "fell",
        "sat",
        "met",
        "saw",
        "wrote",
        "drew",
        "read",
        "put",
        "set",
        "cut",
        "let",
        "kept",
        "left",
        "lost",
        "paid",
        "sold",
        "brought",
        "bought",
        "caught",
        "taught",
        "thought",
        "found",
        "felt",
        "heard",
        "held",
        "knew",
        "grew",
        "flew",
        "threw",
        "swam",
        "rang",
        "sent",
        "spoke",
        "stood",
        "won",
        "wore",
        "woke",
        "became",
        "began",
        "chose",
        "drove",
        "forgot",
        "gets",
        "goes",
        "keeps",
        "isn't",
        "wasn't",
        "hasn't",
        "can't",
        "won't",
        "didn't",
        "doesn't",
        "is's",
    ]
)
OBJECTS: Final = frozenset(
    [
        "her",
        "his",
        "him",
        "their",
        "them",
        "the",
        "a",
        "an",
        "my",
        "our",
        "your",
        "everyone",
        "everybody",
        "every",
        "it",
        "this",
        "that",
        "all",
        "us",
        "me",
    ]
)
MONTH_BEFORE: Final = frozenset(
    [
        "in",
        "of",
        "on",
        "since",
        "until",
        "till",
        "by",
        "during",
        "early",
        "late",
        "mid",
        "next",
        "last",
        "this",
        "from",
        "through",
        "throughout",
        "before",
        "after",
        "every",
        "each",
    ]
)
CONNECTORS: Final = frozenset(("and", "&", "or"))

_false_friend_index: dict[str, list[tuple[int, list[str]]]] | None = None


def _false_friends() -> dict[str, list[tuple[int, list[str]]]]:
    """Each word of a false-friend phrase -> (its position in the phrase, the phrase)."""
    global _false_friend_index
    if _false_friend_index is None:
        index: dict[str, list[tuple[int, list[str]]]] = {}
        for phrase in name_false_friends():
            for variant in name_variants(phrase):
                for token in set(variant):
                    for pos, word in enumerate(variant):
                        if word == token:
                            index.setdefault(token, []).append((pos, list(variant)))
        _false_friend_index = index
    return _false_friend_index


def _in_false_friend(doc: Doc, i: int, key: str) -> bool:
    phrases = _false_friends().get(key)
    if not phrases:
        return False
    keys = doc.token_keys()
    for pos, phrase in phrases:
        first = i - pos
        if first >= 0 and keys[first : first + len(phrase)] == phrase:
            return True
    return False


def _gap(doc: Doc, a: Token, b: Token) -> str:
    return doc.norm[a.end : b.start]


def _gap_ok(gap: str, reversed_form: bool) -> bool:
    if len(gap) > 3:
        return False
    stripped = gap.strip(" -'.")
    if not stripped:
        return True
    return reversed_form and stripped == ","


def _same_sentence_neighbour(doc: Doc, i: int, step: int) -> Token | None:
    j = i + step
    if j < 0 or j >= len(doc.tokens):
        return None
    here, there = doc.tokens[i], doc.tokens[j]
    if step > 0 and there.initial:
        return None
    if step < 0 and here.initial:
        return None
    return there


class _Candidate:
    __slots__ = ("decision", "first", "forms", "last", "typo")

    def __init__(self, first: int, last: int, forms: list[Form], typo: bool) -> None:
        self.first = first
        self.last = last
        self.forms = forms
        self.typo = typo
        self.decision = 0  # 1 accept, -1 reject, 0 undecided (needs a neighbour's evidence)


def find_mentions(doc: Doc, register: Register) -> list[Mention]:
    """All register mentions in the post (used by this and other checks)."""
    if not register.people or not doc.tokens:
        return []
    tokens = doc.tokens
    common = english_words()
    by_first = register.by_first
    keys = list(doc.token_keys())
    n = len(keys)
    typos = [False] * n
    if register.typo_index:
        known = register._typo_keys  # typo_key's cache, read here without the call
        shapes = doc.token_shapes()
        for index in range(n):
            if shapes[index] != TITLE and shapes[index] != UPPER:
                continue
            key = keys[index]
            replacement = known[key] if key in known else register.typo_key(key)
            if replacement is not None:
                keys[index] = replacement
                typos[index] = True
    # Only words that start a form (or a possessive of a one-word name) can start a match.
    start_keys = register.start_keys
    starts = [index for index in range(n) if keys[index] in start_keys]
    candidates: list[_Candidate] = []
    if not starts:
        return _lowercase_tags(doc, register, [])
    next_free = 0
    by_pair, by_single = register.by_pair, register.by_single
    for i in starts:
        if i < next_free:
            continue
        key = keys[i]
        suffix = key not in by_first
        if suffix:
            entries = by_single.get(key[:-1], [])
        else:
            # by_first[key] in order, less the multi-word forms whose second word differs
            entries = by_single.get(key, [])
            if i + 1 < n:
                longer = by_pair.get((key, keys[i + 1]))
                if longer:
                    entries = longer + entries
        for form_tokens, forms in entries:
            length = len(form_tokens)
            if i + length > n:
                continue
            reversed_form = forms[0].kind == "reversed_name"
            ok = True
            for k in range(1, length):
                if keys[i + k] != form_tokens[k] or not _gap_ok(
                    _gap(doc, tokens[i + k - 1], tokens[i + k]), reversed_form
                ):
                    ok = False
                    break
            if not ok:
                continue
            if any(len(t) == 1 and tokens[i + k].shape != UPPER for k, t in enumerate(form_tokens)):
                continue
            cand = _Candidate(i, i + length - 1, forms, any(typos[i : i + length]))
            if length == 1:
                cand.decision = _judge_single(doc, register, keys, i, suffix, common)
            else:
                cand.decision = _judge_multi(doc, i, form_tokens, common)
            if cand.decision >= 0:
                candidates.append(cand)
                next_free = i + length
            break

    _propagate(doc, candidates)
    mentions: list[Mention] = []
    for cand in candidates:
        if cand.decision != 1:
            continue
        start, end = tokens[cand.first].start, tokens[cand.last].end
        for form in cand.forms:
            mentions.append(
                Mention(
                    form.person_id,
                    start,
                    end,
                    form.kind,
                    cand.first,
                    cand.last,
                    cand.typo,
                    tokens[cand.first].tag,
                )
            )
    mentions.extend(_lowercase_tags(doc, register, mentions))
    return mentions


def _judge_multi(doc: Doc, i: int, form_tokens: tuple[str, ...], common: frozenset[str]) -> int:
    tokens = doc.tokens
    name_words = [t for t in form_tokens if t not in TITLES]
    all_common = all(t in common or len(t) <= 2 for t in name_words)
    if all_common and not doc.casual:
        last = tokens[i + len(form_tokens) - 1]
        if last.shape == LOWER:
            return -1
    return 1


def _judge_single(
    doc: Doc, register: Register, keys: list[str], i: int, suffix: bool, common: frozenset[str]
) -> int:
    tokens = doc.tokens
    token = tokens[i]
    key = keys[i][:-1] if suffix else keys[i]
    is_common = key in common or len(key) <= 2
    # Glued by a hyphen to another word: part of a compound ("jack-o'-lantern").
    if i + 1 < len(tokens) and doc.norm[token.end : tokens[i + 1].start] in ("-", "-o'-"):
        return -1
    if i > 0 and doc.norm[tokens[i - 1].end : token.start] == "-":
        return -1
    if _in_false_friend(doc, i, key):
        return -1
    if token.shape != UPPER and not token.tag:
        prev = _same_sentence_neighbour(doc, i, -1)
        if (
            prev is not None
            and prev.shape == TITLE
            and doc.norm[prev.end : token.start] == " "
            and prev.key not in TITLES
            and prev.key not in VOCATIVE
            and prev.key not in register.single_names
            and (not prev.initial or prev.key in given_names() or prev.key not in english_words())
        ):
            return -1  # "Selkirk Grace", "Bob Dylan"
        nxt = _same_sentence_neighbour(doc, i, 1)
        if (
            nxt is not None
            and nxt.shape == TITLE
            and doc.norm[token.end : nxt.start] == " "
            and nxt.key not in register.single_names
            and nxt.key not in VOCATIVE
        ):
            return -1  # "Hope Street", "Frank Sinatra"
    if len(key) <= 2 and token.shape == LOWER:
        return -1
    if not is_common:
        return -1 if _quoted_title(doc, register, i) else 1
    if suffix:
        return 1 if doc.casual and token.initial else -1
    prev = _same_sentence_neighbour(doc, i, -1)
    if prev is not None and prev.key in DETERMINERS:
        return -1
    if key == "may" and _month_context(doc, i):
        return -1
    shape = token.shape
    if shape == LOWER and not doc.casual:
        return -1
    if shape == TITLE and not token.initial and not token.tag:
        return 1
    return 1 if _evidence(doc, register, i) else 0


def _quoted_title(doc: Doc, register: Register, i: int) -> bool:
    """'Annie' in quotes, not between other parts of a name: the title of a show or book."""
    tokens = doc.tokens
    token = tokens[i]
    before = doc.norm[tokens[i - 1].end if i else 0 : token.start]
    after = doc.norm[token.end : tokens[i + 1].start if i + 1 < len(tokens) else len(doc.norm)]
    if not (
        before.endswith(("'", '"')) and after.startswith(("'", '"')) and not after.startswith("'s")
    ):
        return False
    neighbours = [tokens[k].key for k in (i - 1, i + 1) if 0 <= k < len(tokens)]
    return not any(key in register.name_tokens for key in neighbours)


def _month_context(doc: Doc, i: int) -> bool:
    tokens = doc.tokens
    if i > 0:
        prev = tokens[i - 1]
        if prev.key in MONTH_BEFORE or prev.key.isdigit() or prev.key[:-2].isdigit():
            return True
    return i + 1 < len(tokens) and tokens[i + 1].key.isdigit()


def _evidence(doc: Doc, register: Register, i: int) -> bool:
    tokens = doc.tokens
    nxt = _same_sentence_neighbour(doc, i, 1)
    if nxt is not None:
        gap = doc.norm[tokens[i].end : nxt.start]
        if nxt.key == "s" and gap == "'":
            return True
        if nxt.key in NAME_FOLLOWERS and gap.strip() in ("", ","):
            return True
        if len(nxt.key) > 4 and nxt.key.endswith("ed") and nxt.key.isalpha() and gap == " ":
            return True
        if nxt.key.endswith("s") and nxt.key in english_words() and i + 2 < len(tokens):
            after = tokens[i + 2]
            if not after.initial and after.key in OBJECTS:
                return True
        if (
            nxt.key in ("from", "at")
            and i + 2 < len(tokens)
            and tokens[i + 2].key in register.service_tokens
        ):
            return True
    prev = _same_sentence_neighbour(doc, i, -1)
    return prev is not None and prev.key in VOCATIVE and prev.key not in CONNECTORS


def _propagate(doc: Doc, candidates: list[_Candidate]) -> None:
    """Names joined by "and" or commas share their evidence ("Sandy and Iris spent...")."""
    tokens = doc.tokens
    changed = True
    while changed:
        changed = False
        for a, b in pairwise(candidates):
            if {a.decision, b.decision} != {0, 1}:
                continue
            between = tokens[a.last + 1 : b.first]
            gap_text = doc.norm[tokens[a.last].end : tokens[b.first].start]
            if (
                len(between) <= 1
                and all(t.key in CONNECTORS for t in between)
                and (between or "," in gap_text)
            ):
                a.decision = b.decision = 1
                changed = True


def _lowercase_tags(doc: Doc, register: Register, found: list[Mention]) -> list[Mention]:
    """Names run together inside an all-lower-case #hashtag or @handle."""
    extra: list[Mention] = []
    norm = doc.norm
    common = english_words()
    seen = {(m.start, m.person_id) for m in found}
    start = norm.find("#")
    at = norm.find("@")
    if start < 0 and at < 0:
        return extra
    for token in doc.tokens:
        if not token.tag or token.shape != LOWER or len(token.key) < 6:
            continue
        word = token.key
        for size in range(len(word) - 1, 3, -1):
            for offset in range(0, len(word) - size + 1):
                piece = word[offset : offset + size]
                if piece in common or piece not in register.single_names:
                    continue
                for _tokens, forms in register.by_first.get(piece, []):
                    if len(_tokens) != 1:
                        continue
                    for form in forms:
                        s = token.start + offset
                        if (s, form.person_id) in seen:
                            continue
                        seen.add((s, form.person_id))
                        extra.append(
                            Mention(form.person_id, s, s + size, form.kind, 0, 0, False, True)
                        )
    return extra


_WHAT: Final = {
    "full_name": "full name",
    "reversed_name": "name",
    "title_surname": "surname",
    "alias": "nickname",
    "preferred_name": "preferred name",
    "first_name": "first name",
}


def _message(person_id: str, full_name: str, kind: str, typo: bool) -> str:
    what = _WHAT.get(kind, "name")
    hint = " (spelt slightly differently)" if typo else ""
    return (
        f"Names {full_name} ({person_id}), a person we support, by their {what}{hint}. "
        "Tag them on the post so their consent is checked, or take the name out."
    )


def check_person(doc: Doc, register: Register) -> list[Finding]:
    findings: list[Finding] = []
    people = register.people
    messages = register._messages  # (person id, kind, typo) -> message, per register
    spans: dict[tuple[int, int], tuple[int, int, str]] = {}
    for mention in doc.mentions:
        person_id = mention.person_id
        span = (mention.start, mention.end)
        original = spans.get(span)
        if original is None:
            original = spans[span] = doc.orig(mention.start, mention.end)
        start, end, text = original
        kind, typo = mention.kind, mention.typo
        if typo:
            code = "person.typo"
        elif mention.tag:
            code = "person.hashtag"
        else:
            code = _CODES.get(kind) or f"person.{kind}"
        message = messages.get((person_id, kind, typo))
        if message is None:
            message = _message(person_id, people[person_id].full_name, kind, typo)
            if len(messages) < 100_000:
                messages[(person_id, kind, typo)] = message
        findings.append(
            make_finding("person", code, "review", start, end, text, message, person_id)
        )
    return findings


_CODES: Final = {kind: f"person.{kind}" for kind in _WHAT}


def fold_name(name: str) -> str:
    return fold_text(normalise(name)[0])
