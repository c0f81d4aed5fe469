-- Question: If each session gets an engagement score (the mean of its percentile ranks in
-- pages visited and in time spent), how do Low (< 1/3), Medium and High (>= 2/3) tiers convert?
WITH ranked AS (
    SELECT
        session_id,
        pages_visited,
        time_spent,
        add_to_cart,
        purchase_decision,
        0.5 * PERCENT_RANK() OVER (ORDER BY pages_visited)
            + 0.5 * PERCENT_RANK() OVER (ORDER BY time_spent) AS score
    FROM customer_sessions
),
tiered AS (
    SELECT
        CASE WHEN score >= 2.0 / 3 THEN 1 WHEN score >= 1.0 / 3 THEN 2 ELSE 3 END AS tier_order,
        *
    FROM ranked
)
SELECT
    tier_order,
    CASE tier_order WHEN 1 THEN 'High' WHEN 2 THEN 'Medium' ELSE 'Low' END AS engagement_tier,
    COUNT(*) AS sessions,
    AVG(score) AS avg_score,
    AVG(pages_visited) AS avg_pages,
    AVG(time_spent) AS avg_session_seconds,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate
FROM tiered
GROUP BY tier_order
ORDER BY tier_order;
