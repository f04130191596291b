"""`scv generate`: a deterministic synthetic world written as landing files plus `_truth/`.

The world is generated in chunks of people (households never cross a chunk), each chunk from
its own seeded random streams, and streamed to Parquet writers, so memory stays flat however
many people are asked for. The same seed (and chunk size) always gives the same files.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..landing import TABLES, TABLES_BY_KEY, TRUTH_RECORDS_SCHEMA, write_empty
from .people import EmailRegistry, Person, make_people
from .rates import HARD_CASE_RATES as R
from .sources import Batch, observe
from .vocab import LOCALES, Pools

PERSONS_SCHEMA = pa.schema([
    ("person_id", pa.string()), ("household_id", pa.string()), ("locale", pa.string()), ("country", pa.string()),
    ("sex", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()),
    ("new_last_name", pa.string()), ("name_changed_at", pa.timestamp("us")), ("birth_date", pa.date32()),
    ("street", pa.string()), ("city", pa.string()), ("postcode", pa.string()),
    ("new_street", pa.string()), ("new_city", pa.string()), ("new_postcode", pa.string()),
    ("moved_at", pa.timestamp("us")), ("email", pa.string()), ("new_email", pa.string()),
    ("email_changed_at", pa.timestamp("us")), ("shared_email", pa.string()), ("phone_e164", pa.string()),
    ("twin_of", pa.string()), ("hard_cases", pa.string()), ("purchase_rate_per_week", pa.float64()),
    ("dropout_probability", pa.float64()), ("mean_spend", pa.float64()),
])


@dataclass
class WorldConfig:
    persons: int = 10_000
    seed: int = 42
    start: datetime = datetime(2024, 1, 1)
    end: datetime = datetime(2026, 10, 31)
    chunk_size: int = 10_000
    sources: tuple[str, ...] | None = None   # None: every source system
    progress: bool = True
    workers: int | None = None              # None: one per core (the files do not depend on it)


@dataclass
class WorldStats:
    rows: dict[str, int] = field(default_factory=dict)
    truth_rows: int = 0
    persons: int = 0
    seconds: float = 0.0

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0


def _persons_table(people: list[Person]) -> pa.Table:
    def col(f):
        return [f(p) for p in people]
    return pa.Table.from_pydict({
        "person_id": col(lambda p: p.person_id), "household_id": col(lambda p: p.household_id),
        "locale": col(lambda p: LOCALES[p.loc].code), "country": col(lambda p: LOCALES[p.loc].country),
        "sex": col(lambda p: p.sex), "first_name": col(lambda p: p.first_name),
        "last_name": col(lambda p: p.last_name), "new_last_name": col(lambda p: p.new_last_name),
        "name_changed_at": col(lambda p: p.name_change_at), "birth_date": col(lambda p: p.birth_date),
        "street": col(lambda p: p.address.street), "city": col(lambda p: p.address.city),
        "postcode": col(lambda p: p.address.postcode),
        "new_street": col(lambda p: p.new_address.street if p.new_address else None),
        "new_city": col(lambda p: p.new_address.city if p.new_address else None),
        "new_postcode": col(lambda p: p.new_address.postcode if p.new_address else None),
        "moved_at": col(lambda p: p.moved_at), "email": col(lambda p: p.email),
        "new_email": col(lambda p: p.new_email), "email_changed_at": col(lambda p: p.email_change_at),
        "shared_email": col(lambda p: p.shared_email),
        "phone_e164": col(lambda p: f"+{LOCALES[p.loc].calling_code}{p.phone_nsn}"),
        "twin_of": col(lambda p: p.twin_of), "hard_cases": col(lambda p: ",".join(sorted(p.tags))),
        "purchase_rate_per_week": col(lambda p: p.purchase_rate), "dropout_probability": col(lambda p: p.dropout_p),
        "mean_spend": col(lambda p: p.mean_spend),
    }, schema=PERSONS_SCHEMA)


def _duplicate_rows(nprng: np.random.Generator, key: str, table: pa.Table) -> tuple[pa.Table, set[str]]:
    """Re-deliver some rows identically, and re-use some keys for different rows (see rates.py)."""
    n = table.num_rows
    if n < 2:
        return table, set()
    id_col = TABLES_BY_KEY[key].id_column
    redeliver = np.flatnonzero(nprng.random(n) < R["duplicate_redelivery"])
    conflict = np.flatnonzero(nprng.random(n) < R["conflicting_duplicate_key"])
    parts = [table]
    if len(redeliver):
        parts.append(table.take(pa.array(redeliver)))
    conflicting_ids: set[str] = set()
    if len(conflict):
        copies = table.take(pa.array(conflict))
        candidates = [c.name for c in TABLES_BY_KEY[key].columns
                      if c.name != id_col and c.type == pa.string() and not c.name.endswith("_id")]
        column = candidates[int(nprng.integers(len(candidates)))] if candidates else None
        if column:
            donors = table.column(column).take(pa.array(nprng.integers(0, n, size=len(conflict))))
            original = copies.column(column)
            changed = [d if d != o else (o or "") + "x" for d, o in zip(donors.to_pylist(), original.to_pylist())]
            copies = copies.set_column(copies.schema.get_field_index(column), column, pa.array(changed, pa.string()))
            parts.append(copies)
            conflicting_ids = set(copies.column(id_col).to_pylist())
    return pa.concat_tables(parts), conflicting_ids


def generate(out: Path | str, config: WorldConfig) -> WorldStats:
    out = Path(out)
    wanted = set(config.sources) if config.sources else {t.source for t in TABLES}
    unknown = wanted - {t.source for t in TABLES}
    if unknown:
        raise ValueError(f"unknown source(s) {sorted(unknown)}; known: {sorted({t.source for t in TABLES})}")
    for t in TABLES:
        path = t.path(out)
        if path.is_dir():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    truth_dir = out / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    writers = {t.key: pq.ParquetWriter(t.path(out), t.schema, compression="zstd") for t in TABLES if t.source in wanted}
    truth_writer = pq.ParquetWriter(truth_dir / "records.parquet", TRUTH_RECORDS_SCHEMA, compression="zstd")
    persons_writer = pq.ParquetWriter(truth_dir / "persons.parquet", PERSONS_SCHEMA, compression="zstd")
    stats = WorldStats(rows={t.key: 0 for t in TABLES})
    jobs = [(config, i, first, min(config.chunk_size, config.persons - first), tuple(sorted(wanted)))
            for i, first in enumerate(range(0, config.persons, config.chunk_size))]
    workers = max(1, min(config.workers or (os.cpu_count() or 1), len(jobs)))
    bar = None
    if config.progress:
        from tqdm import tqdm
        bar = tqdm(total=config.persons, unit="persons", desc="generating world")
    executor = None
    try:
        if workers > 1:
            # Chunks are independent (own seeds), so they are made in parallel and written in order:
            # the files do not depend on the number of workers.
            executor = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(config.seed,))
            results = executor.map(_make_chunk, jobs)
        else:
            _init_worker(config.seed)
            results = map(_make_chunk, jobs)
        for tables, truth, persons in results:
            for key, table in tables.items():
                writers[key].write_table(table)
                stats.rows[key] += table.num_rows
            truth_writer.write_table(truth)
            persons_writer.write_table(persons)
            stats.truth_rows += truth.num_rows
            stats.persons += persons.num_rows
            if bar:
                bar.update(persons.num_rows)
    finally:
        if executor:
            executor.shutdown(cancel_futures=True)
        for writer in writers.values():
            writer.close()
        truth_writer.close()
        persons_writer.close()
        if bar:
            bar.close()
    write_empty(out, [t.key for t in TABLES if t.source not in wanted], overwrite=True)
    stats.seconds = time.perf_counter() - started
    return stats


_POOLS: Pools | None = None


def _init_worker(seed: int) -> None:
    global _POOLS
    _POOLS = Pools(seed)


def _make_chunk(job) -> tuple[dict[str, pa.Table], pa.Table, pa.Table]:
    config, chunk_index, first, n, wanted = job
    assert _POOLS is not None
    rng = random.Random(config.seed * 1_000_003 + chunk_index)
    nprng = np.random.default_rng([config.seed, chunk_index])
    n_chunks = -(-config.persons // config.chunk_size)
    registry = EmailRegistry(chunk_index, n_chunks)
    people = make_people(rng, _POOLS, first, n, config.start, config.end, registry)
    batch: Batch = observe(rng, nprng, people, chunk_index, config.start, config.end, registry)
    tables: dict[str, pa.Table] = {}
    conflicted: dict[str, set[str]] = {}
    for t in TABLES:
        if t.source in wanted:
            tables[t.key], conflicted[t.key] = _duplicate_rows(nprng, t.key, batch.table(t.key))
    truth = _tag_conflicts(pa.Table.from_pydict(batch.truth, schema=TRUTH_RECORDS_SCHEMA), conflicted)
    truth = truth.filter(pc.is_in(truth.column("source"), pa.array(list(wanted))))
    return tables, truth, _persons_table(people)


def _tag_conflicts(truth: pa.Table, conflicted: dict[str, set[str]]) -> pa.Table:
    if not any(conflicted.values()):
        return truth
    sources = truth.column("source").to_pylist()
    tables = truth.column("table").to_pylist()
    ids = truth.column("record_id").to_pylist()
    tags = truth.column("hard_cases").to_pylist()
    for i, (s, t, r) in enumerate(zip(sources, tables, ids)):
        if r in conflicted.get(f"{s}/{t}", ()):
            tags[i] = ",".join(sorted(set(filter(None, tags[i].split(","))) | {"conflicting_duplicate_key"}))
    return truth.set_column(truth.schema.get_field_index("hard_cases"), "hard_cases", pa.array(tags, pa.string()))
