"""`scv review`: the identity review queue as a worksheet, and a steward's decisions into the
identity_overrides seed; end to end, reviewed pairs merge (or stay apart) on the next build."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from scv.cli import main as scv
from scv.evaluation import evaluate_warehouse
from scv.review import OVERRIDE_COLUMNS, PERSONAL_COLUMNS, ReviewError, apply_worksheet, explain

from support import ROOT, run_dbt

SEED_HEADER = ",".join(OVERRIDE_COLUMNS) + "\n"


def _worksheet(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["record_key_l", "record_key_r", "match_probability", "review_reason",
                                               "decision", "reason"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _seed(path: Path, body: str = "") -> Path:
    path.write_text(SEED_HEADER + body)
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_explain_puts_the_strongest_evidence_first():
    assert explain('{"name": 6.13, "email": 9.3, "address": -12.04, "phone": null}') == \
        "address -12.0, email +9.3, name +6.1"
    assert explain(None) == ""


def test_apply_appends_decided_rows_and_skips_undecided_and_known_ones(tmp_path):
    seed = _seed(tmp_path / "overrides.csv", "a:1,b:1,must_link,known,Ann\n")
    sheet = _worksheet(tmp_path / "sheet.csv", [
        dict(record_key_l="b:1", record_key_r="a:1", decision="must_link"),                   # already in the seed
        dict(record_key_l="c:1", record_key_r="d:1", decision=" Must_Not_Link ", reason="twins",
             review_reason="below_threshold", match_probability="0.995"),
        dict(record_key_l="e:1", record_key_r="f:1", decision="", reason="not sure yet"),       # undecided
        dict(record_key_l="h:1", record_key_r="g:1", decision="must_link", review_reason="below_threshold",
             match_probability="0.9987"),
    ])
    applied = apply_worksheet(sheet, "Bea", seed)
    assert (applied.added, applied.already, applied.undecided) == (2, 1, 1)
    assert _rows(seed) == [
        dict(record_key_a="a:1", record_key_b="b:1", decision="must_link", reason="known", reviewed_by="Ann"),
        dict(record_key_a="c:1", record_key_b="d:1", decision="must_not_link", reason="twins", reviewed_by="Bea"),
        dict(record_key_a="g:1", record_key_b="h:1", decision="must_link",
             reason="review queue: below_threshold at p=0.9987", reviewed_by="Bea"),
    ]
    # applying the same worksheet again adds nothing
    assert apply_worksheet(sheet, "Bea", seed).added == 0


@pytest.mark.parametrize("rows, message", [
    ([dict(record_key_l="a:1", record_key_r="b:1", decision="merge")], "neither must_link nor must_not_link"),
    ([dict(record_key_l="a:1", record_key_r="", decision="must_link")], "two different record keys"),
    ([dict(record_key_l="a:1", record_key_r="b:1", decision="must_link"),
      dict(record_key_l="b:1", record_key_r="a:1", decision="must_not_link")], "decided both ways"),
    ([dict(record_key_l="x:1", record_key_r="y:1", decision="must_link")], "already decides"),
])
def test_apply_refuses_a_bad_worksheet_and_writes_nothing(tmp_path, rows, message):
    seed = _seed(tmp_path / "overrides.csv", "x:1,y:1,must_not_link,twins,Ann\n")
    before = seed.read_text()
    sheet = _worksheet(tmp_path / "sheet.csv", [dict(record_key_l="c:1", record_key_r="d:1", decision="must_link"),
                                                *rows])
    with pytest.raises(ReviewError, match=message):
        apply_worksheet(sheet, "Bea", seed)
    assert seed.read_text() == before
    assert scv(["review", "apply", str(sheet), "--reviewed-by", "Bea", "--overrides", str(seed)]) == 2


def test_apply_needs_a_reviewer_and_a_worksheet(tmp_path):
    seed = _seed(tmp_path / "overrides.csv")
    sheet = _worksheet(tmp_path / "sheet.csv", [dict(record_key_l="a:1", record_key_r="b:1", decision="must_link")])
    with pytest.raises(ReviewError, match="name the reviewer"):
        apply_worksheet(sheet, " ", seed)
    other = tmp_path / "other.csv"
    other.write_text("customer_id,email\nc1,a@b.c\n")
    with pytest.raises(ReviewError, match="not a review worksheet"):
        apply_worksheet(other, "Bea", seed)


def test_export_keeps_personal_data_out_unless_asked(built_world, tmp_path):
    _, warehouse, result = built_world
    assert result.ok
    plain, personal = tmp_path / "plain.csv", tmp_path / "personal.csv"
    assert scv(["review", "export", "--warehouse", str(warehouse), "--out", str(plain)]) == 0
    assert scv(["review", "export", "--warehouse", str(warehouse), "--out", str(personal), "--limit", "5",
                "--with-personal-data"]) == 0
    rows = _rows(plain)
    con = duckdb.connect(str(warehouse), read_only=True)
    queued = con.execute("select count(*) from identity_review_queue").fetchall()[0][0]
    assert len(rows) == queued > 0
    probabilities = [float(r["match_probability"]) for r in rows]
    assert probabilities == sorted(probabilities, reverse=True)
    assert not any(c.startswith(PERSONAL_COLUMNS) for c in rows[0])
    assert all(r["evidence"] and r["decision"] == "" for r in rows)
    assert {r["same_household"] for r in rows} <= {"True", "False"}
    wide = _rows(personal)
    assert len(wide) == 5 and {f"{c}_l" for c in PERSONAL_COLUMNS} <= set(wide[0])
    assert scv(["review", "export", "--warehouse", str(tmp_path / "none.duckdb"), "--out", str(plain)]) == 2


def test_reviewed_pairs_merge_or_stay_apart_on_the_next_build(built_world, tmp_path):
    """The steward's loop on the small world: export the queue, decide every pair (here from the
    truth), apply, rebuild. Decided pairs leave the queue, governance rule 10 holds, recall rises
    and precision stays."""
    landing, warehouse, result = built_world
    assert result.ok
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "analyses", "tests"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("python", "__pycache__"))
    copy = tmp_path / warehouse.name
    shutil.copy(warehouse, copy)
    before = evaluate_warehouse(copy, landing, exclude_sources=("web",))["pairwise"]

    sheet = tmp_path / "review.csv"
    assert scv(["review", "export", "--warehouse", str(copy), "--out", str(sheet)]) == 0
    truth = duckdb.connect().execute(
        f"select source || ':' || \"table\" || ':' || record_id, person_id "
        f"from read_parquet('{landing / '_truth' / 'records.parquet'}')").fetchall()
    person = dict(truth)
    rows = _rows(sheet)
    for row in rows:
        same = person[row["record_key_l"]] == person[row["record_key_r"]]
        row["decision"] = "must_link" if same else "must_not_link"
    with open(sheet, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    seed = project / "seeds" / "identity_overrides.csv"
    assert scv(["review", "apply", str(sheet), "--reviewed-by", "test steward", "--overrides", str(seed)]) == 0
    assert len(_rows(seed)) >= len(rows)

    rebuilt = run_dbt(["build", "--select", "identity_overrides+"], landing, copy, project=project)
    assert rebuilt.ok, rebuilt.output[-3000:]
    assert "assert_identity_overrides_hold" in rebuilt.output
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("select count(*) from identity_review_queue").fetchall()[0][0] == 0
    con.close()
    after = evaluate_warehouse(copy, landing, exclude_sources=("web",))["pairwise"]
    assert after["recall"] > before["recall"]
    assert after["precision"] >= 0.999
