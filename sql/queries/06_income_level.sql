-- Question: How do conversion, prices chosen and order value differ by income level?
SELECT
    income_level,
    COUNT(*) AS sessions,
    AVG(purchase_decision) AS conversion_rate,
    AVG(price) AS avg_price,
    AVG(discount_applied) AS avg_discount,
    AVG(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END) AS avg_order_value
FROM customer_sessions
GROUP BY income_level
ORDER BY CASE income_level WHEN 'Low' THEN 1 WHEN 'Medium' THEN 2 WHEN 'High' THEN 3 ELSE 4 END, income_level;
