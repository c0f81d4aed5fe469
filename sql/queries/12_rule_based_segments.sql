-- Question: How large and how valuable are simple rule-based session segments?
-- Rules, first match wins: Engaged buyer (purchase, 10+ pages), Quick buyer (purchase),
-- Cart abandoner, Bounced (1 page), Engaged browser (10+ pages or 600+ s), Casual browser.
WITH segmented AS (
    SELECT
        CASE
            WHEN purchase_decision = 1 AND pages_visited >= 10 THEN 'Engaged buyer'
            WHEN purchase_decision = 1 THEN 'Quick buyer'
            WHEN abandoned_cart = 1 THEN 'Cart abandoner'
            WHEN pages_visited = 1 THEN 'Bounced'
            WHEN pages_visited >= 10 OR time_spent >= 600 THEN 'Engaged browser'
            ELSE 'Casual browser'
        END AS segment,
        *
    FROM customer_sessions
)
SELECT
    segment,
    COUNT(*) AS sessions,
    1.0 * COUNT(*) / SUM(COUNT(*)) OVER () AS share_of_sessions,
    AVG(pages_visited) AS avg_pages,
    AVG(time_spent) AS avg_session_seconds,
    AVG(price) AS avg_price,
    COALESCE(SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0) AS revenue
FROM segmented
GROUP BY segment
ORDER BY sessions DESC, segment;
