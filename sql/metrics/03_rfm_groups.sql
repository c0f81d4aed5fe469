-- Question: How many customers fall in each RFM group (Champions, Loyal, Big spenders, At risk,
-- Hibernating, Promising), with their mean recency in days, sessions and revenue, and the share
-- of them who bought?
-- Per customer: recency (days from the last session to the last session of all), frequency
-- (sessions) and monetary (net revenue of purchases). Each is scored tie-aware, as
-- transactions.tie_aware_score: score = 1 + floor(5 * below / n), where below counts the customers
-- strictly worse (RANK() - 1) and n all customers; written as integer comparisons (5 * below >= k * n),
-- so it is exact on every engine. A component with a single distinct value scores 3 for everyone.
-- unixepoch() is SQLite's integer seconds; scale.py maps it to DuckDB's and Spark's epoch seconds.
WITH customers AS (
    SELECT
        user_id,
        MAX(unixepoch(purchase_date)) AS last_seen,
        COUNT(*) AS frequency,
        SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) ELSE 0.0 END) AS monetary
    FROM customer_sessions
    GROUP BY user_id
),
overall AS (
    SELECT
        COUNT(*) AS n,
        MIN(last_seen) AS first_last_seen,
        MAX(last_seen) AS as_of,
        MIN(frequency) AS frequency_min,
        MAX(frequency) AS frequency_max,
        MIN(monetary) AS monetary_min,
        MAX(monetary) AS monetary_max
    FROM customers
),
ranked AS (
    SELECT
        user_id,
        last_seen,
        frequency,
        monetary,
        RANK() OVER (ORDER BY last_seen) - 1 AS r_below,
        RANK() OVER (ORDER BY frequency) - 1 AS f_below,
        RANK() OVER (ORDER BY monetary) - 1 AS m_below
    FROM customers
),
scored AS (
    SELECT
        (o.as_of - c.last_seen) / 86400.0 AS recency_days,
        c.frequency,
        c.monetary,
        CASE WHEN o.first_last_seen = o.as_of THEN 3 ELSE
            1 + (CASE WHEN 5 * c.r_below >= o.n THEN 1 ELSE 0 END) + (CASE WHEN 5 * c.r_below >= 2 * o.n THEN 1 ELSE 0 END)
            + (CASE WHEN 5 * c.r_below >= 3 * o.n THEN 1 ELSE 0 END) + (CASE WHEN 5 * c.r_below >= 4 * o.n THEN 1 ELSE 0 END)
        END AS r_score,
        CASE WHEN o.frequency_min = o.frequency_max THEN 3 ELSE
            1 + (CASE WHEN 5 * c.f_below >= o.n THEN 1 ELSE 0 END) + (CASE WHEN 5 * c.f_below >= 2 * o.n THEN 1 ELSE 0 END)
            + (CASE WHEN 5 * c.f_below >= 3 * o.n THEN 1 ELSE 0 END) + (CASE WHEN 5 * c.f_below >= 4 * o.n THEN 1 ELSE 0 END)
        END AS f_score,
        CASE WHEN o.monetary_min = o.monetary_max THEN 3 ELSE
            1 + (CASE WHEN 5 * c.m_below >= o.n THEN 1 ELSE 0 END) + (CASE WHEN 5 * c.m_below >= 2 * o.n THEN 1 ELSE 0 END)
            + (CASE WHEN 5 * c.m_below >= 3 * o.n THEN 1 ELSE 0 END) + (CASE WHEN 5 * c.m_below >= 4 * o.n THEN 1 ELSE 0 END)
        END AS m_score
    FROM ranked AS c
    CROSS JOIN overall AS o
),
segmented AS (
    SELECT
        recency_days,
        frequency,
        monetary,
        CASE
            WHEN r_score >= 4 AND f_score >= 4 AND m_score >= 4 THEN 'Champions'
            WHEN f_score >= 4 THEN 'Loyal'
            WHEN m_score >= 4 THEN 'Big spenders'
            WHEN r_score <= 2 AND f_score >= 3 THEN 'At risk'
            WHEN r_score <= 2 THEN 'Hibernating'
            ELSE 'Promising'
        END AS rfm_segment
    FROM scored
)
SELECT
    rfm_segment,
    COUNT(*) AS customers,
    AVG(recency_days) AS avg_recency_days,
    AVG(1.0 * frequency) AS avg_sessions,
    AVG(monetary) AS avg_revenue,
    AVG(CASE WHEN monetary > 0 THEN 1.0 ELSE 0.0 END) AS buyers
FROM segmented
GROUP BY rfm_segment
ORDER BY rfm_segment;
