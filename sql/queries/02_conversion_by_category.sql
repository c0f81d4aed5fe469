-- Question: How do traffic, cart rate, conversion and revenue differ between product categories?
SELECT
    category,
    COUNT(*) AS sessions,
    SUM(add_to_cart) AS carts,
    SUM(purchase_decision) AS purchases,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate,
    AVG(price) AS avg_price,
    COALESCE(SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0) AS revenue
FROM customer_sessions
GROUP BY category
ORDER BY category;
