-- Question: How many customers have each number of sessions, how many of them bought nothing, and
-- how many distinct revenue values do customers have (what notebook 02's RFM sentences need beside
-- the groups: how frequency maps to F, and the lowest M of a buyer)?
-- Customers are as in 03_rfm_groups.sql: sessions per user_id and net revenue of purchases.
WITH customers AS (
    SELECT
        user_id,
        COUNT(*) AS frequency,
        SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) ELSE 0.0 END) AS monetary
    FROM customer_sessions
    GROUP BY user_id
),
levels AS (
    SELECT COUNT(DISTINCT monetary) AS monetary_levels FROM customers
)
SELECT
    c.frequency,
    COUNT(*) AS customers,
    SUM(CASE WHEN c.monetary <= 0 THEN 1 ELSE 0 END) AS non_buyers,
    MAX(l.monetary_levels) AS monetary_levels
FROM customers AS c
CROSS JOIN levels AS l
GROUP BY c.frequency
ORDER BY c.frequency;
