-- Question: Which 20 locations bring the most sessions, and how do they convert?
SELECT
    location,
    COUNT(*) AS sessions,
    COUNT(DISTINCT user_id) AS users,
    SUM(purchase_decision) AS purchases,
    AVG(purchase_decision) AS conversion_rate
FROM customer_sessions
GROUP BY location
ORDER BY sessions DESC, location
LIMIT 20;
