"""Independent pandas computations of every query in sql/queries, for the SQL tests.

Each function takes the validated sessions frame (row order = session_id order) and returns
the frame the query should return, with the same columns in the same order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _net(df: pd.DataFrame) -> pd.Series:
    return df["price"] * (1 - df["discount_applied"] / 100.0)


def _revenue(df: pd.DataFrame) -> pd.Series:
    return _net(df).where(df["purchase_decision"] == 1, 0.0)


def _order_value(df: pd.DataFrame) -> pd.Series:
    return _net(df).where(df["purchase_decision"] == 1)


def _agg(df: pd.DataFrame, by, **named) -> pd.DataFrame:
    g = df.groupby(by, sort=True, observed=True)
    out = pd.DataFrame({name: fn(g) for name, fn in named.items()})
    return out.reset_index()


def q01(df):
    carts = df.add_to_cart.sum()
    return pd.DataFrame(
        [
            {
                "sessions": len(df),
                "users": df.user_id.nunique(),
                "purchases": df.purchase_decision.sum(),
                "conversion_rate": df.purchase_decision.mean(),
                "carts": carts,
                "abandoned_carts": df.abandoned_cart.sum(),
                "cart_abandonment_rate": df.abandoned_cart.sum() / carts if carts else np.nan,
                "revenue": _revenue(df).sum(),
                "avg_order_value": _order_value(df).mean(),
                "avg_session_seconds": df.time_spent.mean(),
                "avg_pages": df.pages_visited.mean(),
                "bounce_rate": (df.pages_visited == 1).mean(),
            }
        ]
    )


def q02(df):
    d = df.assign(rev=_revenue(df))
    return _agg(
        d,
        "category",
        sessions=lambda g: g.size(),
        carts=lambda g: g.add_to_cart.sum(),
        purchases=lambda g: g.purchase_decision.sum(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_price=lambda g: g.price.mean(),
        revenue=lambda g: g.rev.sum(),
    )


def q03(df):
    d = df.assign(av=_net(df).where(df.abandoned_cart == 1, 0.0))

    def block(x):
        return {
            "carts": x.add_to_cart.sum(),
            "abandoned_carts": x.abandoned_cart.sum(),
            "abandonment_rate": x.abandoned_cart.sum() / x.add_to_cart.sum() if x.add_to_cart.sum() else np.nan,
            "abandoned_value": x.av.sum(),
        }

    rows = [{"category": c, **block(x)} for c, x in sorted(d.groupby("category"), key=lambda kv: kv[0])]
    rows.append({"category": "All", **block(d)})
    return pd.DataFrame(rows)


def _age_group(age):
    bins = [-np.inf, 18, 25, 35, 45, 55, 65, np.inf]
    labels = ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    return pd.cut(age, bins, right=False, labels=labels).astype(str)


def q04(df):
    d = df.assign(age_group=_age_group(df.age), ov=_order_value(df))
    return _agg(
        d,
        ["age_group", "gender"],
        sessions=lambda g: g.size(),
        purchases=lambda g: g.purchase_decision.sum(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_order_value=lambda g: g.ov.mean(),
        avg_price=lambda g: g.price.mean(),
    )


def q05(df):
    d = df.discount_applied
    tier = np.select([d == 0, d < 10, d < 20, d < 30, d < 40], [0, 1, 2, 3, 4], 5)
    labels = {0: "None", 1: "0-10%", 2: "10-20%", 3: "20-30%", 4: "30-40%", 5: "40%+"}
    x = df.assign(tier_order=tier, ov=_order_value(df), rev=_revenue(df))
    out = _agg(
        x,
        "tier_order",
        sessions=lambda g: g.size(),
        avg_discount=lambda g: g.discount_applied.mean(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_order_value=lambda g: g.ov.mean(),
        revenue=lambda g: g.rev.sum(),
    )
    out.insert(1, "discount_tier", out.tier_order.map(labels))
    return out


def q06(df):
    x = df.assign(ov=_order_value(df))
    out = _agg(
        x,
        "income_level",
        sessions=lambda g: g.size(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_price=lambda g: g.price.mean(),
        avg_discount=lambda g: g.discount_applied.mean(),
        avg_order_value=lambda g: g.ov.mean(),
    )
    order = {"Low": 1, "Medium": 2, "High": 3}
    key = out.income_level.map(order).fillna(4)
    return out.assign(_k=key).sort_values(["_k", "income_level"]).drop(columns="_k").reset_index(drop=True)


def q07(df):
    x = df.assign(ov=_order_value(df))
    out = _agg(
        x,
        "payment_method",
        sessions=lambda g: g.size(),
        carts=lambda g: g.add_to_cart.sum(),
        purchases=lambda g: g.purchase_decision.sum(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_order_value=lambda g: g.ov.mean(),
    )
    rate = out.purchases / out.carts.replace(0, np.nan)
    out.insert(5, "cart_to_purchase_rate", rate)
    return out


def q08(df):
    counts = [len(df), int((df.pages_visited >= 2).sum()), int(df.add_to_cart.sum()), int(df.purchase_decision.sum())]
    out = pd.DataFrame(
        {
            "step": [1, 2, 3, 4],
            "stage": ["Sessions", "Browsed 2+ pages", "Added to cart", "Purchased"],
            "sessions": counts,
        }
    )
    out["share_of_sessions"] = out.sessions / counts[0]
    out["share_of_previous"] = out.sessions / out.sessions.shift(1)
    return out


def q09(df):
    out = _agg(
        df,
        "purchase_decision",
        sessions=lambda g: g.size(),
        avg_pages=lambda g: g.pages_visited.mean(),
        avg_session_seconds=lambda g: g.time_spent.mean(),
        avg_price=lambda g: g.price.mean(),
        avg_discount=lambda g: g.discount_applied.mean(),
        avg_rating=lambda g: g.rating.mean(),
        avg_sentiment=lambda g: g.sentiment_score.mean(),
        avg_age=lambda g: g.age.mean(),
    )
    out = out.sort_values("purchase_decision", ascending=False).reset_index(drop=True)
    out.insert(0, "group_name", np.where(out.purchase_decision == 1, "Purchasers", "Non-purchasers"))
    return out.drop(columns="purchase_decision")


def q10(df):
    out = _agg(
        df,
        "location",
        sessions=lambda g: g.size(),
        users=lambda g: g.user_id.nunique(),
        purchases=lambda g: g.purchase_decision.sum(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
    )
    return out.sort_values(["sessions", "location"], ascending=[False, True]).head(20).reset_index(drop=True)


def q11(df):
    s = df.sentiment_score
    x = df.assign(bucket_order=np.select([s < -0.05, s <= 0.05], [1, 2], 3))
    out = _agg(
        x,
        "bucket_order",
        sessions=lambda g: g.size(),
        avg_sentiment=lambda g: g.sentiment_score.mean(),
        avg_rating=lambda g: g.rating.mean(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
    )
    out.insert(1, "sentiment_bucket", out.bucket_order.map({1: "Negative", 2: "Neutral", 3: "Positive"}))
    return out


def q12(df):
    p, pv, ab, t = df.purchase_decision, df.pages_visited, df.abandoned_cart, df.time_spent
    seg = np.select(
        [(p == 1) & (pv >= 10), p == 1, ab == 1, pv == 1, (pv >= 10) | (t >= 600)],
        ["Engaged buyer", "Quick buyer", "Cart abandoner", "Bounced", "Engaged browser"],
        "Casual browser",
    )
    x = df.assign(segment=seg, rev=_revenue(df))
    out = _agg(
        x,
        "segment",
        sessions=lambda g: g.size(),
        avg_pages=lambda g: g.pages_visited.mean(),
        avg_session_seconds=lambda g: g.time_spent.mean(),
        avg_price=lambda g: g.price.mean(),
        revenue=lambda g: g.rev.sum(),
    )
    out.insert(2, "share_of_sessions", out.sessions / len(df))
    return out.sort_values(["sessions", "segment"], ascending=[False, True]).reset_index(drop=True)


def _ntile(n: int, k: int) -> np.ndarray:
    """SQL NTILE(k) over n ordered rows: the first n % k groups get one extra row."""
    base, extra = divmod(n, k)
    sizes = [base + (1 if i < extra else 0) for i in range(k)]
    return np.repeat(np.arange(1, k + 1), sizes)


def q13(df):
    order = np.lexsort((np.arange(len(df)), df.time_spent.to_numpy()))
    quartile = np.empty(len(df), dtype=int)
    quartile[order] = _ntile(len(df), 4)
    x = df.assign(quartile=quartile)
    return _agg(
        x,
        "quartile",
        sessions=lambda g: g.size(),
        min_seconds=lambda g: g.time_spent.min(),
        max_seconds=lambda g: g.time_spent.max(),
        avg_pages=lambda g: g.pages_visited.mean(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
    )


def q14(df):
    x = df.assign(age_decade=(df.age // 10) * 10, ov=_order_value(df))
    return _agg(
        x,
        "age_decade",
        sessions=lambda g: g.size(),
        avg_age=lambda g: g.age.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_order_value=lambda g: g.ov.mean(),
        avg_pages=lambda g: g.pages_visited.mean(),
    )


def q15(df):
    engagement = np.where((df.pages_visited >= 10) | (df.time_spent >= 600), "High", "Low")
    tier = np.select([df.price < 50, df.price < 200], ["Budget", "Mid"], "Premium")
    x = df.assign(engagement=engagement, price_tier=tier, rev=_revenue(df))
    out = _agg(
        x,
        ["income_level", "engagement", "price_tier"],
        sessions=lambda g: g.size(),
        carts=lambda g: g.add_to_cart.sum(),
        purchases=lambda g: g.purchase_decision.sum(),
        revenue=lambda g: g.rev.sum(),
    )
    out.insert(6, "conversion_rate", out.purchases / out.sessions)
    out["share_of_sessions"] = out.sessions / out.sessions.sum()
    total = out.revenue.sum()
    out["share_of_revenue"] = out.revenue / total if total else np.nan
    out["revenue_rank"] = out.revenue.rank(method="min", ascending=False).astype(int)
    out = out[
        [
            "income_level",
            "engagement",
            "price_tier",
            "sessions",
            "carts",
            "purchases",
            "conversion_rate",
            "revenue",
            "share_of_sessions",
            "share_of_revenue",
            "revenue_rank",
        ]
    ]
    return out.sort_values(
        ["revenue", "income_level", "engagement", "price_tier"], ascending=[False, True, True, True]
    ).reset_index(drop=True)


def q16(df):
    x = df.assign(
        discount_group=np.where(df.discount_applied >= 20, "High (>= 20%)", "Low (< 20%)"), ov=_order_value(df)
    )
    return _agg(
        x,
        "discount_group",
        sessions=lambda g: g.size(),
        avg_discount=lambda g: g.discount_applied.mean(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        avg_order_value=lambda g: g.ov.mean(),
        avg_pages=lambda g: g.pages_visited.mean(),
        avg_session_seconds=lambda g: g.time_spent.mean(),
        avg_price=lambda g: g.price.mean(),
    )


def q17(df):
    order = np.digitize(df.price, [25, 50, 100, 200, 350]) + 1
    labels = {1: "<25", 2: "25-50", 3: "50-100", 4: "100-200", 5: "200-350", 6: "350+"}
    x = df.assign(bucket_order=order, rev=_revenue(df))
    out = _agg(
        x,
        "bucket_order",
        sessions=lambda g: g.size(),
        avg_price=lambda g: g.price.mean(),
        avg_discount=lambda g: g.discount_applied.mean(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
        revenue=lambda g: g.rev.sum(),
    )
    out.insert(1, "price_bucket", out.bucket_order.map(labels))
    return out


def _percent_rank(s: pd.Series) -> pd.Series:
    n = len(s)
    return (s.rank(method="min") - 1) / (n - 1) if n > 1 else s * 0.0


def q18(df):
    score = 0.5 * _percent_rank(df.pages_visited) + 0.5 * _percent_rank(df.time_spent)
    tier = np.select([score >= 2.0 / 3, score >= 1.0 / 3], [1, 2], 3)
    x = df.assign(score=score, tier_order=tier)
    out = _agg(
        x,
        "tier_order",
        sessions=lambda g: g.size(),
        avg_score=lambda g: g.score.mean(),
        avg_pages=lambda g: g.pages_visited.mean(),
        avg_session_seconds=lambda g: g.time_spent.mean(),
        cart_rate=lambda g: g.add_to_cart.mean(),
        conversion_rate=lambda g: g.purchase_decision.mean(),
    )
    out.insert(1, "engagement_tier", out.tier_order.map({1: "High", 2: "Medium", 3: "Low"}))
    return out


def q19(df):
    x = df[df.abandoned_cart == 1].assign(net=lambda d: _net(d))
    out = _agg(
        x,
        "category",
        abandoned_carts=lambda g: g.size(),
        value_at_risk=lambda g: g.net.sum(),
        avg_cart_value=lambda g: g.net.mean(),
        avg_discount=lambda g: g.discount_applied.mean(),
        share_without_discount=lambda g: g.discount_applied.apply(lambda s: (s == 0).mean()),
        avg_sentiment=lambda g: g.sentiment_score.mean(),
    )
    return out.sort_values(["value_at_risk", "category"], ascending=[False, True]).reset_index(drop=True)


def q20(df):
    ts = df.purchase_date
    week = (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    out = _agg(
        df.assign(week_start=week),
        "week_start",
        sessions=lambda g: g.size(),
        purchases=lambda g: g.purchase_decision.sum(),
    )
    out["conversion_rate"] = out.purchases / out.sessions
    out["cumulative_purchases"] = out.purchases.cumsum()
    out["conversion_4wk_avg"] = out.conversion_rate.rolling(4, min_periods=1).mean()
    return out


REFERENCE = {
    "01_overall_metrics": q01,
    "02_conversion_by_category": q02,
    "03_cart_abandonment": q03,
    "04_demographics": q04,
    "05_discount_tiers": q05,
    "06_income_level": q06,
    "07_payment_method": q07,
    "08_engagement_funnel": q08,
    "09_purchasers_vs_non_purchasers": q09,
    "10_location": q10,
    "11_sentiment_buckets": q11,
    "12_rule_based_segments": q12,
    "13_engagement_quartiles": q13,
    "14_age_cohorts": q14,
    "15_comprehensive_segment_view": q15,
    "16_high_vs_low_discount": q16,
    "17_price_buckets": q17,
    "18_engagement_scoring": q18,
    "19_cart_recovery": q19,
    "20_weekly_trend": q20,
}
