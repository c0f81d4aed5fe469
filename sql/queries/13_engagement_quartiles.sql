-- Question: How does conversion rise across quartiles of session duration (NTILE(4) over
-- time_spent, ties broken by session_id so the split is deterministic)?
WITH ranked AS (
    SELECT
        NTILE(4) OVER (ORDER BY time_spent, session_id) AS quartile,
        *
    FROM customer_sessions
)
SELECT
    quartile,
    COUNT(*) AS sessions,
    MIN(time_spent) AS min_seconds,
    MAX(time_spent) AS max_seconds,
    AVG(pages_visited) AS avg_pages,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate
FROM ranked
GROUP BY quartile
ORDER BY quartile;
