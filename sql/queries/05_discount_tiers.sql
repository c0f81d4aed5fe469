-- Question: How do conversion, cart rate and order value change across discount tiers
-- (none, under 10%, 10-20%, 20-30%, 30-40%, 40% and more)?
-- Descriptive only: discounts are not randomized, so tiers differ in who receives them.
WITH tiered AS (
    SELECT
        CASE
            WHEN discount_applied = 0 THEN 0
            WHEN discount_applied < 10 THEN 1
            WHEN discount_applied < 20 THEN 2
            WHEN discount_applied < 30 THEN 3
            WHEN discount_applied < 40 THEN 4
            ELSE 5
        END AS tier_order,
        *
    FROM customer_sessions
)
SELECT
    tier_order,
    CASE tier_order
        WHEN 0 THEN 'None' WHEN 1 THEN '0-10%' WHEN 2 THEN '10-20%'
        WHEN 3 THEN '20-30%' WHEN 4 THEN '30-40%' ELSE '40%+'
    END AS discount_tier,
    COUNT(*) AS sessions,
    AVG(discount_applied) AS avg_discount,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate,
    AVG(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END) AS avg_order_value,
    COALESCE(SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0) AS revenue
FROM tiered
GROUP BY tier_order
ORDER BY tier_order;
