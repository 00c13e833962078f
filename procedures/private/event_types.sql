-- ledger_private.event_types() → text[]: every event type the ledger writes, in the order
-- the OpenAPI document lists them. ledger.list_events refuses a filter naming another (DX058).

CREATE OR REPLACE FUNCTION ledger_private.event_types() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT ARRAY['journal.posted', 'journal.reversed', 'fx.settled',
                 'hold.created', 'hold.captured', 'hold.voided', 'hold.expired',
                 'account.created', 'account.status_changed', 'account.limits_changed',
                 'day.closed', 'recon.finished', 'key.created', 'key.revoked',
                 'monitor.triggered', 'monitor.resolved']
$$;

COMMENT ON FUNCTION ledger_private.event_types() IS 'Every event type the ledger writes';
