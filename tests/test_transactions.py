"""RFM, cohorts, repeat purchases and inter-purchase times on a transaction log of another schema.

The log is built here (customer_id, order_date, order_total, qty, invoice): none of the session
contract's columns exist, so any hidden dependency on them fails. No well-kept installed package
ships a real transaction log (scikit-learn's bundled datasets are iris, diabetes, digits,
linnerud, wine and breast cancer; statsmodels' are macro, panel and survey tables; plotly's are
tips, gapminder, stocks and the like, none with customer ids), so the real-data checks are the
simulator's sessions and the Kaggle file, through the session-contract defaults.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecommerce_analytics import segmentation as seg
from ecommerce_analytics import transactions as tx

COLS = {"customer": "customer_id", "timestamp": "order_date"}


def _orders() -> pd.DataFrame:
    """Five customers, one row per line item (invoice = order id).

    ann: orders on Jan 3, Jan 20, Mar 5 (the Mar 5 order has two lines)
    bob: orders on Jan 10, Feb 14
    cat: one order on Feb 2
    dan: one order on Mar 1 (total 0: a fully refunded order)
    eve: orders on Mar 1 and Mar 8
    """
    rows = [
        ("ann", "2025-01-03 09:00", 20.0, 1, "i1"),
        ("ann", "2025-01-20 12:00", 35.0, 2, "i2"),
        ("ann", "2025-03-05 08:00", 10.0, 1, "i3"),
        ("ann", "2025-03-05 08:00", 15.0, 3, "i3"),
        ("bob", "2025-01-10 10:00", 80.0, 1, "i4"),
        ("bob", "2025-02-14 10:00", 40.0, 1, "i5"),
        ("cat", "2025-02-02 18:30", 60.0, 4, "i6"),
        ("dan", "2025-03-01 11:00", 0.0, 1, "i7"),
        ("eve", "2025-03-01 09:00", 25.0, 1, "i8"),
        ("eve", "2025-03-08 09:00", 25.0, 1, "i9"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "order_total", "qty", "invoice"])
    frame["order_date"] = pd.to_datetime(frame.order_date)
    return frame


# ------------------------------------------------------------------------------------ RFM
def test_rfm_on_a_transaction_log_needs_no_session_columns():
    rfm = tx.rfm_scores(_orders(), **COLS, amount="order_total", quantity="qty", order="invoice")
    assert rfm.index.name == "customer_id"
    assert rfm.loc["ann"].frequency == 3  # three invoices, four lines
    assert rfm.loc["ann"].monetary == pytest.approx(80.0) and rfm.loc["ann"].units == 7
    assert rfm.loc["eve"].recency_days == 0.0  # the last order of the log
    assert rfm.loc["ann"].recency_days == pytest.approx(3 + 1 / 24)
    assert rfm.loc["bob"].recency_days == pytest.approx(
        (pd.Timestamp("2025-03-08 09:00") - pd.Timestamp("2025-02-14 10:00")).total_seconds() / 86400
    )
    # Without order=, every row is a transaction.
    assert tx.rfm_scores(_orders(), **COLS, amount="order_total").loc["ann"].frequency == 4
    # as_of moves recency, not the scores' order.
    later = tx.rfm_scores(_orders(), as_of=pd.Timestamp("2025-04-08 09:00"), **COLS, amount="order_total")
    assert later.loc["eve"].recency_days == 31.0
    assert set(rfm.rfm_segment) <= {"Champions", "Loyal", "Big spenders", "At risk", "Hibernating", "Promising"}


def test_rfm_reads_dates_given_as_text():
    orders = _orders().assign(order_date=lambda d: d.order_date.dt.strftime("%Y-%m-%d %H:%M"))
    assert tx.rfm_scores(orders, **COLS, amount="order_total").equals(
        tx.rfm_scores(_orders(), **COLS, amount="order_total")
    )


def test_rfm_default_amount_is_net_revenue_of_purchased_sessions():
    sessions = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "purchase_date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
            "price": [100.0, 50.0, 20.0],
            "discount_applied": [10.0, 0.0, 0.0],
            "purchase_decision": [1, 0, 1],
        }
    )
    rfm = seg.rfm_scores(sessions)  # the old import path and the contract defaults
    assert rfm.loc["a"].monetary == pytest.approx(90.0) and rfm.loc["a"].frequency == 2
    assert rfm.loc["b"].monetary == pytest.approx(20.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda o: tx.rfm_scores(o, amount="order_total"), "'user_id' (set it with customer=)"),
        (
            lambda o: tx.rfm_scores(o, customer="customer_id", amount="order_total"),
            "'purchase_date' (set it with timestamp=)",
        ),
        (lambda o: tx.rfm_scores(o, **COLS, amount="total"), "'total' (set it with amount=)"),
        (lambda o: tx.rfm_scores(o, **COLS), "pass amount="),
        (lambda o: tx.rfm_scores(o, **COLS, amount="invoice"), "must be numeric"),
        (lambda o: tx.cohort_retention(o, customer="customer_id"), "set it with timestamp="),
        (lambda o: tx.conversion_by_cohort_age(o, **COLS), "set it with outcome="),
        (lambda o: tx.users_return(o), "set it with customer="),
        (lambda o: tx.repeat_purchase_curve(o, timestamp="order_date"), "set it with customer="),
        (lambda o: tx.repeat_purchase_curve(o, **COLS, purchased="bought"), "set it with purchased="),
        (lambda o: tx.inter_purchase_times(o, **COLS, order="order_id"), "set it with order="),
        (lambda o: tx.cohort_retention(o, **COLS, period="quarter"), "period must be one of"),
        (
            lambda o: tx.rfm_scores(o.assign(order_date="not a date"), **COLS, amount="order_total"),
            "cannot be read as dates",
        ),
        (lambda o: tx.rfm_scores(o.assign(customer_id=None), **COLS, amount="order_total"), "missing values"),
    ],
)
def test_another_schema_gets_a_clear_value_error_not_a_key_error(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(_orders())


# ----------------------------------------------------------------------- tie-aware scores
def test_identical_customers_get_identical_scores():
    # 30 customers with one order, 40 with two, 30 with three; same amounts and dates within each group.
    rows = []
    for i in range(100):
        n = 1 if i < 30 else 2 if i < 70 else 3
        rows += [(f"c{i:03d}", pd.Timestamp("2025-01-01") + pd.Timedelta(days=10 * k), 10.0) for k in range(n)]
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "order_total"])
    rfm = tx.rfm_scores(orders, **COLS, amount="order_total")
    by_frequency = rfm.groupby("frequency")[["R", "F", "M"]].nunique()
    assert (by_frequency == 1).all().all()  # one score per group of identical customers
    # Scores count the quintiles of customers beaten: 1 order beats none, 2 beat 30%, 3 beat 70%.
    assert rfm.groupby("frequency").F.first().to_dict() == {1: 1, 2: 2, 3: 4}
    # With rank(method="first") the 40 two-order customers were split across F = 2, 3 and 4 by id.
    old = np.ceil(5 * rfm.frequency.rank(method="first") / len(rfm)).astype(int)
    assert old[rfm.frequency == 2].nunique() == 3


def test_scores_without_ties_are_the_usual_quintiles():
    values = pd.Series(np.random.default_rng(0).permutation(100).astype(float))
    usual = np.ceil(5 * values.rank(method="first") / len(values)).astype(int)
    assert tx.tie_aware_score(values).equals(usual)
    assert tx.tie_aware_score(values, higher_is_better=False).equals(6 - usual)
    assert (tx.tie_aware_score(pd.Series([4.0] * 7)) == 3).all()


_rows = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 20), st.sampled_from([0.0, 5.0, 10.0, 25.0])), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, seed=st.integers(0, 2**32 - 1))
def test_rfm_scores_do_not_depend_on_row_order(rows, seed):
    orders = pd.DataFrame(
        {
            "customer_id": [f"c{c}" for c, _, _ in rows],
            "order_date": pd.Timestamp("2025-01-01") + pd.to_timedelta([d for _, d, _ in rows], unit="D"),
            "order_total": [a for _, _, a in rows],
        }
    )
    shuffled = orders.sample(frac=1.0, random_state=np.random.RandomState(seed % 2**32)).reset_index(drop=True)
    a = tx.rfm_scores(orders, **COLS, amount="order_total")
    b = tx.rfm_scores(shuffled, **COLS, amount="order_total")
    pd.testing.assert_frame_equal(a, b)
    # Customers with the same (recency, frequency, monetary) have the same scores.
    assert (a.groupby(["recency_days", "frequency", "monetary"])[["R", "F", "M"]].nunique() == 1).all().all()


# -------------------------------------------------------------------------------- cohorts
def test_monthly_cohorts_on_a_known_example():
    matrix = tx.cohort_retention(_orders(), **COLS, period="month")
    assert list(matrix.index) == ["2025-01", "2025-02", "2025-03"]
    assert matrix.loc["2025-01", "users"] == 2  # ann, bob
    assert matrix.loc["2025-01", 0] == 1.0
    assert matrix.loc["2025-01", 1] == 0.5  # bob in February, ann not
    assert matrix.loc["2025-01", 2] == 0.5  # ann in March
    assert matrix.loc["2025-02", "users"] == 1 and np.isnan(matrix.loc["2025-02", 2])  # after the data ends
    assert matrix.loc["2025-03", "users"] == 2  # dan, eve
    assert matrix.loc["2025-03"].drop("users").notna().sum() == 1


def test_weekly_cohorts_match_the_session_contract_version():
    orders = _orders()
    renamed = orders.rename(columns={"customer_id": "user_id", "order_date": "purchase_date"})
    pd.testing.assert_frame_equal(tx.cohort_retention(orders, **COLS), seg.cohort_retention(renamed))
    assert tx.users_return(orders, customer="customer_id")


def test_conversion_by_cohort_age_takes_column_names_and_months():
    visits = _orders().assign(bought=[1, 0, 1, 1, 0, 1, 1, 0, 1, 1])
    table = tx.conversion_by_cohort_age(visits, **COLS, outcome="bought", period="month")
    assert list(table.months_since_first) == [0, 1, 2]
    month0 = table.set_index("months_since_first").loc[0]
    # Rows in each customer's first month: ann 2 (1 bought), bob 1 (0), cat 1 (1), dan 1 (0), eve 2 (2).
    assert (month0.n, month0.successes) == (7, 4)


# ----------------------------------------------------------------------- repeat purchases
def test_repeat_purchase_curve_by_count():
    curve = tx.repeat_purchase_curve(_orders(), **COLS, order="invoice", max_purchases=4)
    assert curve.customers.tolist() == [5, 3, 1, 0]  # ann 3 orders; bob, eve 2; cat, dan 1
    assert curve.share.tolist() == pytest.approx([1.0, 0.6, 0.2, 0.0])
    assert curve.share_of_previous.tolist() == pytest.approx([1.0, 0.6, 1 / 3, 0.0])
    # Without order=, ann's two lines on Mar 5 count as two purchases.
    assert tx.repeat_purchase_curve(_orders(), **COLS, max_purchases=4).customers.tolist() == [5, 3, 1, 1]


def test_repeat_purchase_curve_within_days_counts_only_customers_observed_long_enough():
    curve = tx.repeat_purchase_curve(_orders(), **COLS, order="invoice", within_days=[7, 20, 40]).set_index("days")
    # Log ends on Mar 8 09:00. Observed >= 7 days: ann, bob, cat, eve (Mar 1 09:00, exactly 7 days), not dan.
    assert curve.loc[7].eligible == 4 and curve.loc[7].repurchased == 1  # eve, 7 days later
    # >= 20 days: ann, bob, cat; ann's second order is 17 days after the first.
    assert (curve.loc[20].eligible, curve.loc[20].repurchased) == (3, 1)
    # >= 40 days: ann (Jan 3), bob (Jan 10); bob came back after 35 days.
    assert (curve.loc[40].eligible, curve.loc[40].repurchased) == (2, 2)
    with pytest.raises(ValueError, match="within_days"):
        tx.repeat_purchase_curve(_orders(), **COLS, within_days=[0])
    with pytest.raises(ValueError, match="max_purchases"):
        tx.repeat_purchase_curve(_orders(), **COLS, max_purchases=1)


def test_inter_purchase_times_per_customer_and_summary():
    times = tx.inter_purchase_times(_orders(), **COLS, order="invoice")
    assert times.gaps.customer_id.tolist() == ["ann", "ann", "bob", "eve"]
    assert times.gaps.purchase.tolist() == [2, 3, 2, 2]
    ann = times.per_customer.loc["ann"]
    assert ann.purchases == 3 and ann.first_gap_days == pytest.approx(17.125)
    assert times.per_customer.loc["eve"].median_days == 7.0
    assert times.summary["buyers"] == 5 and times.summary["repeat_buyers"] == 3 and times.summary["gaps"] == 4
    assert times.summary["median_days"] == pytest.approx(np.median(times.gaps.days))


def test_only_purchased_sessions_count_as_purchases_on_the_session_contract():
    sessions = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b"],
            "purchase_date": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-09", "2025-01-02"]),
            "purchase_decision": [1, 0, 1, 1],
        }
    )
    times = tx.inter_purchase_times(sessions)  # purchased="auto" uses purchase_decision
    assert times.gaps.days.tolist() == [8.0]
    assert tx.inter_purchase_times(sessions, purchased=None).gaps.days.tolist() == [2.0, 6.0]
    assert tx.repeat_purchase_curve(sessions, max_purchases=3).customers.tolist() == [2, 1, 0]


def test_one_row_per_customer_degrades_gracefully():
    once = _orders().drop_duplicates("customer_id")
    assert not tx.users_return(once, customer="customer_id")
    rfm = tx.rfm_scores(once, **COLS, amount="order_total")
    assert (rfm.F == 3).all()  # frequency carries no information
    assert tx.repeat_purchase_curve(once, **COLS, max_purchases=3).customers.tolist() == [5, 0, 0]
    times = tx.inter_purchase_times(once, **COLS)
    assert times.gaps.empty and times.summary["repeat_buyers"] == 0 and np.isnan(times.summary["median_days"])
    matrix = tx.cohort_retention(once, **COLS, period="month")
    assert list(matrix.columns) == ["users", 0] and matrix.users.tolist() == [2, 1, 2]


def test_on_the_simulator_rfm_and_repeat_purchases_agree(small_sim):
    s = small_sim.sessions
    rfm = tx.rfm_scores(s)
    assert rfm.frequency.sum() == len(s) and len(rfm) == s.user_id.nunique()
    assert (rfm.groupby("frequency").F.nunique() == 1).all()
    curve = tx.repeat_purchase_curve(s, max_purchases=3)
    buyers = s[s.purchase_decision == 1].user_id.value_counts()
    assert curve.customers.tolist() == [len(buyers), int((buyers >= 2).sum()), int((buyers >= 3).sum())]
    times = tx.inter_purchase_times(s)
    assert times.summary["gaps"] == int((buyers - 1).sum()) and (times.gaps.days >= 0).all()


@pytest.mark.kaggle
def test_one_session_per_customer_on_the_kaggle_file(kaggle_sessions):
    s = kaggle_sessions
    rfm = tx.rfm_scores(s)
    assert len(rfm) == len(s) and (rfm.F == 3).all()  # frequency says nothing here
    assert (rfm.groupby("monetary").M.nunique() == 1).all()  # the many zero-revenue customers share one score
    assert not tx.users_return(s)
    curve = tx.repeat_purchase_curve(s, max_purchases=2)
    assert curve.customers.tolist() == [int(s.purchase_decision.sum()), 0]
    assert tx.inter_purchase_times(s).summary["repeat_buyers"] == 0
    monthly = tx.cohort_retention(s, period="month")
    assert monthly.users.sum() == len(s) and list(monthly.columns) == ["users", 0]
