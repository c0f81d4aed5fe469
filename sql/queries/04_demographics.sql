-- Question: How do conversion and order value vary across age groups and genders?
-- Age groups: 13-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+.
WITH grouped AS (
    SELECT
        CASE
            WHEN age < 18 THEN '13-17'
            WHEN age < 25 THEN '18-24'
            WHEN age < 35 THEN '25-34'
            WHEN age < 45 THEN '35-44'
            WHEN age < 55 THEN '45-54'
            WHEN age < 65 THEN '55-64'
            ELSE '65+'
        END AS age_group,
        gender,
        purchase_decision,
        price,
        price * (1 - discount_applied / 100.0) AS net_price
    FROM customer_sessions
)
SELECT
    age_group,
    gender,
    COUNT(*) AS sessions,
    SUM(purchase_decision) AS purchases,
    AVG(purchase_decision) AS conversion_rate,
    AVG(CASE WHEN purchase_decision = 1 THEN net_price END) AS avg_order_value,
    AVG(price) AS avg_price
FROM grouped
GROUP BY age_group, gender
ORDER BY age_group, gender;
