-- Question: How many sessions reach each stage of the funnel: all sessions, browsed 2+ pages,
-- added to cart, purchased (each stage counted on its own condition, as 08_engagement_funnel)?
SELECT
    COUNT(*) AS sessions,
    SUM(CASE WHEN pages_visited >= 2 THEN 1 ELSE 0 END) AS browsed,
    SUM(add_to_cart) AS carted,
    SUM(purchase_decision) AS purchased
FROM customer_sessions;
