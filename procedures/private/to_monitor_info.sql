-- ledger_private.to_monitor_info(monitor) → ledger.monitor_info: a balance monitor as the
-- API answers it: its account's code (NULL for a monitor of a type), and the codes of the
-- accounts where its condition holds now (its triggered states), in code order.

CREATE OR REPLACE FUNCTION ledger_private.to_monitor_info(p ledger_private.monitor)
RETURNS ledger.monitor_info
LANGUAGE sql STABLE
AS $$
    SELECT ROW(p.monitor_id,
               (SELECT a.code FROM ledger_private.account AS a WHERE a.account_id = p.account_id),
               p.account_type, p.field, p.condition, p.threshold,
               ARRAY(SELECT a.code
                       FROM ledger_private.monitor_state AS s
                       JOIN ledger_private.account AS a ON a.account_id = s.account_id
                      WHERE s.monitor_id = p.monitor_id AND s.is_triggered
                      ORDER BY a.code),
               p.created_at, p.created_by)::ledger.monitor_info
$$;

COMMENT ON FUNCTION ledger_private.to_monitor_info(ledger_private.monitor) IS
    'A balance monitor as the API answers it, with the accounts where it is triggered';
