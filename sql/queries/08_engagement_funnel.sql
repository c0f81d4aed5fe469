-- Question: How many sessions reach each stage of the funnel (all sessions, browsed 2+ pages,
-- added to cart, purchased), as a share of all sessions and of the previous stage?
-- Each stage is counted on its own condition; window functions give the shares.
WITH stages AS (
    SELECT 1 AS step, 'Sessions' AS stage, COUNT(*) AS sessions FROM customer_sessions
    UNION ALL
    SELECT 2, 'Browsed 2+ pages', SUM(CASE WHEN pages_visited >= 2 THEN 1 ELSE 0 END) FROM customer_sessions
    UNION ALL
    SELECT 3, 'Added to cart', SUM(add_to_cart) FROM customer_sessions
    UNION ALL
    SELECT 4, 'Purchased', SUM(purchase_decision) FROM customer_sessions
)
SELECT
    step,
    stage,
    CAST(sessions AS INTEGER) AS sessions,
    1.0 * sessions / FIRST_VALUE(sessions) OVER (ORDER BY step) AS share_of_sessions,
    1.0 * sessions / LAG(sessions) OVER (ORDER BY step) AS share_of_previous
FROM stages
ORDER BY step;
