-- Question: How many customers of each monthly acquisition cohort (the month of their first
-- session) are active in each later month?
-- One row per (cohort, month) with at least one active customer, months as YYYY-MM text; the
-- retention matrix is built from these counts in scale.py, as transactions.cohort_retention.
WITH activity AS (
    SELECT DISTINCT
        user_id,
        strftime('%Y-%m', purchase_date) AS period
    FROM customer_sessions
),
firsts AS (
    SELECT user_id, MIN(period) AS cohort
    FROM activity
    GROUP BY user_id
)
SELECT
    f.cohort,
    a.period,
    COUNT(*) AS users
FROM activity AS a
JOIN firsts AS f ON a.user_id = f.user_id
GROUP BY f.cohort, a.period
ORDER BY f.cohort, a.period;
