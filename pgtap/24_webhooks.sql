-- Webhooks (issue #18): an endpoint's URL, types and secret checked (DX059), its secret
-- answered once, the tenant's endpoints listed without secrets, deleted (once),
-- replayed from a position (DX061 for none), its history read by outcome (DX061 for
-- another), at most webhooks_per_tenant live ones (DX062), another tenant's never seen; the
-- history is append-only; the worker's claim and record run at READ COMMITTED only (DX016).
-- The worker's claims, records, backoff and dead letters run in real transactions
-- (tests/test_webhooks.py), like the sequencer.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(38);
\ir helpers/fixtures.sql

-- Creating ------------------------------------------------------------------------------------
CREATE TEMP TABLE hook ON COMMIT DROP AS
SELECT * FROM ledger.create_webhook('https://hooks.example.com/doublex', ARRAY['hold.created', 'journal.posted']);
SELECT matches((SELECT webhook_id FROM hook), '^dxw_[0-9a-f]{12}$', 'Should name an endpoint dxw_ and 12 hex digits');
SELECT matches((SELECT secret FROM hook), '^whsec_[0-9a-f]{64}$', 'Should make a secret of 256 bits when none is given');
SELECT is((SELECT types FROM hook), ARRAY['journal.posted', 'hold.created'],
          'Should keep the types in the order of the event types');
SELECT is((SELECT created_by FROM hook), 'admin:' || session_user, 'Should sign the endpoint with its creator');
SELECT is((SELECT secret FROM ledger.create_webhook('http://127.0.0.1:8080/hook', NULL, 'my-own-secret-0123'))::text,
          'my-own-secret-0123', 'Should take a secret the caller chooses, and http on loopback');
SELECT is((SELECT types FROM ledger.list_webhooks() WHERE url = 'http://127.0.0.1:8080/hook'), NULL,
          'Should store NULL types for every type');
SELECT ok(NOT EXISTS (SELECT FROM information_schema.attributes
                       WHERE udt_schema = 'ledger' AND udt_name = 'webhook_info' AND attribute_name = 'secret'),
          'Should never show a secret in a listing');
SELECT is((SELECT cursor FROM ledger.list_webhooks() WHERE webhook_id = (SELECT webhook_id FROM hook)),
          coalesce((SELECT max(position) FROM ledger_private.event), 0),
          'Should start an endpoint after the last event of the log');
SELECT is((SELECT count(*)::integer FROM ledger.list_audit() WHERE action = 'create_webhook'), 2,
          'Should audit each creation');

-- Checks ----------------------------------------------------------------------------------------
SELECT throws_ok(format('SELECT ledger.create_webhook(%L)', u), 'DX059', NULL, format('Should refuse the URL %s', u))
  FROM unnest(ARRAY['ftp://example.com/x', 'https://user:pw@example.com/x', 'https:///x',
                    'https://exa mple.com/', 'javascript:alert(1)', 'https://example.com/' || repeat('a', 2048)]) AS u;
SELECT throws_ok($$SELECT ledger.create_webhook(NULL)$$, 'DX059', NULL, 'Should refuse a NULL URL');
SELECT throws_ok($$SELECT ledger.create_webhook('https://example.com', ARRAY['journal.posted', 'nope'])$$,
                 'DX059', NULL, 'Should refuse an unknown type');
SELECT throws_ok($$SELECT ledger.create_webhook('https://example.com', ARRAY[]::text[])$$,
                 'DX059', NULL, 'Should refuse an empty type list');
SELECT throws_ok($$SELECT ledger.create_webhook('https://example.com', NULL, 'short')$$,
                 'DX059', NULL, 'Should refuse a short secret');
SELECT throws_ok($$SELECT ledger.create_webhook('https://example.com', NULL, 'has a space in it 0123')$$,
                 'DX059', NULL, 'Should refuse a secret with spaces');

-- The limit of live endpoints -------------------------------------------------------------------
SELECT ledger.create_webhook(format('https://hooks.example.com/%s', n)) FROM generate_series(1, 18) AS n;
SELECT throws_ok($$SELECT ledger.create_webhook('https://hooks.example.com/21')$$, 'DX062', NULL,
                 'Should refuse a 21st live endpoint');

-- Deleting ----------------------------------------------------------------------------------------
SELECT isnt((SELECT deleted_at FROM ledger.delete_webhook((SELECT webhook_id FROM hook))), NULL,
            'Should mark an endpoint deleted');
SELECT is((SELECT count(*)::integer FROM ledger.list_webhooks() WHERE webhook_id = (SELECT webhook_id FROM hook)), 0,
          'Should list no deleted endpoint');
SELECT is((SELECT count(*)::integer FROM ledger.delete_webhook((SELECT webhook_id FROM hook)))
           + (SELECT count(*)::integer FROM ledger.list_audit() WHERE action = 'delete_webhook'), 2,
          'Should answer a deleted endpoint unchanged, audited once');
SELECT throws_ok($$SELECT ledger.delete_webhook('dxw_000000000000')$$, 'DX060', NULL, 'Should refuse an unknown endpoint');
SELECT lives_ok($$SELECT ledger.create_webhook('https://hooks.example.com/21')$$,
                'Should count live endpoints only');

-- Replaying and the history ------------------------------------------------------------------------
CREATE TEMP TABLE live ON COMMIT DROP AS
SELECT webhook_id FROM ledger.list_webhooks() WHERE url = 'http://127.0.0.1:8080/hook';
SELECT is((SELECT cursor FROM ledger.replay_webhook((SELECT webhook_id FROM live), 1)), 0::bigint,
          'Should move the cursor to just before the replay''s position');
SELECT throws_ok(format('SELECT ledger.replay_webhook(%L, 0)', (SELECT webhook_id FROM live)), 'DX061', NULL,
                 'Should refuse a replay from position 0');
SELECT throws_ok(format('SELECT ledger.replay_webhook(%L, NULL)', (SELECT webhook_id FROM live)), 'DX061', NULL,
                 'Should refuse a replay from no position');
SELECT is((SELECT count(*)::integer FROM ledger.list_webhook_deliveries((SELECT webhook_id FROM hook))), 0,
          'Should read a deleted endpoint''s (empty) history');
SELECT throws_ok(format('SELECT ledger.list_webhook_deliveries(%L, %L)', (SELECT webhook_id FROM live), 'lost'),
                 'DX061', NULL, 'Should refuse an unknown outcome');
SELECT throws_ok(format('SELECT ledger.list_webhook_deliveries(%L, page_size => 0)', (SELECT webhook_id FROM live)),
                 'DX019', NULL, 'Should bound the page size');
INSERT INTO ledger_private.webhook_delivery (webhook_id, position, event_id, attempt, outcome, status, duration_ms)
VALUES ((SELECT webhook_id FROM live), 1, gen_random_uuid(), 1, 'failed', 503, 4),
       ((SELECT webhook_id FROM live), 1, gen_random_uuid(), 2, 'delivered', 200, 3);
SELECT is((SELECT array_agg(outcome ORDER BY delivery_id DESC) FROM ledger.list_webhook_deliveries((SELECT webhook_id FROM live))),
          ARRAY['delivered', 'failed'], 'Should read the history newest first');
SELECT is((SELECT count(*)::integer FROM ledger.list_webhook_deliveries((SELECT webhook_id FROM live), 'failed')), 1,
          'Should filter the history by outcome');
SELECT throws_ok($$UPDATE ledger_private.webhook_delivery SET outcome = 'delivered'$$, 'DX017', NULL,
                 'Should keep the history append-only');

-- Tenants ---------------------------------------------------------------------------------------
SELECT ledger.create_tenant('acme');
SELECT throws_ok(format('SELECT ledger.list_webhook_deliveries(%L, tenant => %L)', (SELECT webhook_id FROM live), 'acme'),
                 'DX060', NULL, 'Should not find another tenant''s endpoint');
SELECT is((SELECT count(*)::integer FROM ledger.list_webhooks('acme')), 0, 'Should list a tenant''s own endpoints only');

-- The worker's isolation ------------------------------------------------------------------------
SELECT throws_ok(format('SELECT * FROM ledger.claim_webhook_events(%L)', (SELECT webhook_id FROM live)), 'DX016', NULL,
                 'Should claim at READ COMMITTED only');

SELECT * FROM finish();
ROLLBACK;
