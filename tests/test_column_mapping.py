"""Your own data: a column mapping applied by the loader, optional columns, skipped analyses."""

from __future__ import annotations

import pandas as pd
import pytest

from ecommerce_analytics.cli import main
from ecommerce_analytics.data import DataContractError, load_sessions, validate_sessions
from ecommerce_analytics.data.mapping import ColumnMapError, column_map, parse_column_pairs, read_column_map
from ecommerce_analytics.database import build_database, run_query
from ecommerce_analytics.reporting import enable_skips, skipped_names
from ecommerce_analytics.run import Run
from ecommerce_analytics.schema import ANALYSES, COLUMN_NAMES, REQUIRED_COLUMNS, missing_for, skip_sentence
from ecommerce_analytics.simulate import simulate

#: A shop's own export: other names for ten contract columns, nine contract columns absent.
SHOP = {
    "user_id": "customer_id",
    "purchase_date": "event_time",
    "purchase_decision": "converted",
    "add_to_cart": "added_to_basket",
    "price": "item_price",
    "discount_applied": "discount_pct",
    "category": "product_group",
    "pages_visited": "page_views",
    "time_spent": "session_seconds",
    "age": "customer_age",
}


@pytest.fixture(scope="module")
def sim():
    return simulate(3000, seed=11)


@pytest.fixture()
def shop_csv(tmp_path, sim):
    path = tmp_path / "shop.csv"
    sim.sessions[list(SHOP)].rename(columns=SHOP).to_csv(path, index=False)
    return path


def _toml(path, mapping):
    path.write_text("[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in mapping.items()))
    return path


def test_a_mapped_file_loads_with_the_contract_values_and_the_report_echoes_the_mapping(shop_csv, sim, tmp_path):
    mapping = read_column_map(_toml(tmp_path / "shop.toml", SHOP))
    result = load_sessions(shop_csv, columns=mapping)
    report = result.report
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (3000, 3000, 0)
    assert report.column_mapping == SHOP
    assert set(report.missing_columns) == set(COLUMN_NAMES) - set(SHOP) - {"abandoned_cart"}
    assert "Column mapping applied: 'customer_id' -> user_id" in report.summary()
    assert "abandoned_cart was derived" in " ".join(report.notes)
    expected = sim.sessions[[c for c in COLUMN_NAMES if c in result.sessions]]
    pd.testing.assert_frame_equal(result.sessions, expected, check_dtype=False)  # derived abandoned_cart included


def test_pairs_override_the_file_and_errors_name_the_problem(tmp_path):
    path = _toml(tmp_path / "m.toml", {"user_id": "a", "price": "b"})
    assert column_map(path, ["price=c"]) == {"user_id": "a", "price": "c"}
    with pytest.raises(ColumnMapError, match="'user' is not a contract column"):
        parse_column_pairs(["user=a"])
    with pytest.raises(ColumnMapError, match="'a' is mapped to both 'user_id' and 'product_id'"):
        parse_column_pairs(["user_id=a", "product_id=a"])
    with pytest.raises(ColumnMapError, match="mapping file not found"):
        read_column_map(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("[columns\nuser_id = 1")
    with pytest.raises(ColumnMapError, match="not valid TOML"):
        read_column_map(tmp_path / "bad.toml")
    (tmp_path / "empty.toml").write_text("[other]\nx = 1\n")
    with pytest.raises(ColumnMapError, match=r"expected a \[columns\] table"):
        read_column_map(tmp_path / "empty.toml")


def test_a_mapped_column_absent_from_the_file_and_a_missing_required_column_are_one_line_errors(shop_csv):
    with pytest.raises(DataContractError, match="names column\\(s\\) not in the data: 'nope' \\(for price\\)"):
        load_sessions(shop_csv, columns={**SHOP, "price": "nope"})
    without_outcome = {k: v for k, v in SHOP.items() if k != "purchase_decision"}
    with pytest.raises(DataContractError) as info:
        load_sessions(shop_csv, columns=without_outcome)
    assert "missing required column(s): 'purchase_decision'" in str(info.value)
    assert "\n" not in str(info.value)


def test_rows_in_equals_kept_plus_quarantined_with_a_mapping_and_row_rules_on_present_columns(sim):
    frame = sim.sessions[list(SHOP)].rename(columns=SHOP).head(200).copy()
    frame.loc[3, "converted"] = 1
    frame.loc[3, "added_to_basket"] = 0  # bought without a cart: the funnel rule still applies
    frame.loc[7, "item_price"] = -5
    result = validate_sessions(frame, columns=SHOP)
    r = result.report
    assert r.rows_in == r.rows_kept + r.rows_quarantined == 200
    assert sorted(result.quarantine.reason) == [
        "price: out of domain (0 < price <= 1,000,000)",
        "purchase_decision = 1 but add_to_cart = 0",
    ]


def test_a_misspelt_optional_column_gets_a_note_instead_of_a_silent_skip(sim):
    frame = sim.sessions[["user_id", "purchase_date", "purchase_decision", "price"]].rename(columns={"price": "prices"})
    report = validate_sessions(frame).report
    assert "price" in report.missing_columns
    assert any("if 'prices' holds it, pass --map price=prices" in n for n in report.notes)


def test_skip_sentences_name_the_missing_columns():
    have = list(REQUIRED_COLUMNS)
    assert missing_for("engagement", have) == ["pages_visited", "time_spent"]
    assert skip_sentence("engagement", have) == (
        "Skipped: engagement (pages and time on site) needs pages_visited and time_spent, "
        "which this dataset does not have."
    )
    assert all(skip_sentence(name, COLUMN_NAMES) is None for name in ANALYSES)


def test_the_needs_magic_runs_or_skips_a_cell_and_leaves_its_names_none(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr("ecommerce_analytics.reporting.say", shown.append)
    enable_skips(["user_id", "purchase_date", "purchase_decision", "add_to_cart"])
    shell.user_ns.update(x=1, y=1)
    shell.run_cell("%%needs funnel\nx = 2")
    shell.run_cell("%%needs funnel engagement\ny = 3\nz = y + 1")
    assert shell.user_ns["x"] == 2
    assert shell.user_ns["y"] is None and shell.user_ns["z"] is None
    assert shown == [skip_sentence("engagement", ["add_to_cart"])]
    failing = shell.run_cell("%%needs funnel\n1 / 0")
    assert not failing.success  # an error inside a kept cell still fails the cell
    assert skipped_names("a = 1\nb += 2\nprint(c)") == ["a", "b"]


def test_the_database_stores_absent_optional_columns_as_null(tmp_path, sim):
    frame = sim.sessions[["user_id", "purchase_date", "purchase_decision", "add_to_cart", "abandoned_cart"]]
    path = build_database(frame, tmp_path / "x.sqlite")
    overall = run_query(path, "01_overall_metrics").iloc[0]
    assert overall.sessions == 3000 and overall.purchases == sim.sessions.purchase_decision.sum()
    assert pd.isna(overall.avg_order_value)  # no price: the query answers NULL, not a made-up value


def test_the_run_carries_the_mapping_into_the_notebook_parameters(tmp_path):
    run = Run(str(tmp_path / "shop.csv"), columns={"user_id": "customer_id"})
    assert run.column_map == {"user_id": "customer_id"}
    assert "COLUMNS = {'user_id': 'customer_id'}" in run.parameters_source()
    assert Run.from_parameters(str(tmp_path / "shop.csv"), 10, 1, None, {"user_id": "c"}).columns == (("user_id", "c"),)


def test_cli_validate_takes_map_flags_and_a_mapping_file(shop_csv, tmp_path, capsys):
    flags = [f"--map={k}={v}" for k, v in SHOP.items()]
    assert main(["-q", "validate", str(shop_csv), *flags]) == 0
    assert "Column mapping applied" in capsys.readouterr().out
    toml = _toml(tmp_path / "shop.toml", SHOP)
    assert main(["-q", "validate", str(shop_csv), "--mapping", str(toml)]) == 0
    assert main(["-q", "validate", str(shop_csv), "--map", "user=x"]) == 2
    assert "error: --map: 'user' is not a contract column" in capsys.readouterr().err
    assert main(["-q", "build-db", "--map", "user_id=x"]) == 2  # the simulator needs no mapping
    assert "--source FILE" in capsys.readouterr().err


def test_a_notebook_whose_core_columns_are_missing_is_skipped_with_one_sentence(tmp_path, sim, capsys):
    """Only the required columns and the cart flag: notebooks 01, 02, 04 and 05 skip, each saying why."""
    from ecommerce_analytics.pipeline import notebook_skip

    path = tmp_path / "thin.csv"
    sim.sessions[["user_id", "purchase_date", "purchase_decision"]].to_csv(path, index=False)
    assert main(["-q", "report", "--source", str(path), "--notebooks", "01", "02", "04", "05"]) == 0
    out = capsys.readouterr().out
    assert "01_exploratory_data_analysis skipped: the cart funnel needs add_to_cart" in out
    assert "02_customer_segmentation skipped: behavioural segmentation (pages, time per page, price and age)" in out
    assert "05_business_recommendations skipped: it reads the results of 01_exploratory_data_analysis" in out
    have = ["user_id", "purchase_date", "purchase_decision", "add_to_cart"]
    assert notebook_skip("03_purchase_prediction", have) is None  # the cart stage can run on what it has
