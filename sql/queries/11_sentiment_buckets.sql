-- Question: Do sessions whose product reviews read negative, neutral or positive convert
-- differently? Buckets: negative (< -0.05), neutral (-0.05 to 0.05), positive (> 0.05).
WITH bucketed AS (
    SELECT
        CASE WHEN sentiment_score < -0.05 THEN 1 WHEN sentiment_score <= 0.05 THEN 2 ELSE 3 END AS bucket_order,
        *
    FROM customer_sessions
)
SELECT
    bucket_order,
    CASE bucket_order WHEN 1 THEN 'Negative' WHEN 2 THEN 'Neutral' ELSE 'Positive' END AS sentiment_bucket,
    COUNT(*) AS sessions,
    AVG(sentiment_score) AS avg_sentiment,
    AVG(rating) AS avg_rating,
    AVG(add_to_cart) AS cart_rate,
    AVG(purchase_decision) AS conversion_rate
FROM bucketed
GROUP BY bucket_order
ORDER BY bucket_order;
