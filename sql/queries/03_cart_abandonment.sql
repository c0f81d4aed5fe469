-- Question: How often are carts abandoned, in each category and overall, and how much net
-- value do the abandoned carts hold?
SELECT * FROM (
    SELECT
        category,
        SUM(add_to_cart) AS carts,
        SUM(abandoned_cart) AS abandoned_carts,
        1.0 * SUM(abandoned_cart) / NULLIF(SUM(add_to_cart), 0) AS abandonment_rate,
        COALESCE(SUM(CASE WHEN abandoned_cart = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0) AS abandoned_value
    FROM customer_sessions
    GROUP BY category
    UNION ALL
    SELECT
        'All',
        SUM(add_to_cart),
        SUM(abandoned_cart),
        1.0 * SUM(abandoned_cart) / NULLIF(SUM(add_to_cart), 0),
        COALESCE(SUM(CASE WHEN abandoned_cart = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0)
    FROM customer_sessions
)
ORDER BY category = 'All', category;
