-- Question: How do sessions with a high discount (20% or more) compare with the rest in
-- conversion, order value and engagement? A descriptive contrast, not a causal effect:
-- discounts are targeted, so the groups differ before any discount is shown.
SELECT
    CASE WHEN discount_applied >= 20 THEN 'High (>= 20%)' ELSE 'Low (< 20%)' END AS discount_group,
    COUNT(*) AS sessions,
    AVG(discount_applied) AS avg_discount,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate,
    AVG(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END) AS avg_order_value,
    AVG(pages_visited) AS avg_pages,
    AVG(time_spent) AS avg_session_seconds,
    AVG(price) AS avg_price
FROM customer_sessions
GROUP BY discount_group
ORDER BY discount_group;
