-- Question: Does checkout completion (purchases per cart) differ by payment method?
SELECT
    payment_method,
    COUNT(*) AS sessions,
    SUM(add_to_cart) AS carts,
    SUM(purchase_decision) AS purchases,
    AVG(purchase_decision) AS conversion_rate,
    1.0 * SUM(purchase_decision) / NULLIF(SUM(add_to_cart), 0) AS cart_to_purchase_rate,
    AVG(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END) AS avg_order_value
FROM customer_sessions
GROUP BY payment_method
ORDER BY payment_method;
