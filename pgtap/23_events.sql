-- Events (issue #18): every change queues exactly one event of its type (PgQ), in its own
-- transaction, none for a change rolled back; the payload of each type; the event log's
-- reader ledger.list_events (cursor, types, page size, per tenant) with each error by
-- SQLSTATE; the log is append-only; the sequencer runs at READ COMMITTED only.
-- The file is one transaction: what it queues is read from PgQ's tables before commit (the
-- events of this transaction), completed as the sequencer completes them
-- (ledger_private.event_payload: legs, a capture's journal). The sequencer itself and
-- the late commit are tested with real transactions (tests/test_events.py).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(69);
\ir helpers/fixtures.sql

-- The events this transaction has written so far, oldest first, as the sequencer reads them
-- once it commits: those queued in PgQ, and its journals (ledger_private.journals_between a
-- snapshot taken now, where this transaction is running, and one where it has committed),
-- their payloads completed as the sequencer completes them.
CREATE FUNCTION tap.queued(p_type text) RETURNS SETOF jsonb
LANGUAGE sql STABLE AS $$
    SELECT q.event FROM (
        SELECT e.ev_id AS seq,
               jsonb_build_object('type', e.ev_type, 'tenant', e.ev_extra2, 'actor', e.ev_extra3,
                                  'event_id', e.ev_extra1, 'ev_id', e.ev_id,
                                  'payload', ledger_private.event_payload(e.ev_extra2, e.ev_type,
                                                                          e.ev_data::jsonb)) AS event
          FROM pgq.event_template AS e
         WHERE e.ev_txid = txid_current() AND e.ev_type = p_type
        UNION ALL
        SELECT row_number() OVER (ORDER BY j.journal_id),
               jsonb_build_object('type', j.type, 'tenant', j.tenant, 'actor', j.created_by,
                                  'ev_id', row_number() OVER (ORDER BY j.journal_id),
                                  'payload', p.payload)
          FROM ledger_private.journals_between(
                   txid_current_snapshot(),
                   format('%s:%s:', txid_current() + 1, txid_current() + 1)::txid_snapshot) AS j
          JOIN ledger_private.event_of_journals(ARRAY[j.journal_id]) AS p ON true
         WHERE j.txid = txid_current() AND j.type = p_type
    ) AS q
     ORDER BY q.seq
$$;
CREATE FUNCTION tap.last(p_type text) RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT q - 'ev_id' FROM tap.queued(p_type) AS q ORDER BY (q ->> 'ev_id')::bigint DESC LIMIT 1 $$;
CREATE FUNCTION tap.count(p_type text) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT count(*)::integer FROM tap.queued(p_type) $$;

-- Accounts -----------------------------------------------------------------------------------
SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability', 'MERCHANT EUR liability');
SELECT is(tap.count('account.created'), 3, 'account.created: Should queue one event per account');
SELECT is(tap.last('account.created') - 'event_id',
          jsonb_build_object('type', 'account.created', 'tenant', 'default',
                             'actor', 'admin:' || session_user,
                             'payload', jsonb_build_object(
                                 'code', 'MERCHANT', 'name', 'MERCHANT', 'ccy', 'EUR', 'type', 'liability',
                                 'status', 'active', 'metadata', '{}'::jsonb, 'allow_negative', true,
                                 'min_balance', NULL, 'max_balance', NULL, 'max_leg_amount', NULL)),
          'account.created: Should carry the tenant, the actor and the account');
SELECT ok((tap.last('account.created') ->> 'event_id')::uuid IS NOT NULL,
          'Should give every event a uuid');
SELECT ledger.set_account_status('MERCHANT', 'frozen');
SELECT is(tap.last('account.status_changed') -> 'payload',
          '{"code": "MERCHANT", "from": "active", "to": "frozen"}'::jsonb,
          'account.status_changed: Should carry the code, from and to');
SELECT ledger.set_account_status('MERCHANT', 'frozen');
SELECT is(tap.count('account.status_changed'), 1, 'account.status_changed: Should queue nothing for no change');
SELECT ledger.set_account_status('MERCHANT', 'active');
SELECT ledger.set_account_limits('WALLET', min_balance => -500);
SELECT is(tap.last('account.limits_changed') -> 'payload',
          '{"code": "WALLET", "from": {"allow_negative": true, "min_balance": null, "max_balance": null, "max_leg_amount": null},
                              "to": {"allow_negative": true, "min_balance": "-500", "max_balance": null, "max_leg_amount": null}}'::jsonb,
          'account.limits_changed: Should carry the limits before and after, amounts as strings');
SELECT is(tap.count('account.limits_changed'), 1, 'account.limits_changed: Should queue one event');

-- Journals -----------------------------------------------------------------------------------
SELECT ledger.post_journal('j1', tap.pair('CASH', 'WALLET', '100.00'), memo => 'top-up', ref => 'R1');
SELECT is(tap.count('journal.posted'), 1, 'journal.posted: Should queue one event in the posting''s transaction');
SELECT is((SELECT count(*)::integer FROM pgq.event_template AS e
            WHERE e.ev_txid = txid_current() AND e.ev_type LIKE 'journal.%'), 0,
          'journal.posted: Should queue nothing in PgQ (the sequencer reads the journal itself)');
SELECT is(tap.last('journal.posted') -> 'payload',
          jsonb_build_object('journal_id', tap.jid('j1'), 'kind', 'transfer', 'idempotency_key', 'j1',
                             'effective_date', ledger.business_date(), 'memo', 'top-up', 'ref', 'R1',
                             'metadata', '{}'::jsonb, 'reverses', NULL,
                             'legs', '[{"leg_no": 1, "account": "CASH", "side": "debit", "amount": "100.00", "ccy": "EUR"},
                                      {"leg_no": 2, "account": "WALLET", "side": "credit", "amount": "100.00", "ccy": "EUR"}]'::jsonb),
          'journal.posted: Should carry the journal and its legs, amounts as strings');
SELECT ledger.post_journal('j1', tap.pair('CASH', 'WALLET', '100.00'), memo => 'top-up', ref => 'R1');
SELECT is(tap.count('journal.posted'), 1, 'journal.posted: Should queue nothing for a replay (duplicate)');
SELECT ledger.post_journals(jsonb_build_array(
    jsonb_build_object('idempotency_key', 'b1', 'legs', tap.pair('CASH', 'WALLET', '1.00')),
    jsonb_build_object('idempotency_key', 'b2', 'legs', tap.pair('CASH', 'WALLET', '2.00'))));
SELECT is((SELECT array_agg(q -> 'payload' ->> 'idempotency_key' ORDER BY q -> 'payload' ->> 'idempotency_key')
             FROM tap.queued('journal.posted') AS q WHERE q -> 'payload' ->> 'idempotency_key' LIKE 'b%'),
          ARRAY['b1', 'b2'], 'journal.posted: Should queue one event per journal of a batch');
SELECT ledger.reverse_journal(tap.jid('b1'), 'rev-b1');
SELECT is(tap.count('journal.reversed'), 1, 'journal.reversed: Should queue one event for a reversal');
SELECT is((tap.last('journal.reversed') -> 'payload' ->> 'reverses')::uuid, tap.jid('b1'),
          'journal.reversed: Should name the journal it reverses');
SELECT is(jsonb_array_length(tap.last('journal.reversed') -> 'payload' -> 'legs'), 2,
          'journal.reversed: Should carry its legs');
SELECT is(tap.count('journal.posted'), 3, 'journal.reversed: Should not also queue journal.posted');
-- The journals of a batch: committed between two snapshots, never the same twice.
SELECT is((SELECT array_agg(j.type ORDER BY j.journal_id)
             FROM ledger_private.journals_between(
                      txid_current_snapshot(),
                      format('%s:%s:', txid_current() + 1, txid_current() + 1)::txid_snapshot) AS j
            WHERE j.txid = txid_current()),
          ARRAY['journal.posted', 'journal.posted', 'journal.posted', 'journal.reversed'],
          'journals_between: Should give this transaction''s journals once it counts as committed');
SELECT is((SELECT count(*)::integer
             FROM ledger_private.journals_between(
                      format('%s:%s:', txid_current() + 1, txid_current() + 1)::txid_snapshot,
                      format('%s:%s:', txid_current() + 2, txid_current() + 2)::txid_snapshot) AS j
            WHERE j.txid = txid_current()), 0,
          'journals_between: Should not give a journal already visible in the earlier snapshot');
SELECT is((SELECT count(*)::integer
             FROM ledger_private.journals_between(txid_current_snapshot(), txid_current_snapshot()) AS j
            WHERE j.txid = txid_current()), 0,
          'journals_between: Should not give a journal whose transaction is still running');
-- The sequencer's set-based payloads: one row per journal asked for, none for an unknown id,
-- the same payload event_payload gives one event.
SELECT is((SELECT array_agg(e.payload ->> 'idempotency_key' ORDER BY e.payload ->> 'idempotency_key')
             FROM ledger_private.event_of_journals(ARRAY[tap.jid('b1'), tap.jid('b2'), tap.jid('j1'),
                                                         gen_random_uuid()]) AS e),
          ARRAY['b1', 'b2', 'j1'], 'event_of_journals: Should give one payload per known journal');
SELECT is((SELECT e.payload FROM ledger_private.event_of_journals(ARRAY[tap.jid('j1')]) AS e),
          (SELECT q -> 'payload' FROM tap.queued('journal.posted') AS q
            WHERE q -> 'payload' ->> 'idempotency_key' = 'j1'),
          'event_of_journals: Should give the payload the event carries');
SELECT is((SELECT array_agg((l ->> 'leg_no') || ':' || (l ->> 'account') || ':' || (l ->> 'side'))
             FROM ledger_private.event_of_journals(ARRAY[tap.jid('rev-b1')]) AS e,
                  jsonb_array_elements(e.payload -> 'legs') AS l),
          ARRAY['1:CASH:credit', '2:WALLET:debit'],
          'event_of_journals: Should give the legs in leg order with their account codes');

-- Rolled back: no event ------------------------------------------------------------------------
SAVEPOINT doomed;
SELECT ledger.post_journal('doomed', tap.pair('CASH', 'WALLET', '5.00'));
SELECT ledger.create_account('DOOMED', 'Doomed', 'EUR');
SELECT is((SELECT count(*)::integer FROM tap.queued('journal.posted') AS q
            WHERE q -> 'payload' ->> 'idempotency_key' = 'doomed'), 1,
          'Should queue the event of a change in its transaction');
ROLLBACK TO SAVEPOINT doomed;
SELECT is((SELECT count(*)::integer FROM tap.queued('journal.posted') AS q
            WHERE q -> 'payload' ->> 'idempotency_key' = 'doomed'), 0,
          'Should leave no event of a journal rolled back');
SELECT is((SELECT count(*)::integer FROM tap.queued('account.created') AS q
            WHERE q -> 'payload' ->> 'code' = 'DOOMED'), 0,
          'Should leave no event of an account rolled back');
SELECT throws_ok($$SELECT ledger.post_journal('over', tap.pair('CASH', 'WALLET', '1.001'))$$, 'DX004', NULL,
                 'Should refuse a bad posting (DX004)');
SELECT is((SELECT count(*)::integer FROM tap.queued('journal.posted') AS q
            WHERE q -> 'payload' ->> 'idempotency_key' = 'over'), 0,
          'Should queue no event for a refused posting');

-- FX -----------------------------------------------------------------------------------------
SELECT tap.create_accounts('USD-A USD asset');
SELECT ledger.post_fx_transfer('fx-1', 'CASH', 'USD-A', 100.00, rate => 1.1);
SELECT is(tap.count('fx.settled'), 1, 'fx.settled: Should queue one event per FX transfer');
SELECT is((tap.last('fx.settled') -> 'payload') - 'settlement_id' - 'source_journal_id' - 'destination_journal_id' - 'effective_date',
          '{"idempotency_key": "fx-1", "from_account": "CASH", "to_account": "USD-A",
            "source_amount": "100.00", "source_ccy": "EUR", "destination_amount": "110.00",
            "destination_ccy": "USD", "rate": "1.1", "rate_basis": "override", "fixed_side": "source",
            "residual": "0", "residual_ccy": "USD"}'::jsonb,
          'fx.settled: Should carry accounts, amounts and rate as strings');
SELECT is((SELECT count(*)::integer FROM tap.queued('journal.posted') AS q
            WHERE q -> 'payload' ->> 'kind' = 'fx'), 2,
          'fx.settled: Should come with the journal.posted of its two journals');

-- Holds --------------------------------------------------------------------------------------
SELECT ledger.create_hold('h1', tap.pair('WALLET', 'MERCHANT', '30.00'), memo => 'auth');
SELECT ledger.create_hold('h2', tap.pair('WALLET', 'MERCHANT', '10.00'));
SELECT ledger.create_hold('h3', tap.pair('WALLET', 'MERCHANT', '10.00'), expires_at => clock_timestamp() + interval '30 ms');
SELECT is(tap.count('hold.created'), 3, 'hold.created: Should queue one event per hold');
SELECT is((SELECT (q -> 'payload') - 'hold_id' FROM tap.queued('hold.created') AS q
            WHERE q -> 'payload' ->> 'idempotency_key' = 'h1'),
          '{"idempotency_key": "h1", "expires_at": null, "memo": "auth", "ref": null, "metadata": {},
            "legs": [{"leg_no": 1, "account": "WALLET", "side": "debit", "amount": "30.00", "ccy": "EUR"},
                     {"leg_no": 2, "account": "MERCHANT", "side": "credit", "amount": "30.00", "ccy": "EUR"}]}'::jsonb,
          'hold.created: Should carry the hold and its legs');
SELECT ledger.capture_hold((SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'h1'), 'c1');
SELECT ledger.void_hold((SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'h2'), 'v1');
SELECT pg_sleep(0.05);
SELECT is(ledger.expire_holds(), 1, 'Should expire h3');
SELECT is(tap.last('hold.captured') -> 'payload',
          jsonb_build_object('hold_id', (SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'h1'),
                             'idempotency_key', 'c1',
                             'journal_id', (SELECT journal_id FROM ledger_private.journal
                                             WHERE idempotency_key = 'hold:' || (SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'h1'))),
          'hold.captured: Should name the capture''s journal');
SELECT is((SELECT count(*)::integer FROM tap.queued('journal.posted') AS q
            WHERE q -> 'payload' ->> 'idempotency_key' LIKE 'hold:%'), 1,
          'hold.captured: Should come with the journal.posted of the capture');
SELECT is(tap.last('hold.voided') -> 'payload' ->> 'idempotency_key', 'v1', 'hold.voided: Should queue one event');
SELECT is(tap.last('hold.expired') -> 'payload' ->> 'journal_id', NULL, 'hold.expired: Should queue one event');
SELECT is(tap.count('hold.captured') + tap.count('hold.voided') + tap.count('hold.expired'), 3,
          'Should queue one event per resolution');

-- Keys, closes, reconciliation ---------------------------------------------------------------
CREATE TEMP TABLE k ON COMMIT DROP AS SELECT * FROM ledger.create_api_key('ev key', ARRAY['read']);
SELECT is((tap.last('key.created') -> 'payload') - 'expires_at' - 'revoked_at',
          jsonb_build_object('key_id', (SELECT key_id FROM k), 'name', 'ev key', 'capabilities', '["read"]'::jsonb),
          'key.created: Should carry the key id, name and capabilities');
SELECT ok(position((SELECT token FROM k) IN tap.last('key.created')::text) = 0
          AND position(split_part((SELECT token FROM k), '.', 2) IN tap.last('key.created')::text) = 0,
          'key.created: Should never carry the secret');
SELECT ledger.revoke_api_key((SELECT key_id FROM k));
SELECT is(tap.last('key.revoked') -> 'payload' ->> 'key_id', (SELECT key_id FROM k), 'key.revoked: Should queue one event');
SELECT ledger.revoke_api_key((SELECT key_id FROM k));
SELECT is(tap.count('key.revoked'), 1, 'key.revoked: Should queue nothing when revoked again');
SELECT ledger.eod_close(tap.d(3));
SELECT is(tap.last('day.closed') -> 'payload' ->> 'business_date', tap.d(3)::text,
          'day.closed: Should carry the closed date');
SELECT is(length(tap.last('day.closed') -> 'payload' ->> 'seal'), 64, 'day.closed: Should carry the seal in hex');
SELECT tap.import('CASH', ARRAY['1|' || ledger.business_date() || '|R1|100.00|EUR|top-up|',
                                '2|' || ledger.business_date() || '|R9|7.00|EUR|stray|']);
SELECT ledger.recon_run('CASH', ledger.business_date());
SELECT is((tap.last('recon.finished') -> 'payload') - 'business_date',
          (SELECT jsonb_build_object('run_id', r.run_id, 'account', 'CASH', 'tolerance', r.tolerance::text,
                                     'statement_lines', 2, 'legs', r.legs, 'matched', 1, 'amount_mismatch', 0,
                                     'missing_in_ledger', 1, 'missing_in_bank', r.legs - 1,
                                     'exceptions', r.legs, 'bank_total', '107.00',
                                     'ledger_total', r.ledger_total::text)
             FROM ledger_private.recon_run AS r ORDER BY r.run_id DESC LIMIT 1),
          'recon.finished: Should carry the counts and the exceptions');
SELECT is(tap.count('recon.finished'), 1, 'recon.finished: Should queue one event per run');

-- Balance monitors (their payloads and crossings: 24_monitors.sql) -----------------------------
SELECT ledger.create_monitor('WALLET', field => 'posted', condition => '>', threshold => 0);
SELECT ledger.post_journal('mon', tap.pair('WALLET', 'CASH', '100.00'));
SET CONSTRAINTS ALL IMMEDIATE;  -- the monitors' watch is deferred to commit
SET CONSTRAINTS ALL DEFERRED;
SELECT is(tap.last('monitor.resolved') -> 'payload' ->> 'value', '-28.00',
          'monitor.resolved: Should queue when the condition stops holding');

-- Every type, and the tenant ------------------------------------------------------------------
SELECT set_eq($$SELECT t FROM unnest(ledger_private.event_types()) AS t WHERE EXISTS (SELECT FROM tap.queued(t))$$,
              $$SELECT unnest(ledger_private.event_types())$$,
              'Should have written every event type of ledger_private.event_types()');
SELECT ledger.create_tenant('tev');
SELECT ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'tev');
SELECT is(tap.last('account.created') ->> 'tenant', 'tev', 'Should queue an event under its tenant');

-- The reader ---------------------------------------------------------------------------------
INSERT INTO ledger_private.event (event_id, tenant, type, actor, occurred_at, txid, payload)
SELECT gen_random_uuid(), t, ty, 'admin:tap', now(), 1, jsonb_build_object('n', n)
  FROM generate_series(1, 6) AS n,
       LATERAL (SELECT CASE WHEN n % 2 = 0 THEN 'tev' ELSE 'default' END AS t,
                       CASE WHEN n % 3 = 0 THEN 'day.closed' ELSE 'journal.posted' END AS ty) AS x;
SELECT is((SELECT array_agg((payload ->> 'n')::integer ORDER BY position) FROM ledger.list_events()),
          ARRAY[1, 3, 5], 'list_events: Should answer the tenant''s events in position order');
SELECT is((SELECT array_agg((payload ->> 'n')::integer ORDER BY position) FROM ledger.list_events(tenant => 'tev')),
          ARRAY[2, 4, 6], 'list_events: Should answer only the named tenant''s events');
SELECT is((SELECT array_agg((payload ->> 'n')::integer ORDER BY position)
             FROM ledger.list_events(after => (SELECT min(position) FROM ledger_private.event), page_size => 1)),
          ARRAY[3], 'list_events: Should page after a position');
SELECT is((SELECT array_agg((payload ->> 'n')::integer ORDER BY position)
             FROM ledger.list_events(types => ARRAY['day.closed'])),
          ARRAY[3], 'list_events: Should filter by type');
SELECT throws_ok($$SELECT * FROM ledger.list_events(after => -1)$$, 'DX058',
                 'after: must be a position of 0 or more, got -1', 'list_events: Should refuse a negative position (DX058)');
SELECT throws_ok($$SELECT * FROM ledger.list_events(after => NULL)$$, 'DX058', NULL,
                 'list_events: Should refuse a NULL position (DX058)');
SELECT throws_ok($$SELECT * FROM ledger.list_events(types => ARRAY['journal.posted', 'nope'])$$, 'DX058', NULL,
                 'list_events: Should refuse an unknown type (DX058)');
SELECT throws_ok($$SELECT * FROM ledger.list_events(types => ARRAY[]::text[])$$, 'DX058', NULL,
                 'list_events: Should refuse an empty type list (DX058)');
SELECT throws_ok($$SELECT * FROM ledger.list_events(page_size => 0)$$, 'DX019', NULL,
                 'list_events: Should refuse a page size of 0 (DX019)');

-- Payloads built when read: an event stored with its subject alone (a journal's or a hold's
-- id, as the sequencer stores journal and hold events) reads as the payload the sequencer
-- completed before (migrations/0027), for every journal and hold this file wrote ------------
INSERT INTO ledger_private.event (event_id, tenant, type, actor, occurred_at, txid, subject)
SELECT gen_random_uuid(), x.tenant, x.type, 'admin:tap', now(), 1, x.subject
  FROM (SELECT j.tenant, CASE j.kind WHEN 'reversal' THEN 'journal.reversed' ELSE 'journal.posted' END AS type,
               j.journal_id AS subject
          FROM ledger_private.journal AS j WHERE j.txid = txid_current()
        UNION ALL
        SELECT h.tenant, 'hold.created', h.hold_id FROM ledger_private.hold AS h
        UNION ALL
        SELECT r.tenant, 'hold.' || r.outcome, r.hold_id FROM ledger_private.hold_resolution AS r) AS x;
CREATE TEMP TABLE built ON COMMIT DROP AS
SELECT e.type, e.subject, p.payload
  FROM ledger_private.event AS e
  JOIN ledger_private.event_payloads(ARRAY(SELECT n.position FROM ledger_private.event AS n
                                            WHERE n.subject IS NOT NULL)) AS p
    ON p.event_position = e.position;
SELECT is((SELECT count(*)::integer FROM built), (SELECT count(*)::integer FROM ledger_private.event WHERE subject IS NOT NULL),
          'event_payloads: Should give one payload per event asked for');
SELECT set_eq($$SELECT DISTINCT type FROM built$$,
              ARRAY['journal.posted', 'journal.reversed', 'hold.created', 'hold.captured', 'hold.voided', 'hold.expired'],
              'event_payloads: Should build the payload of every type stored without one');
SELECT set_eq($$SELECT type, payload FROM built$$,
              $$SELECT t, q -> 'payload'
                  FROM unnest(ARRAY['journal.posted', 'journal.reversed', 'hold.created', 'hold.captured',
                                    'hold.voided', 'hold.expired']) AS t,
                       tap.queued(t) AS q$$,
              'event_payloads: Should build exactly the payload the sequencer completed from the queue');
SELECT is((SELECT payload FROM built WHERE type = 'hold.created'
            AND subject = (SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'h1')) -> 'legs' -> 0,
          '{"leg_no": 1, "account": "WALLET", "side": "debit", "amount": "30.00", "ccy": "EUR"}'::jsonb,
          'event_payloads: Should give a hold''s legs with the account''s code');
SELECT is((SELECT array_agg(p.payload ->> 'n' ORDER BY p.event_position)
             FROM ledger_private.event_payloads(ARRAY(SELECT position FROM ledger_private.event
                                                       WHERE payload ? 'n')) AS p),
          ARRAY['1', '2', '3', '4', '5', '6'], 'event_payloads: Should give a stored payload as stored');
SELECT is((SELECT count(*)::integer FROM ledger_private.event_payloads(ARRAY[-1::bigint])), 0,
          'event_payloads: Should give no row for a position not in the log');
SELECT is((SELECT payload FROM ledger.list_events(types => ARRAY['journal.reversed'])),
          (SELECT q -> 'payload' FROM tap.queued('journal.reversed') AS q),
          'list_events: Should give a payload built when read');
SELECT throws_ok($$INSERT INTO ledger_private.event (event_id, tenant, type, actor, occurred_at, txid, subject)
                   VALUES (gen_random_uuid(), 'default', 'day.closed', 'admin:tap', now(), 1, gen_random_uuid())$$,
                 '23514', NULL, 'Should refuse an event without a payload of a type whose payload is not built');
SELECT throws_ok($$INSERT INTO ledger_private.event (event_id, tenant, type, actor, occurred_at, txid)
                   VALUES (gen_random_uuid(), 'default', 'journal.posted', 'admin:tap', now(), 1)$$,
                 '23514', NULL, 'Should refuse an event with neither a payload nor a subject');
SELECT throws_ok($$UPDATE ledger_private.event SET actor = 'x'$$, 'DX017', NULL,
                 'Should keep the event log append-only (DX017)');
SELECT throws_ok($$SELECT * FROM ledger.sequence_events()$$, 'DX016', NULL,
                 'sequence_events: Should run at READ COMMITTED only (DX016)');

SELECT * FROM finish();
ROLLBACK;
