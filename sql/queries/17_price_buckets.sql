-- Question: How does conversion change across price buckets (under 25, 25-50, 50-100,
-- 100-200, 200-350, 350 and more)?
WITH bucketed AS (
    SELECT
        CASE
            WHEN price < 25 THEN 1
            WHEN price < 50 THEN 2
            WHEN price < 100 THEN 3
            WHEN price < 200 THEN 4
            WHEN price < 350 THEN 5
            ELSE 6
        END AS bucket_order,
        *
    FROM customer_sessions
)
SELECT
    bucket_order,
    CASE bucket_order
        WHEN 1 THEN '<25' WHEN 2 THEN '25-50' WHEN 3 THEN '50-100'
        WHEN 4 THEN '100-200' WHEN 5 THEN '200-350' ELSE '350+'
    END AS price_bucket,
    COUNT(*) AS sessions,
    AVG(price) AS avg_price,
    AVG(discount_applied) AS avg_discount,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate,
    COALESCE(SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0) AS revenue
FROM bucketed
GROUP BY bucket_order
ORDER BY bucket_order;
