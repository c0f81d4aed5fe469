-- Question: How do sessions that end in a purchase differ from the others in engagement,
-- price, discount, rating, sentiment and age?
SELECT
    CASE purchase_decision WHEN 1 THEN 'Purchasers' ELSE 'Non-purchasers' END AS group_name,
    COUNT(*) AS sessions,
    AVG(pages_visited) AS avg_pages,
    AVG(time_spent) AS avg_session_seconds,
    AVG(price) AS avg_price,
    AVG(discount_applied) AS avg_discount,
    AVG(rating) AS avg_rating,
    AVG(sentiment_score) AS avg_sentiment,
    AVG(age) AS avg_age
FROM customer_sessions
GROUP BY purchase_decision
ORDER BY purchase_decision DESC;
