"""Probabilistic record linkage (Fellegi-Sunter via Splink 5 on DuckDB), as pure functions on frames.

The engine deduplicates one frame of identity records (every source in one table, the source is a
column) and returns scored edges between records that probably belong to the same person. Each
edge keeps its match probability, its match weight and the per-comparison match weights that
explain it (`comparison_weights`, a JSON object), so clustering and reviewers can see *why* two
records were joined.

Every call opens its own in-memory DuckDB connection and closes it before returning, so no Splink
scratch table (`__splink__*`) ever reaches a caller's warehouse.

Input frame: one row per record with the columns of `INPUT_COLUMNS` (any may be null except
`record_key` and `source_system`), as a pandas frame or, for `predict_edges`, an Arrow table
(which must carry first_name_records; the dbt model hands one over); values are expected to be normalized already (see
`scv.normalize`): names Unicode-folded lower-case ASCII, emails normalized, phones E.164.

API
    settings(...)                      -> splink SettingsCreator (untrained model specification)
    train(records, seed=42, ...)       -> LinkModel (Splink model JSON + term frequencies + metadata)
    save_model(model, path) / load_model(path=None) -> JSON on disk (None: the shipped model)
    predict_edges(records, model=None, threshold=0.5) -> edges DataFrame
    explain(edge) / describe_model(model) -> readable weights

The model (see `comparisons()`): five comparisons, each one piece of evidence - the name (first
and last jointly), date of birth, email, phone, address (postcode, street and city jointly) - with
term-frequency adjustments on full name, first name, last name, postcode and city. Unrelated first
names are a veto (`FIRST_NAME_CONFLICT_M`): twins and household members otherwise look like one
person. The shipped model was trained on a synthetic world (scripts/bench_linking.py, which also
measures the engine on that world and on FEBRL3/FEBRL4 against Splink's documented example models).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.comparison_library import CustomComparison

__all__ = [
    "INPUT_COLUMNS",
    "EDGE_COLUMNS",
    "DEFAULT_MODEL_PATH",
    "FIRST_NAME_CONFLICT_M",
    "LinkModel",
    "settings",
    "blocking_rules",
    "comparisons",
    "train",
    "save_model",
    "load_model",
    "predict_edges",
    "explain",
    "describe_model",
]

# ---------------------------------------------------------------------------------------------
# Input contract
# ---------------------------------------------------------------------------------------------

#: Columns of the input frame (record_key and source_system are required and non-null; any other
#: may be absent). phone_national is the national significant number, which scv.normalize fills
#: even when a phone without a country reads validly in two countries (and phone_e164 stays null).
INPUT_COLUMNS: tuple[str, ...] = (
    "record_key",
    "source_system",
    "first_name_norm",
    "last_name_norm",
    "first_name_canonical",
    "first_name_metaphone",
    "last_name_metaphone",
    "date_of_birth",
    "email_norm",
    "phone_e164",
    "phone_national",
    "postcode_norm",
    "city_norm",
    "street_norm",
    "shop_customer_id",
)
_STRING_COLUMNS = tuple(c for c in INPUT_COLUMNS if c != "date_of_birth")

#: Where the shipped, pre-trained model lives.
MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_PATH = MODEL_DIR / "identity_linking.json"

#: Columns that get term-frequency adjustments on their exact-match level.
TF_COLUMNS: tuple[str, ...] = (
    "full_name_norm", "first_name_norm", "last_name_norm", "email_norm", "phone_e164", "phone_last8",
    "postcode_norm", "city_norm",
)

#: Term frequencies a saved model keeps, for scoring inputs too small to count their own: common
#: values only (shared by at least TF_SAVED_MIN_COUNT training records, a k-anonymity floor), and
#: never full names, emails or phones - a model file must not carry customers' identities.
TF_SAVED_COLUMNS: tuple[str, ...] = ("first_name_norm", "last_name_norm", "postcode_norm", "city_norm")
TF_SAVED_MIN_COUNT = 10

#: Below this many non-null values in the input, term frequencies come from the model (the
#: training data) instead of the input: frequencies counted on a handful of records are noise.
TF_MIN_INPUT_VALUES = 5_000

#: Term-frequency rows kept in a saved model per column (most frequent first). Values not kept get
#: no adjustment (the column's average u): the conservative choice for rare values.
TF_MAX_SAVED_VALUES = 3_000

MODEL_FORMAT = "scv.linking/1"

#: m probability of "unrelated first names" (both present, not equal, not swapped, not a nickname,
#: spelling or phonetic variant). Fixed, not learned: about -60 bits, a veto. Twins and household
#: members agree on everything a household shares (surname, address, phone, a family email, even
#: the birth date) and differ only in the first name; all the other comparisons together can add
#: about +60 bits, so anything weaker lets a twin through. EM cannot learn this: household pairs
#: look like matches to it. Cost: nicknames missing from the seed and first names replaced by
#: another (FEBRL's corruption) are not linked; pass first_name_conflict_m=None to learn it instead.
FIRST_NAME_CONFLICT_M = 1e-18

#: A first name written the same way by at least this many input records is an established name:
#: two different established spellings are two names, not a typo (the dbt var
#: identity_established_name_records applies the same idea to the deterministic rules). On the 100k
#: world 31 of 892 accepted fuzzy links between two established spellings joined two people, 2 of
#: 2,267 where one spelling was rare.
ESTABLISHED_NAME_RECORDS = 10

#: Memory the linking step's own DuckDB connection may use before it spills to disk (override with
#: the environment variable SCV_LINKING_MEMORY_LIMIT, in DuckDB's syntax, e.g. "12GB"). It runs
#: beside the warehouse's own connection (up to 8 GB of buffers), so it adds to the build's peak:
#: at 1M persons the step alone peaked at 7.05 GB with 6GB, 5.19 GB with 4GB and 4.06 GB with 3GB,
#: in 127.8 / 109.0 / 112.9 s, with the same edges (docs/measurements.md).
DEFAULT_MEMORY_LIMIT = "3GB"

#: Smallest m a trained (not fixed) level keeps: EM drives the m of a rarely seen level to ~0.
M_FLOOR = 1e-6


# ---------------------------------------------------------------------------------------------
# Model specification
# ---------------------------------------------------------------------------------------------

def _one_edit(a: str, b: str) -> str:
    """a and b within one edit, an adjacent transposition counting as one (Damerau-Levenshtein).

    DuckDB's damerau_levenshtein is 5-10x slower than levenshtein and dominated training time, so
    it only runs where levenshtein <= 2 (CASE evaluates THEN on the selected rows only); NULL -> false.
    """
    return f"(CASE WHEN levenshtein({a}, {b}) <= 2 THEN damerau_levenshtein({a}, {b}) <= 1 ELSE false END)"


def _name_comparison(first_name_conflict_m: float | None = FIRST_NAME_CONFLICT_M) -> CustomComparison:
    """First and last name as ONE comparison.

    First and last names are not independent (both follow the locale, and families share the
    surname), so scoring them as two comparisons over-counts a common full name. One joint
    comparison gets its u for each combination from the data, and the full-name exact level is
    adjusted by the frequency of that full name.
    """
    f_l, f_r, s_l, s_r = "first_name_norm_l", "first_name_norm_r", "last_name_norm_l", "last_name_norm_r"

    def known(condition: str) -> str:  # NULL (a missing name) must read as false, also under NOT
        return f"coalesce({condition}, false)"

    first_present = f"{f_l} IS NOT NULL AND {f_r} IS NOT NULL"
    last_present = f"{s_l} IS NOT NULL AND {s_r} IS NOT NULL"
    # canonical names may list alternatives ("samantha|samuel" for an ambiguous "sam"): any overlap
    first_same = known(f"{f_l} = {f_r} OR list_has_any(first_name_canonicals_l, first_name_canonicals_r) "
                       f"OR first_name_compact_l = first_name_compact_r")
    # one typing error, same sound, very close (0.92: "shu mei" / "shu hui" are sisters, 0.886), or a
    # short form (3-5 letters) that begins the long one ("chris" / "christopher", nicknames missing
    # from the seed; not "giuseppe" / "giuseppina")
    # a one-letter difference in a short name is usually another name ("van" / "lan", "ana" / "ina"),
    # so one edit counts when the first letters agree or both names have five letters or more; and
    # two spellings that are both established names in the input ("marina" / "mariana", "trong" /
    # "trung") are two names, not a variant (nicknames are in first_same, through the seed)
    rare = f"least(first_name_records_l, first_name_records_r) < {ESTABLISHED_NAME_RECORDS}"
    first_close = known(f"(jaro_winkler_similarity({f_l}, {f_r}) >= 0.92 "
                        f"OR first_name_metaphone_l = first_name_metaphone_r "
                        f"OR ({_one_edit(f_l, f_r)} AND (left({f_l}, 1) = left({f_r}, 1) "
                        f"OR least(length({f_l}), length({f_r})) >= 5))) AND {rare} "
                        f"OR (length({f_l}) BETWEEN 3 AND 5 AND starts_with({f_r}, {f_l})) "
                        f"OR (length({f_r}) BETWEEN 3 AND 5 AND starts_with({f_l}, {f_r}))")
    first_half_swap = known(f"{f_l} = {s_r} OR {s_l} = {f_r}")
    last_close = known(f"jaro_winkler_similarity({s_l}, {s_r}) >= 0.9 "
                       f"OR last_name_metaphone_l = last_name_metaphone_r "
                       f"OR {_one_edit(s_l, s_r)}")
    one_last_missing = f"({s_l} IS NULL OR {s_r} IS NULL)"
    one_first_missing = f"({f_l} IS NULL OR {f_r} IS NULL)"
    swapped_close = known(f"jaro_winkler_similarity({f_l}, {s_r}) >= 0.88 "
                          f"AND jaro_winkler_similarity({s_l}, {f_r}) >= 0.88")
    unrelated_first = f"{first_present} AND NOT {first_same} AND NOT {first_close} AND NOT {first_half_swap}"
    suffix = " (veto)" if first_name_conflict_m else ""
    # two levels, so that where EM learns them (no veto) a shared surname still counts: a replaced
    # first name with the family name kept is a different case from two unrelated full names
    # a half swap ("terragni cristina" / "lina terragni") whose other halves are unrelated is a
    # family member with the same surname, not one person (the swapped levels come first)
    half_swap_conflict = f"{first_present} AND {last_present} AND {first_half_swap} AND NOT {first_same}"
    veto_same_last = cll.CustomLevel(f"({unrelated_first} AND {s_l} = {s_r}) OR ({half_swap_conflict})",
                                     label_for_charts="unrelated first names, same last name" + suffix)
    veto = cll.CustomLevel(unrelated_first, label_for_charts="unrelated first names" + suffix)
    if first_name_conflict_m is not None:
        veto_same_last.configure(m_probability=first_name_conflict_m, fix_m_probability=True)
        veto.configure(m_probability=first_name_conflict_m, fix_m_probability=True)
    return CustomComparison(
        output_column_name="name",
        comparison_description="first + last name jointly: exact (full-name frequency), swapped, nickname, "
                               "spelling/phonetic variants; unrelated first names are a veto (fixed m)",
        comparison_levels=[
            cll.CustomLevel(f"{one_first_missing} AND {one_last_missing}").configure(
                is_null_level=True, label_for_charts="no name to compare"),
            cll.CustomLevel(f"{f_l} = {f_r} AND {s_l} = {s_r}", label_for_charts="same full name").configure(
                tf_adjustment_column="full_name_norm", disable_tf_exact_match_detection=True),
            cll.CustomLevel(f"{f_l} = {s_r} AND {s_l} = {f_r}", label_for_charts="first and last name swapped"),
            cll.CustomLevel(swapped_close, label_for_charts="first and last name swapped, with spelling variants"),
            veto_same_last,
            veto,
            # one name in the other's other field (a half swap): household members share a surname,
            # so this neither vetoes nor supports a link (weight fixed at 0, like a missing name)
            cll.CustomLevel(f"{first_half_swap} AND NOT {first_same}",
                            label_for_charts="first name found in the other's last name").configure(
                is_null_level=True),
            cll.CustomLevel(f"{first_same} AND {s_l} = {s_r}", label_for_charts="nickname/spacing + same last name"),
            cll.CustomLevel(f"{first_close} AND {s_l} = {s_r}", label_for_charts="first name variant + same last name"),
            cll.CustomLevel(f"{first_same} AND {last_close}", label_for_charts="same first name + last name variant"),
            cll.CustomLevel(f"{first_same} AND {one_last_missing}",
                            label_for_charts="same first name, no last name to compare").configure(
                tf_adjustment_column="first_name_norm", disable_tf_exact_match_detection=True),
            cll.CustomLevel(f"{s_l} = {s_r} AND {one_first_missing}",
                            label_for_charts="same last name, no first name to compare").configure(
                tf_adjustment_column="last_name_norm", disable_tf_exact_match_detection=True),
            cll.CustomLevel(f"{first_close} AND ({last_close} OR {one_last_missing})",
                            label_for_charts="first name variant + last name variant or missing"),
            cll.CustomLevel(f"{first_same} AND {last_present}",
                            label_for_charts="same first name, different last name"),
            cll.ElseLevel(),
        ],
    )


def _dob_comparison() -> CustomComparison:
    dl, dr = "date_of_birth_l", "date_of_birth_r"
    swap = f"year({dl}) = year({dr}) AND month({dl}) = day({dr}) AND day({dl}) = month({dr})"
    typo = _one_edit("dob_ymd_l", "dob_ymd_r")
    return CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth: exact, day/month swap or one-digit typo, two-digit typo",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth").configure(label_for_charts="same date of birth"),
            cll.CustomLevel(f"({swap}) OR ({typo})", label_for_charts="day/month swapped or one-digit typo"),
            cll.CustomLevel("hamming(dob_ymd_l, dob_ymd_r) <= 2",
                            label_for_charts="two digits differ (typo or transposition)"),
            cll.ElseLevel(),
        ],
    )


def _email_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="email",
        comparison_description="email: exact, same mailbox ignoring dots/+tag, same local part with a "
                               "one-edit domain typo",
        comparison_levels=[
            cll.NullLevel("email_norm"),
            # term frequency: an address many records share (a family mailbox, a placeholder that got
            # past the blocklist) says less than a personal one
            cll.ExactMatchLevel("email_norm").configure(tf_adjustment_column="email_norm",
                                                        label_for_charts="same email"),
            cll.CustomLevel("email_local_canon_l = email_local_canon_r AND email_domain_l = email_domain_r",
                            label_for_charts="same mailbox ignoring dots and +tags"),
            cll.CustomLevel("email_local_canon_l = email_local_canon_r AND "
                            "levenshtein(email_domain_l, email_domain_r) <= 2",
                            label_for_charts="same local part, domain typo (two edits at most)"),
            cll.ElseLevel(),
        ],
    )


def _phone_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="phone",
        comparison_description="phone: exact E.164, same last 8 digits",
        comparison_levels=[
            cll.CustomLevel("phone_last8_l IS NULL OR phone_last8_r IS NULL").configure(
                is_null_level=True, label_for_charts="no phone to compare"),
            cll.ExactMatchLevel("phone_e164").configure(tf_adjustment_column="phone_e164",
                                                        label_for_charts="same phone"),
            cll.CustomLevel("phone_last8_l = phone_last8_r", label_for_charts="same last 8 digits").configure(
                tf_adjustment_column="phone_last8", disable_tf_exact_match_detection=True),
            cll.ElseLevel(),
        ],
    )


def _address_comparison() -> CustomComparison:
    """Postcode, city and street in one comparison: they are one piece of evidence (one address),
    and counting them as three independent agreements would triple-count a shared household."""
    no_pc = "(postcode_norm_l IS NULL OR postcode_norm_r IS NULL)"
    no_city = "(city_norm_l IS NULL OR city_norm_r IS NULL)"
    no_street = "(street_norm_l IS NULL OR street_norm_r IS NULL)"
    street_same = "jaro_winkler_similarity(street_norm_l, street_norm_r) >= 0.9"
    pc_close = _one_edit("postcode_norm_l", "postcode_norm_r")
    # cities: one edit, not Jaro-Winkler ("thanh pho ha noi" / "thanh pho hai phong" share a long prefix)
    city_same = _one_edit("city_norm_l", "city_norm_r")
    return CustomComparison(
        output_column_name="address",
        comparison_description="address (postcode, street, city as one piece of evidence): street+postcode, "
                               "street+near postcode or city, postcode, near postcode+city, city",
        comparison_levels=[
            cll.CustomLevel(f"{no_pc} AND {no_city} AND {no_street}").configure(
                is_null_level=True, label_for_charts="no address to compare"),
            cll.CustomLevel(f"postcode_norm_l = postcode_norm_r AND {street_same}",
                            label_for_charts="same postcode and street"),
            cll.CustomLevel(f"{street_same} AND ({pc_close} OR {city_same})",
                            label_for_charts="same street, postcode one edit away or same city"),
            cll.ExactMatchLevel("postcode_norm").configure(tf_adjustment_column="postcode_norm",
                                                           label_for_charts="same postcode"),
            cll.CustomLevel(f"{pc_close} AND {city_same}", label_for_charts="postcode one edit away, same city"),
            cll.CustomLevel(f"{pc_close} AND ({no_city} OR {no_street})", label_for_charts="postcode one edit away"),
            cll.ExactMatchLevel("city_norm").configure(tf_adjustment_column="city_norm",
                                                       label_for_charts="same city"),
            cll.ElseLevel(),
        ],
    )


def comparisons(first_name_conflict_m: float | None = FIRST_NAME_CONFLICT_M) -> list[CustomComparison]:
    """The comparisons of the model, one per piece of evidence.

    `first_name_conflict_m`: fixed m of the "unrelated first names" level (the household veto), or
    None to let EM learn it (only for data without households or twins, e.g. FEBRL).
    """
    return [
        _name_comparison(first_name_conflict_m),
        _dob_comparison(),
        _email_comparison(),
        _phone_comparison(),
        _address_comparison(),
    ]


def blocking_rules() -> list[Any]:
    """Candidate-pair rules for prediction: a true pair needs to agree on at least one."""
    return [
        block_on("email_norm"),
        block_on("phone_e164"),
        block_on("first_name_canonical", "last_name_norm"),
        block_on("last_name_norm", "date_of_birth"),
        block_on("first_name_canonical", "date_of_birth"),
        block_on("postcode_norm", "last_name_metaphone"),
        block_on("first_name_metaphone", "last_name_metaphone"),
        block_on("email_local_canon"),
        block_on("phone_last8"),
        block_on("date_of_birth"),
        block_on("street_norm"),
        block_on("postcode_norm", "substr(first_name_norm, 1, 1)"),
        block_on("postcode_norm", "substr(last_name_norm, 1, 1)"),
        "l.first_name_norm = r.last_name_norm AND l.last_name_norm = r.first_name_norm",
        "l.first_name_metaphone = r.last_name_metaphone AND l.last_name_metaphone = r.first_name_metaphone",
        # the pairs every rule above misses when a name and a postcode digit are both mistyped:
        # same surname in the same city or postal area (the postcode's first two characters), the
        # same first name in the same postal area, and a half swap ("whitbe alexa-rose" / "alexa-rose
        # white") at one postcode, both ways round. Measured on FEBRL3/4 (docs/measurements.md).
        block_on("last_name_norm", "city_norm"),
        block_on("last_name_norm", "substr(postcode_norm, 1, 2)"),
        block_on("first_name_norm", "substr(postcode_norm, 1, 2)"),
        "l.first_name_norm = r.last_name_norm AND l.postcode_norm = r.postcode_norm",
        "l.last_name_norm = r.first_name_norm AND l.postcode_norm = r.postcode_norm",
    ]


def settings(
    *,
    probability_two_random_records_match: float = 1e-4,
    extra_blocking_rules: Sequence[Any] = (),
    first_name_conflict_m: float | None = FIRST_NAME_CONFLICT_M,
) -> SettingsCreator:
    """The untrained Splink 5 model: dedupe over one table of all sources."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=comparisons(first_name_conflict_m),
        blocking_rules_to_generate_predictions=[*blocking_rules(), *extra_blocking_rules],
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


# ---------------------------------------------------------------------------------------------
# The trained model
# ---------------------------------------------------------------------------------------------

@dataclass
class LinkModel:
    """A trained model: Splink's own model JSON plus what scoring needs beyond it."""

    splink_model: dict[str, Any]
    #: column -> {value: relative frequency} measured on the training records
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    #: number of training records (to rescale the prior to another input size)
    training_records: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def probability_two_random_records_match(self) -> float:
        return float(self.splink_model["probability_two_random_records_match"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "training_records": self.training_records,
            "metadata": self.metadata,
            "splink_model": self.splink_model,
            "term_frequencies": self.term_frequencies,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LinkModel:
        if d.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a {MODEL_FORMAT} model (format={d.get('format')!r})")
        return cls(
            splink_model=d["splink_model"],
            term_frequencies=d.get("term_frequencies", {}),
            training_records=int(d.get("training_records", 0)),
            metadata=d.get("metadata", {}),
        )


def save_model(model: LinkModel, path: str | Path) -> Path:
    """Write the model as JSON: the Splink model readable (one key a line), each term-frequency table
    on one line. Stable key order, so a retrain that changes nothing diffs clean."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    d = model.to_dict()
    tf = d.pop("term_frequencies")
    head = json.dumps(d, indent=1)
    tf_lines = ",\n".join(f"  {json.dumps(col)}: {json.dumps(values, separators=(',', ':'))}"
                          for col, values in tf.items())
    path.write_text(head[:-2] + ',\n "term_frequencies": {\n' + tf_lines + "\n }\n}\n", encoding="utf-8")
    return path


def load_model(path: str | Path | None = None) -> LinkModel:
    """Read a model written by `save_model` (default: the model shipped in scv/models/)."""
    path = Path(path) if path is not None else DEFAULT_MODEL_PATH
    return LinkModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------
# Private DuckDB session
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _quiet_splink(level: int = logging.ERROR) -> Iterator[None]:
    """Splink logs training progress and warnings ("level not observed ...") at INFO/WARNING; inside
    a dbt run that is noise (what matters is recorded in the model's metadata)."""
    logger = logging.getLogger("splink")
    previous = logger.level
    logger.setLevel(max(level, previous))
    try:
        yield
    finally:
        logger.setLevel(previous)


class _Session:
    """One in-memory DuckDB connection + Splink DuckDBAPI, closed on exit."""

    def __init__(self, threads: int | None = None, memory_limit: str | None = None):
        self._quiet = _quiet_splink()
        self._quiet.__enter__()
        self.con = duckdb.connect(":memory:")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        # DuckDB's default is 80% of the machine's memory; a lower limit makes it spill the pair
        # comparisons to disk instead (at 1M persons the default peaked at 16.5 GB)
        self._spill = tempfile.mkdtemp(prefix="scv_linking_")
        self.con.execute(f"SET temp_directory = '{self._spill}'")
        limit = memory_limit or os.environ.get("SCV_LINKING_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
        self.con.execute(f"SET memory_limit = '{limit}'")
        self.db_api = DuckDBAPI(connection=self.con)

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.db_api.delete_tables_created_by_splink_from_db()
        except Exception:  # noqa: BLE001 - the connection is closed right after anyway
            pass
        stray = getattr(self.db_api, "_ddb_con", None)  # Splink's base class opens a spare connection
        for con in (self.con, stray):
            if con is not None:
                try:
                    con.close()
                except Exception:  # noqa: BLE001
                    pass
        shutil.rmtree(self._spill, ignore_errors=True)
        self._quiet.__exit__(None, None, None)


_PREPARE_SQL = r"""
create or replace table scv_link_input as
with typed as (
    select
        cast(record_key as varchar) as record_key,
        cast(source_system as varchar) as source_system,
        {string_cols},
        try_cast(date_of_birth as date) as date_of_birth,
        -- how many records write this first name this way: see ESTABLISHED_NAME_RECORDS
        cast(first_name_records as bigint) as first_name_records{score_col}
    from scv_link_raw
)
select
    * replace (coalesce(first_name_canonical, first_name_norm) as first_name_canonical),
    -- the mailbox: +tag dropped; dots dropped only where the provider ignores them (gmail)
    nullif(
        case
            when split_part(email_norm, '@', 2) in ('gmail.com', 'googlemail.com')
                then replace(regexp_replace(split_part(email_norm, '@', 1), '\+.*$', ''), '.', '')
            else regexp_replace(split_part(email_norm, '@', 1), '\+.*$', '')
        end, '') as email_local_canon,
    nullif(split_part(email_norm, '@', 2), '') as email_domain,
    case when first_name_norm is not null and last_name_norm is not null
        then first_name_norm || ' ' || last_name_norm end as full_name_norm,
    nullif(regexp_replace(first_name_norm, '[^a-z]', '', 'g'), '') as first_name_compact,
    string_split(coalesce(first_name_canonical, first_name_norm), '|') as first_name_canonicals,
    strftime(date_of_birth, '%Y%m%d') as dob_ymd,
    -- the subscriber part, comparable even when the country code was guessed or is unknown
    case
        when length(regexp_replace(coalesce(phone_e164, phone_national), '[^0-9]', '', 'g')) >= 8
            then right(regexp_replace(coalesce(phone_e164, phone_national), '[^0-9]', '', 'g'), 8)
    end as phone_last8
from typed
"""


def _check_input(records: pd.DataFrame) -> pd.DataFrame:
    missing_required = [c for c in ("record_key", "source_system") if c not in records.columns]
    if missing_required:
        raise ValueError(f"input frame lacks required column(s): {', '.join(missing_required)}")
    frame = records.copy(deep=False)
    for col in INPUT_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[list(INPUT_COLUMNS)]
    # int_identity__records carries the count (scv.normalize.first_name_records); a frame without
    # it gets it counted over its own records
    if "first_name_records" in records.columns:
        frame["first_name_records"] = records["first_name_records"]
    else:
        from scv.normalize import first_name_records

        frame["first_name_records"] = first_name_records(records.assign(first_name_norm=frame["first_name_norm"]))
    if frame["record_key"].isna().any() or frame["source_system"].isna().any():
        raise ValueError("record_key and source_system must not be null")
    if frame["record_key"].duplicated().any():
        dupes = frame.loc[frame["record_key"].duplicated(), "record_key"].head(5).tolist()
        raise ValueError(f"record_key must be unique; duplicated: {dupes}")
    return frame


def _check_arrow_input(records: pa.Table) -> pa.Table:
    """`_check_input` for an Arrow table (what the dbt model hands over: no pandas copy of millions
    of records): the same checks, in DuckDB; first_name_records must be a column."""
    missing_required = [c for c in ("record_key", "source_system", "first_name_records")
                        if c not in records.column_names]
    if missing_required:
        raise ValueError(f"input table lacks required column(s): {', '.join(missing_required)}")
    con = duckdb.connect()
    try:
        con.register("scv_check", records)
        nulls, dupes = con.execute("""select count(*) filter (where record_key is null or source_system is null),
            count(*) - count(distinct record_key) from scv_check""").fetchall()[0]
        if nulls:
            raise ValueError("record_key and source_system must not be null")
        if dupes:
            examples = [k for (k,) in con.execute("""select record_key from scv_check group by record_key
                having count(*) > 1 order by record_key limit 5""").fetchall()]
            raise ValueError(f"record_key must be unique; duplicated: {examples}")
    finally:
        con.close()
    columns = [records.column(c) if c in records.column_names else pa.nulls(records.num_rows, pa.string())
               for c in INPUT_COLUMNS]
    return pa.table([*columns, records.column("first_name_records")], names=[*INPUT_COLUMNS, "first_name_records"])


def _load_input(session: _Session, records: pd.DataFrame | pa.Table,
                score_only: Sequence[bool] | None = None) -> int:
    """Copy the records (a frame or an Arrow table) into the private connection, typed, with
    derived match keys (and, with `score_only`, the flag `scv_score` that marks the records whose
    pairs are to be scored)."""
    frame = _check_arrow_input(records) if isinstance(records, pa.Table) else _check_input(records)
    if score_only is not None:
        flags = pd.Series(score_only, dtype="boolean").fillna(True).to_numpy(dtype=bool)
        if len(flags) != len(frame):
            raise ValueError(f"score_only has {len(flags)} flags for {len(frame)} records")
        if isinstance(frame, pa.Table):
            frame = frame.append_column("scv_score", pa.array(flags))
        else:
            frame["scv_score"] = flags
    session.con.register("scv_link_raw", frame)
    string_cols = ",\n        ".join(
        f"nullif(trim(cast({c} as varchar)), '') as {c}"
        for c in _STRING_COLUMNS if c not in ("record_key", "source_system")
    )
    score_col = ",\n        scv_score" if score_only is not None else ""
    session.con.execute(_PREPARE_SQL.format(string_cols=string_cols, score_col=score_col))
    session.con.unregister("scv_link_raw")
    return int(session.con.execute("select count(*) from scv_link_input").fetchall()[0][0])


def _tf_from_input(session: _Session, column: str, min_count: int = 1) -> pd.DataFrame:
    """Relative frequency of each value of `column` among its non-null values."""
    return session.con.execute(
        f"""
        select * from (
            select {column}, count(*) as n, cast(count(*) as double) / sum(count(*)) over () as tf_{column}
            from scv_link_input where {column} is not null group by {column}
        )
        where n >= {int(min_count)}
        order by tf_{column} desc, {column}
        """
    ).df()[[column, f"tf_{column}"]]


def _nonnull_count(session: _Session, column: str) -> int:
    return int(session.con.execute(f"select count({column}) from scv_link_input").fetchall()[0][0])


def _term_frequencies(session: _Session, model: LinkModel | None, tf_source: str) -> dict[str, pd.DataFrame]:
    """One lookup per TF column, counted on the input (scv_link_input) or taken from the model."""
    lookups: dict[str, pd.DataFrame] = {}
    for column in TF_COLUMNS:
        source = tf_source
        if source == "auto":
            use_input = model is None or _nonnull_count(session, column) >= TF_MIN_INPUT_VALUES
            source = "input" if use_input else "model"
        if source == "input":
            tf = _tf_from_input(session, column)
        elif source == "model":
            if model is None:
                raise ValueError("tf_source='model' needs a model")
            values = model.term_frequencies.get(column, {})
            tf = pd.DataFrame({column: list(values.keys()), f"tf_{column}": list(values.values())})
            tf = tf.astype({column: "object", f"tf_{column}": "float64"})
        else:
            raise ValueError(f"tf_source must be 'auto', 'input' or 'model', not {tf_source!r}")
        tf.attrs["source"] = source
        lookups[column] = tf
    return lookups


def _register_term_frequencies(session: _Session, linker: Linker, lookups: dict[str, pd.DataFrame],
                               prefix: str = "scv_tf") -> dict[str, str]:
    """Register the lookups with a linker; returns where each came from (input or model)."""
    for column, tf in lookups.items():
        sdf = session.db_api.register(tf, table_name=f"{prefix}_{column}")
        linker.table_management.register_term_frequency_lookup(sdf, column)
    return {column: tf.attrs["source"] for column, tf in lookups.items()}


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

#: Candidate rules for EM (column tuples), in order; the first `max_em_sessions` that yield at least
#: `min_em_pairs` pairs on the training data are used (a data set without emails or phones, such as
#: FEBRL, falls through to birth date and postcode). Each blocks on evidence the others score, so
#: every comparison gets an m estimate.
EM_BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("email_norm",),
    ("first_name_canonical", "last_name_norm"),
    ("phone_e164",),
    ("date_of_birth",),
    ("postcode_norm",),
)

#: High-precision rules used only to estimate how many true pairs exist (the prior).
DETERMINISTIC_RULES: tuple[Any, ...] = (
    block_on("email_norm", "first_name_canonical"),
    block_on("phone_e164", "first_name_canonical"),
    block_on("first_name_canonical", "last_name_norm", "date_of_birth"),
)


def train(
    records: pd.DataFrame,
    seed: int = 42,
    *,
    max_pairs: float = 2e6,
    em_blocking_rules: Sequence[tuple[str, ...]] = EM_BLOCKING_RULES,
    min_em_pairs: int = 500,
    max_em_sessions: int = 3,
    max_em_pairs: float | None = 2e6,
    deterministic_rules: Sequence[Any] = DETERMINISTIC_RULES,
    deterministic_recall: float = 0.7,
    estimate_without_term_frequencies: bool = True,
    first_name_conflict_m: float | None = FIRST_NAME_CONFLICT_M,
    prior_method: Literal["blocked_pairs", "deterministic"] = "blocked_pairs",
    metadata: dict[str, Any] | None = None,
) -> LinkModel:
    """Train the model on `records` without labels.

    1. a first prior (probability two random records match) from high-precision deterministic
       rules and their assumed recall (`deterministic_recall`);
    2. u probabilities by random sampling of `max_pairs` pairs, seeded (hash-based, deterministic);
    3. m probabilities by EM, once per rule in `em_blocking_rules` (fixed order, deterministic);
    4. with prior_method="blocked_pairs" (default), the prior re-estimated as the fixed point of
       lambda = sum of match probabilities over every blocked candidate pair / all pairs, with the
       trained m and u: it uses all the evidence instead of a guessed recall (on FEBRL3/4 it lands
       within 5% of the true rate, where the deterministic guess is 1.7-2.4x too low).
    """
    with _Session() as session:
        n = _load_input(session, records)
        sdf = session.db_api.register("scv_link_input", table_name="scv_link_input_sdf")
        linker = Linker(sdf, settings(first_name_conflict_m=first_name_conflict_m), log_level=None)
        _register_term_frequencies(session, linker, _term_frequencies(session, None, "input"))
        linker.training.estimate_probability_two_random_records_match(
            list(deterministic_rules), recall=deterministic_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        em_used: list[dict[str, Any]] = []
        for columns in em_blocking_rules:
            if len(em_used) >= max_em_sessions:
                break
            pairs = _count_block_pairs(session, columns)
            if pairs < min_em_pairs:
                continue
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), estimate_without_term_frequencies=estimate_without_term_frequencies,
                max_pairs=max_em_pairs if max_em_pairs and pairs > max_em_pairs else None,
            )
            em_used.append({"block_on": list(columns), "pairs": pairs})
        if not em_used:
            raise ValueError("no EM blocking rule yields enough pairs on these records; pass em_blocking_rules")
        prior_deterministic = float(linker._settings_obj._probability_two_random_records_match)
        splink_model = linker.misc.save_model_to_json()
        unobserved = _fill_unobserved_levels(splink_model, max_pairs)
        _round_parameters(splink_model)
        if prior_method == "blocked_pairs":
            splink_model["probability_two_random_records_match"] = float(
                f"{_fixed_point_prior(session, sdf, splink_model, n):.10g}")
        elif prior_method != "deterministic":
            raise ValueError("prior_method must be 'blocked_pairs' or 'deterministic'")
        term_frequencies = {}
        for column in TF_SAVED_COLUMNS:
            tf = _tf_from_input(session, column, min_count=TF_SAVED_MIN_COUNT).head(TF_MAX_SAVED_VALUES)
            term_frequencies[column] = {str(k): float(f"{v:.6g}") for k, v in zip(tf[column], tf[f"tf_{column}"])}
    splink_model.pop("linker_uid", None)
    meta = {
        "seed": seed,
        "max_pairs": max_pairs,
        "deterministic_recall": deterministic_recall,
        "first_name_conflict_m": first_name_conflict_m,
        "prior_method": prior_method,
        "prior_deterministic": prior_deterministic,
        "em_sessions": em_used,
        "splink_version": _splink_version(),
        "unobserved_levels_filled": unobserved,
        **(metadata or {}),
    }
    return LinkModel(splink_model=splink_model, term_frequencies=term_frequencies, training_records=n,
                     metadata=meta)


def _fixed_point_prior(session: _Session, sdf: Any, splink_model: dict[str, Any], n: int,
                       iterations: int = 50, tolerance: float = 1e-4) -> float:
    """Re-estimate the prior from the trained model: iterate lambda <- E[#matches] / #pairs over the
    blocked candidate pairs (the mixing weight of a two-class mixture with m, u held fixed)."""
    lam = min(max(float(splink_model["probability_two_random_records_match"]), 1e-9), 0.5)
    splink_model = copy.deepcopy(splink_model)
    splink_model["probability_two_random_records_match"] = lam
    linker = Linker(sdf, splink_model, log_level=None)
    scored = linker.inference.predict(warning_mode="never")
    total_pairs = n * (n - 1) / 2
    prior_w = math.log2(lam / (1 - lam))
    session.con.execute(
        f"create or replace temp table scv_link_evidence as "
        f"select match_weight - ({prior_w}) as w from {scored.physical_name}")
    scored.drop_table_from_database_and_remove_from_cache()
    for _ in range(iterations):
        odds = (1 - lam) / lam
        expected = session.con.execute(
            f"select coalesce(sum(1 / (1 + {odds} * pow(2, -w))), 0) from scv_link_evidence").fetchall()[0][0]
        new = min(max(float(expected) / total_pairs, 1e-12), 0.5)
        done = abs(new - lam) <= tolerance * lam
        lam = new
        if done:
            break
    session.con.execute("drop table if exists scv_link_evidence")
    return lam


def _count_block_pairs(session: _Session, columns: Sequence[str]) -> int:
    """Pairs a block_on(columns) rule generates in a dedupe of the loaded input (nulls never join)."""
    cols = ", ".join(columns)
    not_null = " and ".join(f"{c} is not null" for c in columns)
    sql = (f"select coalesce(sum(n * (n - 1) / 2), 0) from "
           f"(select count(*) as n from scv_link_input where {not_null} group by {cols})")
    return int(session.con.execute(sql).fetchall()[0][0])


def _fill_unobserved_levels(splink_model: dict[str, Any], max_pairs: float) -> list[str]:
    """Give every level an explicit m and u, so the saved model scores exactly as it was trained.

    A level never seen among the `max_pairs` random pairs gets u = 1 / max_pairs (an upper bound:
    a conservative weight); a level never seen by EM gets m = u, i.e. weight 0 (no evidence either
    way), rather than Splink's in-session default m of 1e-6 (a strong, unearned penalty).
    """
    filled = []
    for comp in splink_model["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = f"{comp['output_column_name']}: {level.get('label_for_charts', level['sql_condition'])}"
            if not isinstance(level.get("u_probability"), float):
                level["u_probability"] = 1.0 / max_pairs
                filled.append(f"{label} (u)")
            if not isinstance(level.get("m_probability"), float):
                level["m_probability"] = level["u_probability"]
                filled.append(f"{label} (m)")
            elif not level.get("fix_m_probability") and level["m_probability"] < M_FLOOR:
                # EM drives the m of a level it rarely sees towards 0 (-50 bits and worse)
                level["m_probability"] = M_FLOOR
                filled.append(f"{label} (m floored)")
    return filled


def _round_parameters(splink_model: dict[str, Any], digits: int = 10) -> None:
    """Round m and u to `digits` significant digits: a retrain on the same data then reproduces the
    same file, whatever order DuckDB's threads summed the floating-point counts in."""
    for comp in splink_model["comparisons"]:
        for level in comp["comparison_levels"]:
            for key in ("m_probability", "u_probability"):
                if isinstance(level.get(key), float):
                    level[key] = float(f"{level[key]:.{digits}g}")


def _splink_version() -> str:
    import splink

    return str(getattr(splink, "__version__", "unknown"))


# ---------------------------------------------------------------------------------------------
# Prediction
# ---------------------------------------------------------------------------------------------

EDGE_COLUMNS: tuple[str, ...] = (
    "record_key_l",
    "record_key_r",
    "match_probability",
    "match_weight",
    "comparison_weights",
    "conflicting_accounts",
)


def _scaled_prior(model: LinkModel, n_records: int, rescale_prior: bool) -> float:
    """The prior for an input of `n_records` records.

    The chance that two random records match falls as 1/n when the input grows (each record has
    about as many true partners whatever n is), so on an input larger than the training data the
    prior is scaled down; on smaller inputs (a test frame, an incremental batch) it is kept.
    """
    p = model.probability_two_random_records_match
    if rescale_prior and model.training_records > 1 and n_records > model.training_records:
        p = p * (model.training_records - 1) / (n_records - 1)
    return p


def predict_edges(
    records: pd.DataFrame | pa.Table,
    model: LinkModel | str | Path | None = None,
    threshold: float = 0.5,
    *,
    tf_source: Literal["auto", "input", "model"] = "auto",
    rescale_prior: bool = True,
    threads: int | None = None,
    score_only: Sequence[bool] | None = None,
    rescore: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score candidate pairs of `records` and return the edges with match_probability >= threshold.

    `score_only` (one flag per record): score only the candidate pairs with at least one flagged
    record (an incremental build: the flagged records are new or changed). Those pairs get exactly
    the scores a call without it gives them (the same blocking, and term frequencies and prior of
    all of `records`); the pairs of two unflagged records are not scored at all.

    `rescore` (record_key_l, record_key_r): pairs to score as they are, without blocking, e.g. the
    last build's edges between unchanged records, whose scores drift with the term frequencies and
    the prior as records arrive. Each gets the score the whole scoring would give it (and is kept
    if that reaches the threshold).

    Returns one row per edge (record_key_l < record_key_r) with match_probability, match_weight,
    comparison_weights (JSON text {comparison: match weight incl. term-frequency adjustment}) and
    conflicting_accounts (both records carry a different non-null shop_customer_id: two distinct
    logged-in accounts; the probability is kept, the flag is for the clustering guardrails).
    Sorted by (record_key_l, record_key_r); deterministic for the same input and model.
    """
    if model is None or isinstance(model, (str, Path)):
        model = load_model(model)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be within [0, 1]")

    with _Session(threads=threads) as session:
        n = _load_input(session, records, score_only)
        if n < 2:
            return _empty_edges()
        splink_model = copy.deepcopy(model.splink_model)
        splink_model["probability_two_random_records_match"] = _scaled_prior(model, n, rescale_prior)
        splink_model["retain_intermediate_calculation_columns"] = True
        splink_model["retain_matching_columns"] = False
        pairs = []
        if score_only is None:
            runs = [("scv_link_input", splink_model, "record_key")]
        else:
            runs = []
            pairs.append(_flagged_pairs_sql(splink_model))
        if rescore is not None and len(rescore):
            session.con.register("scv_link_rescore", rescore[["record_key_l", "record_key_r"]])
            pairs.append("select cast(record_key_l as varchar) as record_key_l, "
                         "cast(record_key_r as varchar) as record_key_r from scv_link_rescore")
        if pairs:
            table, pairs_model = _pairs_as_input(session, " union ".join(pairs), splink_model)
            if session.con.execute(f"select count(*) from {table}").fetchall()[0][0]:
                runs.append((table, pairs_model, "scv_record_key"))
        if not runs:
            return _empty_edges()
        lookups = _term_frequencies(session, model, tf_source)
        scored = []
        for i, (table, run_model, key) in enumerate(runs):
            sdf = session.db_api.register(table, table_name=f"scv_link_input_sdf_{i}")
            linker = Linker(sdf, run_model, log_level=None)
            _register_term_frequencies(session, linker, lookups, prefix=f"scv_tf_{i}")
            predictions = linker.inference.predict(
                threshold_match_probability=threshold if threshold > 0 else None, warning_mode="never"
            )
            columns = {c.strip('"') for c in predictions.columns_escaped}
            parts = []
            for comparison in run_model["comparisons"]:
                name = comparison["output_column_name"]
                terms = [f"mw_{name}"] + ([f"mw_tf_adj_{name}"] if f"mw_tf_adj_{name}" in columns else [])
                parts.append(f"'{name}', round({' + '.join(terms)}, 4)")
            scored.append(f"""
                select {key}_l as key_l, {key}_r as key_r, match_probability, match_weight,
                       json_object({', '.join(parts)}) as comparison_weights
                from {predictions.physical_name}""")
        sql = f"""
            select
                least(p.key_l, p.key_r) as record_key_l,
                greatest(p.key_l, p.key_r) as record_key_r,
                cast(p.match_probability as double) as match_probability,
                cast(p.match_weight as double) as match_weight,
                cast(p.comparison_weights as varchar) as comparison_weights,
                coalesce(l.shop_customer_id is not null and r.shop_customer_id is not null
                         and l.shop_customer_id <> r.shop_customer_id, false) as conflicting_accounts
            from ({' union all '.join(scored)}) as p
            join scv_link_input as l on l.record_key = p.key_l
            join scv_link_input as r on r.record_key = p.key_r
            order by 1, 2
        """
        edges = session.con.execute(sql).df()
    # typed even when empty (an empty object column reaches DuckDB as type NULL, not VARCHAR)
    return edges.astype({"record_key_l": "string", "record_key_r": "string", "comparison_weights": "string",
                         "conflicting_accounts": "bool"}).reset_index(drop=True)


def _flagged_pairs_sql(splink_model: dict[str, Any]) -> str:
    """SQL for the candidate pairs with a flagged record (`scv_score`): the pairs Splink's blocking
    finds on the whole input that touch a flagged record, found from the flagged side.

    Each prediction blocking rule is joined twice, once with its left and once with its right side
    flagged (so the small flagged side is the join's build side), under Splink's own dedupe
    condition (l.record_key < r.record_key); a pair found by several rules is scored once, as
    Splink scores it once. Term frequencies and the prior stay those of the whole input.
    """
    selects = []
    for rule in splink_model["blocking_rules_to_generate_predictions"]:
        if not isinstance(rule, dict):
            raise ValueError(f"unexpected blocking rule in the model: {rule!r}")
        for flagged, other in (("l", "r"), ("r", "l")):
            also = f" and not {other}.scv_score" if flagged == "r" else ""
            selects.append(f"""
                select l.record_key as record_key_l, r.record_key as record_key_r
                from scv_link_input as l join scv_link_input as r on {rule["blocking_rule"]}
                where l.record_key < r.record_key and {flagged}.scv_score{also}""")
    return "select distinct * from (" + " union all ".join(selects) + ")"


def _pairs_as_input(session: _Session, pairs: str, splink_model: dict[str, Any]
                    ) -> tuple[str, dict[str, Any]]:
    """An input table and model that score exactly `pairs` (SQL with record_key_l, record_key_r on
    the session's connection, without duplicates): each pair's two records, keyed
    `<pair number>|l|<record key>` and `...|r|...`, blocked on the pair number alone (so the left
    record stays on the left); the record key itself is retained as scv_record_key."""
    session.con.execute(f"""
        create or replace table scv_link_pairs as
        with pairs as (
            select row_number() over () as scv_pair, record_key_l, record_key_r from ({pairs})
        )
        select i.* replace (p.scv_pair || '|l|' || i.record_key as record_key), i.record_key as scv_record_key,
               p.scv_pair
        from pairs as p join scv_link_input as i on i.record_key = p.record_key_l
        union all
        select i.* replace (p.scv_pair || '|r|' || i.record_key as record_key), i.record_key as scv_record_key,
               p.scv_pair
        from pairs as p join scv_link_input as i on i.record_key = p.record_key_r
    """)
    model = copy.deepcopy(splink_model)
    model["blocking_rules_to_generate_predictions"] = [{"blocking_rule": "l.scv_pair = r.scv_pair",
                                                        "sql_dialect": "duckdb"}]
    model["additional_columns_to_retain"] = ["scv_record_key"]
    return "scv_link_pairs", model


def _empty_edges() -> pd.DataFrame:
    # "string", not "object": an empty object column reaches DuckDB as type NULL, not VARCHAR
    return pd.DataFrame({
        "record_key_l": pd.Series(dtype="string"),
        "record_key_r": pd.Series(dtype="string"),
        "match_probability": pd.Series(dtype="float64"),
        "match_weight": pd.Series(dtype="float64"),
        "comparison_weights": pd.Series(dtype="string"),
        "conflicting_accounts": pd.Series(dtype="bool"),
    })


def explain(edge_or_weights: pd.Series | str) -> dict[str, float]:
    """The per-comparison match weights of one edge as a dict (largest absolute first; a comparison
    without a weight, null in the JSON, is left out)."""
    raw = edge_or_weights["comparison_weights"] if isinstance(edge_or_weights, pd.Series) else edge_or_weights
    weights = {k: v for k, v in json.loads(raw).items() if v is not None}
    return dict(sorted(weights.items(), key=lambda kv: -abs(kv[1])))


def _iter_levels(model: LinkModel) -> Iterable[tuple[str, str, float | None]]:
    """(comparison, level label, match weight) for every level of a trained model."""
    for comp in model.splink_model["comparisons"]:
        for level in comp["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            w = math.log2(m / u) if m and u else None
            yield comp["output_column_name"], level.get("label_for_charts", level["sql_condition"]), w


def describe_model(model: LinkModel | None = None) -> str:
    """A readable table of the model's level weights (for reports and reviews)."""
    model = model or load_model()
    lines = [f"prior probability two random records match: {model.probability_two_random_records_match:.3g}"
             f" (trained on {model.training_records:,} records)"]
    for comp, label, w in _iter_levels(model):
        lines.append(f"  {comp:<14} {label:<55} {'' if w is None else f'{w:+.2f}'}")
    return "\n".join(lines)
