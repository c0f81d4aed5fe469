-- Question: How do sessions, purchases and conversion move week by week (weeks start on
-- Monday), with the running total of purchases and the 4-week moving average of conversion?
WITH weekly AS (
    SELECT
        date(purchase_date, 'weekday 0', '-6 days') AS week_start,
        COUNT(*) AS sessions,
        SUM(purchase_decision) AS purchases
    FROM customer_sessions
    GROUP BY week_start
)
SELECT
    week_start,
    sessions,
    purchases,
    1.0 * purchases / sessions AS conversion_rate,
    SUM(purchases) OVER (ORDER BY week_start ROWS UNBOUNDED PRECEDING) AS cumulative_purchases,
    AVG(1.0 * purchases / sessions) OVER (ORDER BY week_start ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)
        AS conversion_4wk_avg
FROM weekly
ORDER BY week_start;
