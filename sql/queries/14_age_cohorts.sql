-- Question: How do conversion, spend and engagement change across age decades (10s, 20s, ...)?
SELECT
    age - age % 10 AS age_decade,
    COUNT(*) AS sessions,
    AVG(age) AS avg_age,
    AVG(purchase_decision) AS conversion_rate,
    AVG(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END) AS avg_order_value,
    AVG(pages_visited) AS avg_pages
FROM customer_sessions
GROUP BY age_decade
ORDER BY age_decade;
