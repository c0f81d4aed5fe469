-- Question: Which combinations of income level, engagement (High: 10+ pages or 600+ s) and
-- price tier (Budget < 50, Mid < 200, Premium) bring the most revenue, and how do they convert?
WITH base AS (
    SELECT
        income_level,
        CASE WHEN pages_visited >= 10 OR time_spent >= 600 THEN 'High' ELSE 'Low' END AS engagement,
        CASE WHEN price < 50 THEN 'Budget' WHEN price < 200 THEN 'Mid' ELSE 'Premium' END AS price_tier,
        add_to_cart,
        purchase_decision,
        price * (1 - discount_applied / 100.0) AS net_price
    FROM customer_sessions
),
segments AS (
    SELECT
        income_level,
        engagement,
        price_tier,
        COUNT(*) AS sessions,
        SUM(add_to_cart) AS carts,
        SUM(purchase_decision) AS purchases,
        COALESCE(SUM(CASE WHEN purchase_decision = 1 THEN net_price END), 0.0) AS revenue
    FROM base
    GROUP BY income_level, engagement, price_tier
),
totals AS (
    SELECT SUM(sessions) AS all_sessions, COALESCE(SUM(revenue), 0.0) AS all_revenue FROM segments
)
SELECT
    s.income_level,
    s.engagement,
    s.price_tier,
    s.sessions,
    s.carts,
    s.purchases,
    1.0 * s.purchases / s.sessions AS conversion_rate,
    s.revenue,
    1.0 * s.sessions / t.all_sessions AS share_of_sessions,
    s.revenue / NULLIF(t.all_revenue, 0) AS share_of_revenue,
    RANK() OVER (ORDER BY s.revenue DESC) AS revenue_rank
FROM segments AS s
CROSS JOIN totals AS t
ORDER BY s.revenue DESC, s.income_level, s.engagement, s.price_tier;
