-- Question: How many customers of each weekly acquisition cohort (the Monday of the week of their
-- first session) are active in each later week?
-- One row per (cohort, week) with at least one active customer; the retention matrix (ages,
-- shares, unobservable cells) is built from these counts in scale.py, as transactions.cohort_retention.
WITH activity AS (
    SELECT DISTINCT
        user_id,
        date(purchase_date, 'weekday 0', '-6 days') AS period
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
