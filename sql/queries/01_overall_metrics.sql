-- Question: What are the headline product metrics: sessions, users, purchases, conversion rate,
-- cart abandonment rate (abandoned / carted), revenue, average order value, session duration,
-- pages per session and bounce rate (sessions with a single page)?
-- Revenue of a purchase is the price net of the discount: price * (1 - discount_applied / 100).
SELECT
    COUNT(*) AS sessions,
    COUNT(DISTINCT user_id) AS users,
    SUM(purchase_decision) AS purchases,
    AVG(purchase_decision) AS conversion_rate,
    SUM(add_to_cart) AS carts,
    SUM(abandoned_cart) AS abandoned_carts,
    1.0 * SUM(abandoned_cart) / NULLIF(SUM(add_to_cart), 0) AS cart_abandonment_rate,
    COALESCE(SUM(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END), 0.0) AS revenue,
    AVG(CASE WHEN purchase_decision = 1 THEN price * (1 - discount_applied / 100.0) END) AS avg_order_value,
    AVG(time_spent) AS avg_session_seconds,
    AVG(pages_visited) AS avg_pages,
    AVG(CASE WHEN pages_visited = 1 THEN 1.0 ELSE 0.0 END) AS bounce_rate
FROM customer_sessions;
