"""How a source system writes a person down: names, emails, phones and dates, imperfectly.

Each renderer returns the value and the hard-case tags it applied (see rates.py).
"""

from __future__ import annotations

import random
from datetime import date, datetime

from unidecode import unidecode

from .people import Person
from .rates import DATE_FORMAT_WEIGHTS, HARD_CASE_RATES as R, PHONE_FORMAT_WEIGHTS
from .vocab import LOCALES, NICKNAMES

_KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
_TYPO_DOMAINS = {"gmail.com": "gmial.com", "hotmail.com": "hotmial.com", "yahoo.com": "yaho.com",
                 "outlook.com": "outlok.com", "icloud.com": "iclod.com", "libero.it": "libro.it"}


def typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s + rng.choice(_KEYBOARD)
    i = rng.randrange(1, len(s) - 1)
    kind = rng.randrange(4)
    if kind == 0:    # substitution
        return s[:i] + rng.choice(_KEYBOARD) + s[i + 1:]
    if kind == 1:    # deletion
        return s[:i] + s[i + 1:]
    if kind == 2:    # insertion (doubled letter)
        return s[:i] + s[i] + s[i:]
    return s[:i - 1] + s[i] + s[i - 1] + s[i + 1:]  # transposition


def _has_latin_diacritics(s: str) -> bool:
    return not s.isascii() and unidecode(s) != s and all(ord(ch) < 0x2E80 for ch in s)


def name(
    rng: random.Random, person: Person, t: datetime, ascii_only: bool = False
) -> tuple[str, str, list[str]]:
    """First and last name as a source records them at time `t`."""
    tags: list[str] = []
    first, last = person.first_name, person.last_name_at(t)
    if first in NICKNAMES and rng.random() < R["nickname"]:
        first = rng.choice(NICKNAMES[first])
        tags.append("nickname")
    if rng.random() < R["typo"]:
        if rng.random() < 0.5:
            first = typo(rng, first)
        else:
            last = typo(rng, last)
        tags.append("typo")
    if ascii_only and (_has_latin_diacritics(first) or _has_latin_diacritics(last)) and rng.random() < R["ascii_folded"]:
        first, last = unidecode(first), unidecode(last)
        tags.append("ascii_folded")
    if rng.random() < R["name_case"]:
        first, last = (first.upper(), last.upper()) if rng.random() < 0.7 else (first.lower(), last.lower())
        tags.append("name_case")
    if rng.random() < R["swapped_names"]:
        first, last = last, first
        tags.append("swapped_names")
    return first, last, tags


def email(rng: random.Random, person: Person, t: datetime, allow_shared: bool = True) -> tuple[str, list[str]]:
    tags: list[str] = []
    value = person.email_at(t)
    if allow_shared and person.shared_email and rng.random() < 0.5:
        value = person.shared_email
        tags.append("household_shared_email")
    local, _, domain = value.partition("@")
    if domain in ("gmail.com", "googlemail.com") and rng.random() < R["email_dots"]:
        bare = local.replace(".", "")
        cut = rng.randrange(1, len(bare)) if len(bare) > 1 else 1
        local = bare[:cut] + "." + bare[cut:]
        if local != value.partition("@")[0]:
            tags.append("email_dots")
    if rng.random() < R["email_plus_tag"]:
        local += "+" + rng.choice(("shop", "news", "promo", "2024", "spam"))
        tags.append("email_plus_tag")
    if domain in _TYPO_DOMAINS and rng.random() < R["email_domain_typo"] * 3:
        domain = _TYPO_DOMAINS[domain]
        tags.append("email_domain_typo")
    value = f"{local}@{domain}"
    if rng.random() < R["email_case_whitespace"]:
        value = rng.choice((value.upper(), value.title(), " " + value, value + "  ", " " + value.capitalize() + " "))
        tags.append("email_case_whitespace")
    if rng.random() < R["malformed_email"]:
        value = rng.choice((value.replace("@", ""), value.replace("@", "@@"), value + ".", value.replace("@", " @ ")))
        tags.append("malformed_email")
    return value, tags


def _group(digits: str) -> str:
    return " ".join(digits[i:i + 3] for i in range(0, len(digits), 3)) if len(digits) > 4 else digits


def phone(rng: random.Random, person: Person) -> tuple[str, list[str]]:
    loc = LOCALES[person.loc]
    nsn = person.phone_nsn
    kind = rng.choices(list(PHONE_FORMAT_WEIGHTS), weights=list(PHONE_FORMAT_WEIGHTS.values()))[0]
    if kind == "e164":
        value = f"+{loc.calling_code}{nsn}"
    elif kind == "international":
        value = f"+{loc.calling_code} {_group(nsn)}"
    elif kind == "double_zero":
        value = f"{loc.exit_code}{loc.calling_code} {nsn}"
    elif loc.country == "US":
        value = f"({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}"
    else:
        value = loc.trunk + nsn[:3] + " " + _group(nsn[3:])
    tags = [] if kind == "e164" else [f"phone_format_{kind}"]
    if rng.random() < R["malformed_phone"]:
        value = rng.choice(("call me", value[:4], value.replace("1", "l").replace("0", "O"), "ext. " + value[-3:]))
        tags.append("malformed_phone")
    return value, tags


def birth_date(rng: random.Random, person: Person) -> tuple[str, list[str]]:
    d: date = person.birth_date
    if rng.random() < R["malformed_birth_date"]:
        return rng.choice(("unknown", "31/02/1985", "1900-01-01", "00/00/0000", "2099-01-01", "n/a")), [
            "malformed_birth_date"
        ]
    fmt = rng.choices(list(DATE_FORMAT_WEIGHTS), weights=list(DATE_FORMAT_WEIGHTS.values()))[0]
    if fmt == "slash":
        fmt = "%m/%d/%Y" if LOCALES[person.loc].country == "US" else "%d/%m/%Y"
    return d.strftime(fmt), []


def maybe(rng: random.Random, p_present: float, value):
    """The value with probability `p_present`, else None (a missing field)."""
    return value if rng.random() < p_present else None
