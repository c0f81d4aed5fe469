import sqlite3

import pytest

from ecommerce_analytics import schema


def test_contract_has_the_19_kaggle_columns_in_order(kaggle_csv):
    header = kaggle_csv.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert list(schema.COLUMN_NAMES) == header
    assert len(schema.COLUMNS) == 19


def test_every_column_has_a_kind_and_a_description():
    for col in schema.COLUMNS:
        assert col.kind in {"id", "text", "category", "float", "int", "flag", "timestamp"}
        assert col.description.endswith(".")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("price", "price"),
        ("  Price ", "price"),
        ("PURCHASE_DECISION", "purchase_decision"),
        ("\ufeffuser_id", "user_id"),
        ("Purchase  Decision", "purchase_decision"),
    ],
)
def test_normalize_column_name(raw, expected):
    assert schema.normalize_column_name(raw) == expected


def test_domains_read_as_the_issue_states():
    c = schema.COLUMNS_BY_NAME
    assert c["price"].minimum == 0 and c["price"].min_exclusive
    assert (c["discount_applied"].minimum, c["discount_applied"].maximum) == (0, 100)
    assert (c["rating"].minimum, c["rating"].maximum) == (1, 5)
    assert (c["sentiment_score"].minimum, c["sentiment_score"].maximum) == (-1, 1)
    assert c["pages_visited"].minimum == 1 and c["time_spent"].minimum == 0
    assert set(schema.FLAG_COLUMNS) == {"add_to_cart", "abandoned_cart", "purchase_decision"}
    assert c["price"].domain_text() == "0 < price <= 1,000,000"
    assert c["income_level"].domain_text() == "one of Low, Medium, High"


def test_sqlite_ddl_creates_a_table_with_every_column():
    conn = sqlite3.connect(":memory:")
    conn.execute(schema.sqlite_ddl())
    cols = [row[1] for row in conn.execute(f"PRAGMA table_info({schema.TABLE_NAME})")]
    assert cols == ["session_id", *schema.COLUMN_NAMES]
