-- Question: Where are the cart-recovery opportunities: per category, how many carts were
-- abandoned, how much net value they hold, and how many of them had no discount yet?
SELECT
    category,
    COUNT(*) AS abandoned_carts,
    COALESCE(SUM(price * (1 - discount_applied / 100.0)), 0.0) AS value_at_risk,
    AVG(price * (1 - discount_applied / 100.0)) AS avg_cart_value,
    AVG(discount_applied) AS avg_discount,
    AVG(CASE WHEN discount_applied = 0 THEN 1.0 ELSE 0.0 END) AS share_without_discount,
    AVG(sentiment_score) AS avg_sentiment
FROM customer_sessions
WHERE abandoned_cart = 1
GROUP BY category
ORDER BY value_at_risk DESC, category;
