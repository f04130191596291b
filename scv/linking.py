"""Probabilistic record linkage (Fellegi-Sunter via Splink 5 on DuckDB), as pure functions on frames.

The engine deduplicates one frame of identity records (every source in one table, the source is a
column) and returns scored edges between records that probably belong to the same person. Each
edge keeps its match probability, its match weight and the per-comparison match weights that
explain it (`comparison_weights`, a JSON object), so clustering and reviewers can see *why* two
records were joined.

Every call opens its own in-memory DuckDB connection and closes it before returning, so no Splink
scratch table (`__splink__*`) ever reaches a caller's warehouse.

Input frame: one row per record with the columns of `INPUT_COLUMNS` (any may be null except
`record_key` and `source_system`); values are expected to be normalized already (see
`scv.normalize`): names Unicode-folded lower-case ASCII, emails normalized, phones E.164.

API
    settings(...)                      -> splink SettingsCreator (untrained model specification)
    train(records, seed=42, ...)       -> LinkModel (Splink model JSON + term frequencies + metadata)
    save_model(model, path) / load_model(path=None) -> JSON on disk (None: the shipped model)
    predict_edges(records, model=None, threshold=0.5) -> edges DataFrame
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence

import duckdb
import pandas as pd

import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.comparison_library import CustomComparison

__all__ = [
    "INPUT_COLUMNS",
    "DEFAULT_MODEL_PATH",
    "LinkModel",
    "settings",
    "blocking_rules",
    "comparisons",
    "train",
    "save_model",
    "load_model",
    "predict_edges",
]

# ---------------------------------------------------------------------------------------------
# Input contract
# ---------------------------------------------------------------------------------------------

#: Columns of the input frame (record_key and source_system are required and non-null).
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
TF_COLUMNS: tuple[str, ...] = ("first_name_norm", "last_name_norm", "postcode_norm")

#: Below this many non-null values in the input, term frequencies come from the model (the
#: training data) instead of the input: frequencies counted on a handful of records are noise.
TF_MIN_INPUT_VALUES = 5_000

#: Term-frequency rows kept in a saved model per column (most frequent first). Values not kept
#: get no adjustment (the column's average u), which is the conservative choice for rare values.
TF_MAX_SAVED_VALUES = 5_000

MODEL_FORMAT = "scv.linking/1"

#: m probability of "unrelated first names" (both present, not equal, not swapped, not a nickname,
#: spelling or phonetic variant). Fixed, not learned: about -40 bits, a veto. Twins and household
#: members agree on everything a household shares (surname, address, phone, a family email, even
#: the birth date) and differ only in the first name; no independent-evidence model can outweigh
#: that many agreements otherwise. Cost: nicknames missing from the seed are not linked.
FIRST_NAME_CONFLICT_M = 1e-12


# ---------------------------------------------------------------------------------------------
# Model specification
# ---------------------------------------------------------------------------------------------

def _swapped(l_first: str = "first_name_norm", l_last: str = "last_name_norm") -> str:
    return f"{l_first}_l = {l_last}_r AND {l_last}_l = {l_first}_r"


def _first_name_comparison() -> CustomComparison:
    jw = "jaro_winkler_similarity(first_name_norm_l, first_name_norm_r)"
    compact = "regexp_replace(first_name_norm_{side}, '[^a-z]', '', 'g')"
    return CustomComparison(
        output_column_name="first_name",
        comparison_description="first name: exact, swapped with last name, nickname, fuzzy, phonetic; "
                               "an unrelated first name is a veto (fixed m)",
        comparison_levels=[
            cll.NullLevel("first_name_norm"),
            cll.ExactMatchLevel("first_name_norm").configure(tf_adjustment_column="first_name_norm"),
            cll.CustomLevel(_swapped(), label_for_charts="first and last name swapped"),
            cll.CustomLevel(
                f"first_name_canonical_l = first_name_canonical_r OR {compact.format(side='l')} = "
                f"{compact.format(side='r')}",
                label_for_charts="same canonical first name (nickname, spacing)"),
            cll.CustomLevel(f"{jw} >= 0.92", label_for_charts="Jaro-Winkler >= 0.92"),
            cll.CustomLevel("first_name_metaphone_l = first_name_metaphone_r OR "
                            "damerau_levenshtein(first_name_norm_l, first_name_norm_r) <= 1",
                            label_for_charts="same metaphone or one edit"),
            cll.CustomLevel(f"{jw} >= 0.85", label_for_charts="Jaro-Winkler >= 0.85"),
            cll.ElseLevel().configure(m_probability=FIRST_NAME_CONFLICT_M, fix_m_probability=True,
                                      label_for_charts="unrelated first names (veto)"),
        ],
    )


def _last_name_comparison() -> CustomComparison:
    jw = "jaro_winkler_similarity(last_name_norm_l, last_name_norm_r)"
    return CustomComparison(
        output_column_name="last_name",
        comparison_description="last name: exact, swapped with first name, fuzzy, phonetic",
        comparison_levels=[
            cll.NullLevel("last_name_norm"),
            cll.ExactMatchLevel("last_name_norm").configure(tf_adjustment_column="last_name_norm"),
            # a swap is one piece of evidence, weighed once (by the first-name comparison)
            cll.CustomLevel(_swapped(), label_for_charts="first and last name swapped (weighed under first_name)")
            .configure(is_null_level=True),
            cll.CustomLevel(f"{jw} >= 0.92", label_for_charts="Jaro-Winkler >= 0.92"),
            cll.CustomLevel("last_name_metaphone_l = last_name_metaphone_r", label_for_charts="same metaphone"),
            cll.CustomLevel(f"{jw} >= 0.85", label_for_charts="Jaro-Winkler >= 0.85"),
            cll.ElseLevel(),
        ],
    )


def _dob_comparison() -> CustomComparison:
    l, r = "date_of_birth_l", "date_of_birth_r"
    swap = (f"year({l}) = year({r}) AND month({l}) = day({r}) AND day({l}) = month({r})")
    typo = f"damerau_levenshtein(strftime({l}, '%Y%m%d'), strftime({r}, '%Y%m%d')) <= 1"
    return CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth: exact, day/month swap or one-digit typo",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(f"({swap}) OR ({typo})", label_for_charts="day/month swapped or one-digit typo"),
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
            cll.ExactMatchLevel("email_norm"),
            cll.CustomLevel("email_local_canon_l = email_local_canon_r AND email_domain_l = email_domain_r",
                            label_for_charts="same mailbox ignoring dots and +tags"),
            cll.CustomLevel("email_local_canon_l = email_local_canon_r AND "
                            "damerau_levenshtein(email_domain_l, email_domain_r) <= 1",
                            label_for_charts="same local part, domain one edit away"),
            cll.ElseLevel(),
        ],
    )


def _phone_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="phone",
        comparison_description="phone: exact E.164, same last 8 digits",
        comparison_levels=[
            cll.NullLevel("phone_e164"),
            cll.ExactMatchLevel("phone_e164"),
            cll.CustomLevel("phone_last8_l = phone_last8_r", label_for_charts="same last 8 digits"),
            cll.ElseLevel(),
        ],
    )


def _address_comparison() -> CustomComparison:
    """Postcode, city and street in one comparison: they are one piece of evidence (one address),
    and counting them as three independent agreements would triple-count a shared household."""
    no_pc = "(postcode_norm_l IS NULL OR postcode_norm_r IS NULL)"
    no_city = "(city_norm_l IS NULL OR city_norm_r IS NULL)"
    no_street = "(street_norm_l IS NULL OR street_norm_r IS NULL)"
    street_fuzzy = "jaro_winkler_similarity(street_norm_l, street_norm_r) >= 0.9"
    return CustomComparison(
        output_column_name="address",
        comparison_description="address: street+postcode, postcode, street+city, city / postcode area",
        comparison_levels=[
            cll.CustomLevel(f"{no_pc} AND {no_city} AND {no_street}").configure(is_null_level=True),
            cll.CustomLevel(f"postcode_norm_l = postcode_norm_r AND ({street_fuzzy})",
                            label_for_charts="same postcode and street"),
            cll.ExactMatchLevel("postcode_norm").configure(tf_adjustment_column="postcode_norm"),
            cll.CustomLevel(f"({street_fuzzy}) AND (city_norm_l = city_norm_r "
                            "OR left(postcode_norm_l, 3) = left(postcode_norm_r, 3))",
                            label_for_charts="same street and city"),
            cll.CustomLevel("city_norm_l = city_norm_r OR left(postcode_norm_l, 3) = left(postcode_norm_r, 3)",
                            label_for_charts="same city or postcode area"),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list[CustomComparison]:
    """The comparisons of the model, one per piece of evidence."""
    return [
        _first_name_comparison(),
        _last_name_comparison(),
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
        "l.first_name_norm = r.last_name_norm AND l.last_name_norm = r.first_name_norm",
    ]


def settings(
    *,
    probability_two_random_records_match: float = 1e-4,
    extra_blocking_rules: Sequence[Any] = (),
) -> SettingsCreator:
    """The untrained Splink 5 model: dedupe over one table of all sources."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=comparisons(),
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
    def from_dict(cls, d: dict[str, Any]) -> "LinkModel":
        if d.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a {MODEL_FORMAT} model (format={d.get('format')!r})")
        return cls(
            splink_model=d["splink_model"],
            term_frequencies=d.get("term_frequencies", {}),
            training_records=int(d.get("training_records", 0)),
            metadata=d.get("metadata", {}),
        )


def save_model(model: LinkModel, path: str | Path) -> Path:
    """Write the model as JSON (stable key order, so a retrain that changes nothing diffs clean)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path


def load_model(path: str | Path | None = None) -> LinkModel:
    """Read a model written by `save_model` (default: the model shipped in scv/models/)."""
    path = Path(path) if path is not None else DEFAULT_MODEL_PATH
    return LinkModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------
# Private DuckDB session
# ---------------------------------------------------------------------------------------------

class _Session:
    """One in-memory DuckDB connection + Splink DuckDBAPI, closed on exit."""

    def __init__(self, threads: int | None = None):
        self.con = duckdb.connect(":memory:")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self.db_api = DuckDBAPI(connection=self.con)

    def __enter__(self) -> "_Session":
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


_PREPARE_SQL = r"""
create or replace table scv_link_input as
with typed as (
    select
        cast(record_key as varchar) as record_key,
        cast(source_system as varchar) as source_system,
        {string_cols},
        try_cast(date_of_birth as date) as date_of_birth
    from scv_link_raw
)
select
    *,
    -- the mailbox: +tag dropped; dots dropped only where the provider ignores them (gmail)
    nullif(
        case
            when split_part(email_norm, '@', 2) in ('gmail.com', 'googlemail.com')
                then replace(regexp_replace(split_part(email_norm, '@', 1), '\+.*$', ''), '.', '')
            else regexp_replace(split_part(email_norm, '@', 1), '\+.*$', '')
        end, '') as email_local_canon,
    nullif(split_part(email_norm, '@', 2), '') as email_domain,
    case
        when length(regexp_replace(phone_e164, '[^0-9]', '', 'g')) >= 8
            then right(regexp_replace(phone_e164, '[^0-9]', '', 'g'), 8)
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
    if frame["record_key"].isna().any() or frame["source_system"].isna().any():
        raise ValueError("record_key and source_system must not be null")
    if frame["record_key"].duplicated().any():
        dupes = frame.loc[frame["record_key"].duplicated(), "record_key"].head(5).tolist()
        raise ValueError(f"record_key must be unique; duplicated: {dupes}")
    return frame


def _load_input(session: _Session, records: pd.DataFrame) -> int:
    """Copy the frame into the private connection, typed, with derived match keys."""
    frame = _check_input(records)
    session.con.register("scv_link_raw", frame)
    string_cols = ",\n        ".join(
        f"nullif(trim(cast({c} as varchar)), '') as {c}" for c in _STRING_COLUMNS if c not in ("record_key", "source_system")
    )
    session.con.execute(_PREPARE_SQL.format(string_cols=string_cols))
    session.con.unregister("scv_link_raw")
    return int(session.con.execute("select count(*) from scv_link_input").fetchall()[0][0])


def _tf_from_input(session: _Session, column: str) -> pd.DataFrame:
    return session.con.execute(
        f"""
        select {column}, cast(count(*) as double) / sum(count(*)) over () as tf_{column}
        from scv_link_input where {column} is not null group by {column}
        order by tf_{column} desc, {column}
        """
    ).df()


def _nonnull_count(session: _Session, column: str) -> int:
    return int(session.con.execute(f"select count({column}) from scv_link_input").fetchall()[0][0])


def _register_term_frequencies(
    session: _Session, linker: Linker, model: LinkModel | None, tf_source: str
) -> dict[str, str]:
    """Register one lookup per TF column, from the input or from the model; returns the choice."""
    chosen: dict[str, str] = {}
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
        sdf = session.db_api.register(tf, table_name=f"scv_tf_{column}")
        linker.table_management.register_term_frequency_lookup(sdf, column)
        chosen[column] = source
    return chosen


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

#: Rules for EM: each blocks on evidence the other one scores, so every comparison gets an m.
EM_BLOCKING_RULES: tuple[Any, ...] = (
    block_on("email_norm"),
    block_on("first_name_canonical", "last_name_norm"),
    block_on("phone_e164"),
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
    max_pairs: float = 5e6,
    em_blocking_rules: Sequence[Any] = EM_BLOCKING_RULES,
    deterministic_rules: Sequence[Any] = DETERMINISTIC_RULES,
    deterministic_recall: float = 0.7,
    estimate_without_term_frequencies: bool = True,
    metadata: dict[str, Any] | None = None,
) -> LinkModel:
    """Train the model on `records` without labels.

    1. the prior (probability two random records match) from high-precision deterministic rules
       and their assumed recall;
    2. u probabilities by random sampling of `max_pairs` pairs, seeded (hash-based, deterministic);
    3. m probabilities by EM, once per rule in `em_blocking_rules` (fixed order, deterministic).
    """
    t0 = time.perf_counter()
    with _Session() as session:
        n = _load_input(session, records)
        sdf = session.db_api.register("scv_link_input", table_name="scv_link_input_sdf")
        linker = Linker(sdf, settings(), log_level=None)
        _register_term_frequencies(session, linker, None, "input")
        linker.training.estimate_probability_two_random_records_match(
            list(deterministic_rules), recall=deterministic_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in em_blocking_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=estimate_without_term_frequencies
            )
        splink_model = linker.misc.save_model_to_json()
        unobserved = _fill_unobserved_levels(splink_model, max_pairs)
        term_frequencies = {}
        for column in TF_COLUMNS:
            tf = _tf_from_input(session, column).head(TF_MAX_SAVED_VALUES)
            term_frequencies[column] = {str(k): float(v) for k, v in zip(tf[column], tf[f"tf_{column}"])}
    splink_model.pop("linker_uid", None)
    meta = {
        "seed": seed,
        "max_pairs": max_pairs,
        "deterministic_recall": deterministic_recall,
        "em_blocking_rules": [_rule_text(r) for r in em_blocking_rules],
        "training_seconds": round(time.perf_counter() - t0, 2),
        "splink_version": _splink_version(),
        "unobserved_levels_filled": unobserved,
        **(metadata or {}),
    }
    return LinkModel(splink_model=splink_model, term_frequencies=term_frequencies, training_records=n,
                     metadata=meta)


def _fill_unobserved_levels(splink_model: dict[str, Any], max_pairs: float) -> list[str]:
    """Give every level an explicit m and u, so the saved model scores exactly as it was trained.

    A level never seen among the `max_pairs` random pairs gets u = 1 / max_pairs (an upper bound:
    a conservative weight); a level never seen by EM gets Splink's in-session default m of 1e-6.
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
                level["m_probability"] = 1e-6
                filled.append(f"{label} (m)")
    return filled


def _rule_text(rule: Any) -> str:
    if isinstance(rule, str):
        return rule
    try:
        return rule.get_blocking_rule("duckdb").blocking_rule_sql
    except Exception:  # noqa: BLE001
        return repr(rule)


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
    records: pd.DataFrame,
    model: LinkModel | str | Path | None = None,
    threshold: float = 0.5,
    *,
    tf_source: Literal["auto", "input", "model"] = "auto",
    rescale_prior: bool = True,
    threads: int | None = None,
) -> pd.DataFrame:
    """Score candidate pairs of `records` and return the edges with match_probability >= threshold.

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
        n = _load_input(session, records)
        if n < 2:
            return _empty_edges()
        splink_model = copy.deepcopy(model.splink_model)
        splink_model["probability_two_random_records_match"] = _scaled_prior(model, n, rescale_prior)
        splink_model["retain_intermediate_calculation_columns"] = True
        splink_model["retain_matching_columns"] = False
        sdf = session.db_api.register("scv_link_input", table_name="scv_link_input_sdf")
        linker = Linker(sdf, splink_model, log_level=None)
        _register_term_frequencies(session, linker, model, tf_source)
        predictions = linker.inference.predict(
            threshold_match_probability=threshold if threshold > 0 else None, warning_mode="never"
        )
        comparisons_in_model = [c["output_column_name"] for c in splink_model["comparisons"]]
        columns = {c.strip('"') for c in predictions.columns_escaped}
        parts = []
        for name in comparisons_in_model:
            terms = [f"mw_{name}"] + ([f"mw_tf_adj_{name}"] if f"mw_tf_adj_{name}" in columns else [])
            parts.append(f"'{name}', round({' + '.join(terms)}, 4)")
        sql = f"""
            select
                least(p.record_key_l, p.record_key_r) as record_key_l,
                greatest(p.record_key_l, p.record_key_r) as record_key_r,
                cast(p.match_probability as double) as match_probability,
                cast(p.match_weight as double) as match_weight,
                cast(json_object({', '.join(parts)}) as varchar) as comparison_weights,
                coalesce(l.shop_customer_id is not null and r.shop_customer_id is not null
                         and l.shop_customer_id <> r.shop_customer_id, false) as conflicting_accounts
            from {predictions.physical_name} as p
            join scv_link_input as l on l.record_key = p.record_key_l
            join scv_link_input as r on r.record_key = p.record_key_r
            order by 1, 2
        """
        edges = session.con.execute(sql).df()
    return edges.reset_index(drop=True)


def _empty_edges() -> pd.DataFrame:
    return pd.DataFrame({
        "record_key_l": pd.Series(dtype="object"),
        "record_key_r": pd.Series(dtype="object"),
        "match_probability": pd.Series(dtype="float64"),
        "match_weight": pd.Series(dtype="float64"),
        "comparison_weights": pd.Series(dtype="object"),
        "conflicting_accounts": pd.Series(dtype="bool"),
    })


def explain(edge_or_weights: pd.Series | str) -> dict[str, float]:
    """The per-comparison match weights of one edge as a dict (largest absolute first)."""
    raw = edge_or_weights["comparison_weights"] if isinstance(edge_or_weights, pd.Series) else edge_or_weights
    weights = json.loads(raw)
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
