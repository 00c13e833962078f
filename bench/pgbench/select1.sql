-- Ceiling: the cheapest round trip, same cluster, same role, same isolation.
SELECT 1;
