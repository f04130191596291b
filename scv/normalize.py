"""Match keys for identity resolution: names, emails, phones, postcodes, countries.

Pure functions on pandas frames. Reference data (nicknames, blocked junk values, email domain
typos and provider rules, country aliases and phone regions) comes from the dbt seeds and is
passed in as a `Reference`, so business users tune it in `seeds/` without touching code.

Every normalizer works on the *distinct* values of a column and maps the result back, so the
cost grows with the number of different values, not with the number of records.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from fnmatch import translate
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd
import phonenumbers
from unidecode import unidecode

_NOT_NAME = re.compile(r"[^a-z\s]")
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$")
_NON_DIGIT = re.compile(r"\D")

# Phone parsing (phonenumbers, pure Python) is the largest cost of normalize_records at scale: at 1M
# persons 822k distinct number/region pairs. From this many pairs on, the other cores parse shares of
# them in worker processes (up to PHONE_PROCESSES in all); below it a worker's start costs more.
PARALLEL_PHONES_FROM = 100_000
PHONE_PROCESSES = 4


@dataclass
class Reference:
    """Seed-driven reference data. Build with `Reference.from_frames(...)` or `Reference.empty()`."""

    nicknames: dict[str, str] = field(default_factory=dict)          # folded nickname -> folded canonical
    blocked_exact: dict[str, set[str]] = field(default_factory=dict)  # identifier type -> values
    blocked_patterns: dict[str, list[str]] = field(default_factory=dict)  # identifier type -> fnmatch patterns
    domain_typos: dict[str, str] = field(default_factory=dict)
    providers: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)  # domain -> (canonical, dots, plus)
    country_aliases: dict[str, str] = field(default_factory=dict)    # folded alias -> ISO-2
    country_regions: dict[str, str] = field(default_factory=dict)    # ISO-2 -> phonenumbers region
    _compiled: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def empty(cls) -> Reference:
        return cls()

    @classmethod
    def from_frames(
        cls,
        nickname_pairs: pd.DataFrame | None = None,
        blocked_identifier_values: pd.DataFrame | None = None,
        email_domain_typos: pd.DataFrame | None = None,
        email_provider_rules: pd.DataFrame | None = None,
        country_phone_defaults: pd.DataFrame | None = None,
    ) -> Reference:
        ref = cls()
        if nickname_pairs is not None:
            # A nickname shared by two names (sam: samuel, samantha) maps to the alphabetically first,
            # deterministically; the name comparison still sees the raw first names.
            for row in nickname_pairs.sort_values(["nickname", "canonical_name"]).itertuples():
                nick, canon = fold_name(row.nickname), fold_name(row.canonical_name)
                if nick and canon:
                    ref.nicknames.setdefault(nick, canon)
        if blocked_identifier_values is not None:
            for row in blocked_identifier_values.itertuples():
                value = str(row.value).strip().lower()
                if row.match_type == "pattern":
                    ref.blocked_patterns.setdefault(row.identifier_type, []).append(
                        value.replace("%", "*").replace("_", "?"))
                else:
                    ref.blocked_exact.setdefault(row.identifier_type, set()).add(value)
        if email_domain_typos is not None:
            ref.domain_typos = dict(zip(email_domain_typos.typo_domain.str.lower(),
                                        email_domain_typos.correct_domain.str.lower()))
        if email_provider_rules is not None:
            for row in email_provider_rules.itertuples():
                ref.providers[str(row.domain).lower()] = (
                    str(row.canonical_domain).lower(), _as_bool(row.ignores_dots), _as_bool(row.supports_plus_tags))
        if country_phone_defaults is not None:
            for row in country_phone_defaults.itertuples():
                code = str(row.country_code).upper()
                ref.country_regions[code] = str(row.default_region).upper()
                ref.country_aliases[code.lower()] = code
                for alias in str(row.aliases or "").split("|"):
                    if alias.strip():
                        ref.country_aliases[_fold(alias)] = code
                ref.country_aliases[_fold(str(row.country_name))] = code
        return ref

    def is_blocked(self, identifier_type: str, value: str | None) -> bool:
        if value is None:
            return False
        for kind in (identifier_type, "any"):
            if value in self.blocked_exact.get(kind, ()):
                return True
            pattern = self._pattern(kind)
            if pattern is not None and pattern.match(value):
                return True
        return False

    def _pattern(self, kind: str) -> re.Pattern | None:
        """The blocked patterns of one identifier type as one compiled regex (fnmatch semantics).

        One match per value instead of one fnmatch per pattern: at 1M persons is_blocked ran 57M
        fnmatch calls. Compiled on first use and kept, keyed by the pattern list it was built from.
        """
        patterns = tuple(self.blocked_patterns.get(kind, ()))
        cached = self._compiled.get(kind)
        if cached is None or cached[0] != patterns:
            compiled = re.compile("|".join(translate(p) for p in patterns)) if patterns else None
            cached = self._compiled[kind] = (patterns, compiled)
        return cached[1]


#: the columns of earlier normalized records that `normalize_records(known=)` reads
KNOWN_COLUMNS = ("email", "email_norm", "phone", "country_code", "phone_e164", "phone_national")


def normalization_signature(ref: Reference) -> str:
    """What normalized a record: the reference data, this module's code and the phonenumbers
    version. Values normalized under the same signature can be reused (`normalize_records(known=)`)."""
    reference = {name: ({k: sorted(v) if isinstance(v, set) else v for k, v in value.items()})
                 for name, value in vars(ref).items() if not name.startswith("_")}
    digest = hashlib.sha256(json.dumps(reference, sort_keys=True, default=list).encode())
    digest.update(Path(__file__).read_bytes())
    return f"{digest.hexdigest()[:16]}; phonenumbers {phonenumbers.__version__}"


def _as_bool(value) -> bool:
    return str(value).strip().lower() in ("true", "t", "1", "yes")


def _fold(value: str) -> str:
    return _SPACES.sub(" ", unidecode(value).lower()).strip()


def fold_name(value: str | None) -> str | None:
    """Unicode-folded, lowercase letters and single spaces: 'Ștefan' -> 'stefan', "D'Alessandro" -> 'dalessandro'."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = unidecode(str(value)).lower().replace("-", " ").replace("'", "").replace("’", "")
    text = _SPACES.sub(" ", _NOT_NAME.sub("", text)).strip()
    return text or None


def split_full_name(full_name: str | None) -> tuple[str | None, str | None]:
    """'Anna Maria Rossi' -> ('Anna', 'Maria Rossi'); one word -> (word, None). Order is left to the matcher."""
    if full_name is None or (isinstance(full_name, float) and pd.isna(full_name)):
        return None, None
    parts = str(full_name).split()
    if not parts:
        return None, None
    return parts[0], (" ".join(parts[1:]) or None)


def normalize_email(value: str | None, ref: Reference) -> str | None:
    """Lowercase, trimmed, typo'd domains fixed, provider dots/plus-tags removed; None if malformed or blocked."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    email = str(value).strip().lower()
    if not _EMAIL.match(email):
        return None
    local, domain = email.rsplit("@", 1)
    domain = ref.domain_typos.get(domain, domain)
    canonical, ignores_dots, plus_tags = ref.providers.get(domain, (domain, False, True))
    if plus_tags and "+" in local:
        local = local.split("+", 1)[0]
    if ignores_dots:
        local = local.replace(".", "")
    if not local:
        return None
    email = f"{local}@{canonical}"
    if ref.is_blocked("email", email) or ref.is_blocked("email", str(value).strip().lower()):
        return None
    return email


def normalize_phone(value: str | None, region: str | None, fallback_regions: tuple[str, ...], ref: Reference
                    ) -> tuple[str | None, str | None]:
    """(E.164, national significant number) via phonenumbers.

    The record's region is tried first; without one, every region in `fallback_regions` is tried.
    E.164 is set only when exactly one valid reading exists; the national number is set when all
    valid readings agree on it (e.g. '0912 345 678' is valid in Vietnam and Taiwan: no E.164, but
    the national number '912345678' still helps the fuzzy matcher). Blocked or invalid: (None, None).
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None, None
    raw = str(value).strip()
    digits = _NON_DIGIT.sub("", raw)
    if len(digits) < 6 or ref.is_blocked("phone", digits):
        return None, None
    # an international number carries its country: no region is needed or tried
    candidates: tuple[str | None, ...] = (None,) if raw.startswith("+") else (region,) if region else fallback_regions
    found: set[tuple[str, str]] = set()
    for candidate in candidates:
        try:
            number = phonenumbers.parse(raw, candidate)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            found.add((phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                       str(number.national_number)))
    if not found:
        return None, None
    national = {n for _, n in found}
    national_number = national.pop() if len(national) == 1 else None
    if national_number and ref.is_blocked("phone", national_number):
        return None, None
    if len(found) != 1:
        return None, national_number
    e164 = next(iter(found))[0]
    return (None, None) if ref.is_blocked("phone", e164.lstrip("+")) else (e164, national_number)


def _parse_phone_chunk(pairs: list[tuple[str, str | None]], fallback_regions: tuple[str, ...], ref: Reference
                       ) -> list[tuple[str | None, str | None]]:
    return [normalize_phone(number, region, fallback_regions, ref) for number, region in pairs]


def parse_phones(pairs: list[tuple[str, str | None]], fallback_regions: tuple[str, ...], ref: Reference,
                 processes: int | None = None) -> dict[tuple[str, str | None], tuple[str | None, str | None]]:
    """normalize_phone for each distinct (number, region) pair; with many pairs, on every core.

    This process parses one share; each other share goes to a `python -m scv.phone_worker`
    subprocess (pickles over its stdin and stdout). Not multiprocessing: its "spawn" and
    "forkserver" children re-import the caller's main module (dbt's CLI, or a script without a
    `__main__` guard, which then fails), and "fork" would copy a dbt process whose other threads
    hold DuckDB and logging locks. A failed worker raises, with its error output. The result does
    not depend on the number of processes: each pair is parsed on its own.
    """
    if processes is None:
        processes = min(os.cpu_count() or 1, PHONE_PROCESSES) if len(pairs) >= PARALLEL_PHONES_FROM else 1
    size = max(1, -(-len(pairs) // max(processes, 1)))
    shares = [pairs[i:i + size] for i in range(0, len(pairs), size)] or [[]]
    outputs: list[tuple[bytes, bytes, int]] = [(b"", b"", 0)] * len(shares)
    workers: list[subprocess.Popen] = []
    lock = threading.Lock()
    cancelled = False

    def run_worker(index: int) -> None:
        with lock:  # (no worker starts after a failure here)
            if cancelled:
                return
            worker = subprocess.Popen([sys.executable, "-m", "scv.phone_worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            workers.append(worker)
        out, err = worker.communicate(pickle.dumps((shares[index], fallback_regions, ref), pickle.HIGHEST_PROTOCOL))
        outputs[index] = (out, err, worker.returncode)

    threads = [threading.Thread(target=run_worker, args=(i,), daemon=True) for i in range(1, len(shares))]
    try:
        for thread in threads:
            thread.start()
        parsed = _parse_phone_chunk(shares[0], fallback_regions, ref)
        for index, thread in enumerate(threads, start=1):
            thread.join()
            out, err, returncode = outputs[index]
            if returncode != 0:
                raise RuntimeError(f"phone worker {index} failed (exit {returncode}): "
                                   f"{err.decode(errors='replace')[-2000:]}")
            parsed += pickle.loads(out)
    except BaseException:
        # this share failed, a worker failed or the build was interrupted: no worker outlives it
        with lock:
            cancelled = True
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        raise
    return dict(zip(pairs, parsed))


def _map_unique(series: pd.Series, func, known: dict | None = None) -> pd.Series:
    """func of each distinct value, mapped back (values in `known` are taken from it instead)."""
    codes, uniques = pd.factorize(series)  # one hashing pass; a missing value is code -1
    known = known or {}
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [known[v] if v in known else func(v) for v in uniques]
    results[-1] = None
    return pd.Series(results[codes], index=series.index, dtype=object)


def first_name_records(records: pd.DataFrame) -> pd.Series:
    """How many records write each record's first name this way (null without a first name), for
    a frame of records: scv.identity.first_name_counts_sql, the one spelling of the rule
    (int_identity__first_name_counts), run on the frame.

    A rare spelling is a typo or a variant; two spellings each written by many records are two
    names ("marina" / "mariana"). Orders placed from a shop account are left out of the count:
    they repeat the account's name once per order. One count, used by the deterministic rules
    (var identity_established_name_records) and the linking model (ESTABLISHED_NAME_RECORDS).
    """
    import duckdb

    from scv.identity import first_name_counts_sql

    # (a frame without the source columns counts every record)
    frame = pd.DataFrame({"first_name_norm": records["first_name_norm"].astype(object),
                          "source_table": records.get("source_table", pd.Series(None, index=records.index, dtype=object)),
                          "shop_customer_id": records.get("shop_customer_id",
                                                          pd.Series(None, index=records.index, dtype=object))})
    con = duckdb.connect()
    try:
        con.register("scv_first_names", frame)
        counts = con.sql(first_name_counts_sql("scv_first_names")).df()
    finally:
        con.close()
    return records["first_name_norm"].map(dict(zip(counts["first_name_norm"], counts["first_name_records"]))
                                          ).astype("Int64")


def country_code(value, ref: Reference) -> str | None:
    """The ISO-2 country of a country text (country_phone_defaults aliases), or None."""
    return ref.country_aliases.get(_fold(str(value)))


def fallback_regions(code_counts: pd.Series, ref: Reference) -> tuple[str, ...]:
    """The phone regions tried for a number without a country: those of the eight countries with
    the most records (`code_counts`: country code -> records; ties by country code)."""
    present = sorted(code_counts.items(), key=lambda item: (-item[1], item[0]))[:8]
    return tuple(ref.country_regions.get(c, c) for c, _ in present)


def _phone_regions(out: pd.DataFrame, ref: Reference, fallback: tuple[str, ...] | None = None
                   ) -> tuple[tuple[str, ...], pd.Series]:
    """The fallback regions of the records (`fallback_regions` of their countries, unless given) and
    each record's (phone, region) pair, for the records with a phone: its country's region, none for
    an international number."""
    if fallback is None:
        fallback = fallback_regions(out["country_code"].value_counts(), ref)
    phones = out.loc[out["phone"].notna(), ["phone", "country_code"]]
    regions = _map_unique(phones["country_code"], lambda c: ref.country_regions.get(c, c) if isinstance(c, str) else None)
    # parsed once per distinct (number, region); an international number once whatever the region
    international = _map_unique(phones["phone"], lambda v: isinstance(v, str) and v.strip().startswith("+"))
    pairs = pd.Series(list(zip(phones["phone"], regions.where(~international.astype(bool), None))), index=phones.index,
                      dtype=object)
    return fallback, pairs


def _known_phones(known: pd.DataFrame | None, ref: Reference, fallback: tuple[str, ...],
                  known_fallback: tuple[str, ...] | None = None) -> dict:
    """(phone, region) -> (E.164, national) of the known records, if they had the same fallback
    regions (`known_fallback`, or those of the known records themselves)."""
    if known is None or not len(known) or not known["phone"].notna().any():
        return {}
    known_fallback, known_pairs = _phone_regions(known, ref, known_fallback)
    if known_fallback != fallback:
        return {}
    parsed = known.loc[known_pairs.index, ["phone_e164", "phone_national"]].astype(object)
    parsed = parsed.where(parsed.notna(), None)
    return dict(zip(known_pairs, zip(parsed["phone_e164"], parsed["phone_national"])))


def normalize_records(records: pd.DataFrame, ref: Reference, known: pd.DataFrame | None = None,
                      fallback: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Add match keys to identity records (see int_identity__records for the columns).

    `known`: records normalized before under the same `normalization_signature` (e.g. the last
    build's, with at least the KNOWN_COLUMNS):
    their emails are not normalized again, nor their phones when the fallback regions are the same
    (phone parsing is most of the cost). The result is the same as without it.

    `fallback`: the phone fallback regions (`fallback_regions`) when `records` are part of a larger
    set normalized together (those of all its records), and then also those `known` was normalized
    with; by default both are worked out from the records given.
    """
    out = records.copy()
    for col in ("first_name", "last_name", "full_name", "email", "phone", "street", "city", "postcode", "country"):
        if col not in out.columns:
            out[col] = None

    # names: a full name fills first/last where those are empty
    split = out["full_name"].map(split_full_name)
    first = out["first_name"].where(out["first_name"].notna(), split.map(lambda s: s[0]))
    last = out["last_name"].where(out["last_name"].notna(), split.map(lambda s: s[1]))
    out["first_name_norm"] = _map_unique(first, fold_name)
    out["last_name_norm"] = _map_unique(last, fold_name)
    full = (out["first_name_norm"].fillna("") + " " + out["last_name_norm"].fillna("")).str.strip()
    blocked_full = _map_unique(full.where(full != "", None), lambda v: ref.is_blocked("name", v))
    for col in ("first_name_norm", "last_name_norm"):
        blocked = _map_unique(out[col], lambda v: ref.is_blocked("name", v)).eq(True)
        out[col] = out[col].where(~blocked & ~blocked_full.eq(True), None)
    out["first_name_canonical"] = _map_unique(out["first_name_norm"], lambda v: ref.nicknames.get(v, v))
    out["first_name_metaphone"] = _map_unique(out["first_name_norm"], lambda v: jellyfish.metaphone(v) or None)
    out["last_name_metaphone"] = _map_unique(out["last_name_norm"], lambda v: jellyfish.metaphone(v) or None)

    # emails
    known_emails = None
    if known is not None and len(known):
        with_email = known[known["email"].notna()]
        known_emails = dict(zip(with_email["email"], with_email["email_norm"].astype(object).where(
            with_email["email_norm"].notna(), None)))
    out["email_norm"] = _map_unique(out["email"], lambda v: normalize_email(v, ref), known_emails)

    # countries and phones
    out["country_code"] = _map_unique(out["country"], lambda v: country_code(v, ref))
    given_fallback = fallback
    fallback, pairs = _phone_regions(out, ref, fallback)
    has_phone = out["phone"].notna()
    out["phone_e164"] = None
    out["phone_national"] = None
    if has_phone.any():
        mapping = _known_phones(known, ref, fallback, given_fallback)
        todo = set(pairs) - mapping.keys()
        mapping.update(parse_phones(list(todo), fallback, ref) if todo else {})
        parsed = [mapping[pair] for pair in pairs]  # (a dict of tuples through Series.map builds a MultiIndex)
        out.loc[pairs.index, "phone_e164"] = pd.Series([r[0] for r in parsed], index=pairs.index, dtype=object)
        out.loc[pairs.index, "phone_national"] = pd.Series([r[1] for r in parsed], index=pairs.index, dtype=object)

    # places
    out["postcode_norm"] = _map_unique(
        out["postcode"], lambda v: (None if ref.is_blocked("postcode", str(v).strip().lower())
                                    else (re.sub(r"\s+", "", str(v)).upper() or None)))
    out["city_norm"] = _map_unique(out["city"], fold_name)
    out["street_norm"] = _map_unique(out["street"], lambda v: _fold(str(v)) or None)
    # explicit text types, so an empty source still yields VARCHAR columns (not NULL-typed ones)
    text = [c for c in out.columns if out[c].dtype == object and c != "date_of_birth"]
    return out.astype({c: "string" for c in text})
