-- Question: What are the sufficient statistics of the headline product metrics: the counts behind
-- conversion, cart rate, cart abandonment and bounce rate, and the n, mean and sum of squared
-- deviations behind average order value, revenue per session, session seconds and pages per session?
-- Revenue of a purchase is the price net of the discount: price * (1 - discount_applied / 100);
-- a session without a purchase has revenue 0. Two passes over the sessions: the means first, then
-- the squared deviations from them (stable, unlike the sum of squares minus the square of the sum).
WITH sessions AS (
    SELECT
        purchase_decision,
        add_to_cart,
        abandoned_cart,
        pages_visited,
        time_spent,
        CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) ELSE 0.0 END AS revenue
    FROM customer_sessions
),
totals AS (
    SELECT
        COUNT(*) AS sessions,
        SUM(purchase_decision) AS purchases,
        SUM(add_to_cart) AS carts,
        SUM(abandoned_cart) AS abandoned_carts,
        SUM(CASE WHEN pages_visited = 1 THEN 1 ELSE 0 END) AS bounces,
        AVG(CASE WHEN purchase_decision = 1 THEN revenue END) AS order_value_mean,
        AVG(revenue) AS revenue_mean,
        AVG(time_spent) AS seconds_mean,
        AVG(pages_visited) AS pages_mean
    FROM sessions
)
SELECT
    t.sessions,
    t.purchases,
    t.carts,
    t.abandoned_carts,
    t.bounces,
    t.order_value_mean,
    SUM(CASE WHEN s.purchase_decision = 1 THEN (s.revenue - t.order_value_mean) * (s.revenue - t.order_value_mean) END)
        AS order_value_ssd,
    t.revenue_mean,
    SUM((s.revenue - t.revenue_mean) * (s.revenue - t.revenue_mean)) AS revenue_ssd,
    t.seconds_mean,
    SUM((s.time_spent - t.seconds_mean) * (s.time_spent - t.seconds_mean)) AS seconds_ssd,
    t.pages_mean,
    SUM((s.pages_visited - t.pages_mean) * (s.pages_visited - t.pages_mean)) AS pages_ssd
FROM sessions AS s
CROSS JOIN totals AS t
GROUP BY
    t.sessions, t.purchases, t.carts, t.abandoned_carts, t.bounces,
    t.order_value_mean, t.revenue_mean, t.seconds_mean, t.pages_mean;
