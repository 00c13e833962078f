-- Helpers shared by several functions of procedures/ (one definition each) and the readers
-- built on them: authorize (the caller's tenant, first in every reader), raise_leg_error
-- (the leg trigger's field errors), eod_progress_notice (the close's progress), and
-- normal_balance used wherever a balance is read on the normal side. Structure, behaviour,
-- and each error with its SQLSTATE.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(97);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['stable']) AS t; END $$;

-- Structure -------------------------------------------------------------------------------
SELECT tap.function_is(f.name, f.args, f.returns, f.lang, f.volatility)
  FROM (VALUES
    ('ledger_private.authorize',           ARRAY['text', 'text'], 'ledger_private.principal', 'plpgsql', 'stable'),
    ('ledger_private.raise_leg_error',     ARRAY['text', 'integer', 'text', 'text', 'text'], 'void', 'plpgsql', 'immutable'),
    ('ledger_private.eod_progress_notice', ARRAY['jsonb', 'date', 'text'], 'void', 'plpgsql', 'immutable'),
    ('ledger.get_account',                 ARRAY['text', 'text'], 'ledger.account_info', 'plpgsql', 'stable'),
    ('ledger.get_journal',                 ARRAY['uuid', 'text'], 'ledger.journal_entry', 'plpgsql', 'stable'),
    ('ledger.recon_summaries',             ARRAY['date', 'text', 'text'], 'SETOF ledger.recon_summary', 'plpgsql', 'stable'),
    ('ledger.recon_mismatch_totals',       ARRAY['text'], 'SETOF ledger.recon_mismatch_total', 'plpgsql', 'stable'),
    ('ledger_private.account_or_error',     ARRAY['text', 'text', 'text'], 'ledger_private.account', 'plpgsql', 'stable'),
    ('ledger_private.find_account',        ARRAY['text', 'text'], 'ledger_private.account', 'plpgsql', 'stable'),
    ('ledger_private.find_posting_account', ARRAY['text', 'text', 'text'], 'ledger_private.account', 'plpgsql', 'stable'),
    ('ledger_private.currency_exponent',   ARRAY['text'], 'smallint', 'sql', 'stable'),
    ('ledger_private.batch_posting_results', ARRAY['text', 'jsonb', 'text', 'text'],
     'SETOF ledger.batch_item_result', 'plpgsql', 'volatile'),
    ('ledger_private.batch_results',       ARRAY['text', 'jsonb', 'text', 'anyelement'],
     'TABLE("position" integer, idempotency_key text, status text, error_code text, error_field text, '
     'error_message text, result anyelement)', 'plpgsql', 'volatile'),
    ('ledger_private.raise_no_webhook',    ARRAY['text', 'text', 'boolean'], 'void', 'plpgsql', 'immutable'),
    ('ledger_private.check_balances_after', ARRAY['text', 'bigint[]', 'integer[]', 'jsonb'], 'void', 'plpgsql', 'stable'),
    ('ledger_private.check_legs_balance',  ARRAY['uuid', 'jsonb'], 'void', 'plpgsql', 'immutable')
       ) AS f (name, args, returns, lang, volatility)
 ORDER BY f.name;

-- authorize (an admin here; 16_tenancy and 17_access_matrix try every other caller) -------
SELECT is((ledger_private.authorize('read', 'stable')).tenant, 'stable', 'Should answer the tenant an admin names');
SELECT throws_ok($$SELECT ledger_private.authorize('read', 'bad tenant')$$, 'DX019',
                 'tenant: ''bad tenant'' is not a valid tenant name', 'Should refuse a malformed tenant with DX019');
SELECT is((ledger_private.authorize('read', NULL)).tenant, 'default',
          'Should take a NULL tenant as an admin''s default (#14: NULL is the caller''s own tenant)');

-- raise_leg_error -------------------------------------------------------------------------
CREATE FUNCTION pg_temp.leg_error(p_hint text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
    v_column text;
    v_message text;
    v_hint text;
BEGIN
    PERFORM ledger_private.raise_leg_error('DX008', 3, 'ccy', 'account X holds EUR, the leg is in USD', p_hint);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_column = COLUMN_NAME,
                            v_message = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
    RETURN format('%s|%s|%s|%s', v_state, v_column, v_message, v_hint);
END
$$;
SELECT throws_ok($$SELECT ledger_private.raise_leg_error('DX004', 1, 'amount', '1.001 has more decimals than EUR allows (2)')$$,
                 'DX004', 'legs[0].amount: 1.001 has more decimals than EUR allows (2)',
                 'Should raise the given SQLSTATE, naming the leg by its 0-based index and the field');
SELECT is(pg_temp.leg_error('Settle through clearing accounts.'),
          'DX008|legs[2].ccy|legs[2].ccy: account X holds EUR, the leg is in USD|Settle through clearing accounts.',
          'Should set COLUMN to legs[i].field and pass the hint');
SELECT is(pg_temp.leg_error(NULL),
          'DX008|legs[2].ccy|legs[2].ccy: account X holds EUR, the leg is in USD|',
          'Should raise without a hint when none is given');

-- The accounts and journals the readers below need.
SELECT lives_ok($$
    SELECT tap.create_accounts('CASH EUR asset', 'LIAB EUR liability non-negative', 'USD-CASH USD asset',
                               'EQ EUR equity'),
           ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '10.00')),
           ledger.upsert_fx_rate('EUR', 'USD', 1.0850, tap.day('2026-01-01')),
           ledger.post_fx_transfer('h-fx', 'CASH', 'USD-CASH', 4.00)
$$, 'Should set up accounts, a journal, a rate and an FX settlement');

-- The leg trigger's errors through raise_leg_error (a leg written around the posting path).
CREATE FUNCTION pg_temp.direct_leg(p_key text, p_amount numeric, p_ccy text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
    VALUES (ledger_private.uuid_v7(), p_key, ledger.business_date(), 'test:direct');
    INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
    SELECT j.journal_id, 1, a.account_id, 'debit', p_amount, p_ccy
      FROM ledger_private.journal AS j, ledger_private.account AS a
     WHERE j.idempotency_key = p_key AND a.code = 'CASH';
$$;
SELECT throws_ok($$SELECT pg_temp.direct_leg('h-d1', 1, 'USD')$$, 'DX008',
                 'legs[0].ccy: account CASH holds EUR, the leg is in USD',
                 'leg trigger: Should refuse a leg in another currency than its account, naming legs[0].ccy');
SELECT throws_ok($$SELECT pg_temp.direct_leg('h-d2', 1.001, 'EUR')$$, 'DX004',
                 'legs[0].amount: 1.001 has more decimals than EUR allows (2)',
                 'leg trigger: Should refuse too many decimals, naming legs[0].amount');

-- account_or_error, and find_account / find_posting_account over it ----------------------
SELECT is((ledger_private.account_or_error('default', 'CASH', NULL)).code, 'CASH',
          'account_or_error: Should answer the account');
SELECT throws_ok($$SELECT ledger_private.account_or_error('default', 'NOPE', NULL)$$, 'DX020',
                 'account: no account NOPE in tenant default', 'account_or_error: Should raise DX020 for a read');
SELECT throws_ok($$SELECT ledger_private.account_or_error('default', 'NOPE', 'to_account')$$, 'DX006',
                 'to_account: no account NOPE in tenant default',
                 'account_or_error: Should raise DX006 naming the request''s field');
SELECT throws_ok($$SELECT ledger_private.find_account('default', NULL)$$, 'DX020',
                 'account: no account NULL in tenant default', 'find_account: Should raise DX020 for no code');
SELECT throws_ok($$SELECT ledger_private.find_posting_account('default', 'NOPE', 'from_account')$$, 'DX006',
                 'from_account: no account NOPE in tenant default', 'find_posting_account: Should raise DX006');
SELECT is((ledger_private.find_posting_account('default', 'LIAB', 'to_account')).type, 'liability',
          'find_posting_account: Should answer the account');
CREATE FUNCTION pg_temp.hint_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_hint text;
BEGIN
    EXECUTE p_query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    RETURN v_hint;
END
$$;
SELECT is(pg_temp.hint_of($$SELECT ledger_private.find_account('default', 'NOPE')$$), '',
          'find_account: Should give DX020 no hint');
SELECT is(pg_temp.hint_of($$SELECT ledger_private.find_posting_account('default', 'NOPE', 'to_account')$$),
          'Create it first with ledger.create_account().', 'find_posting_account: Should hint at create_account');

-- currency_exponent -------------------------------------------------------------------------
SELECT results_eq($$SELECT ledger_private.currency_exponent(c) FROM unnest(ARRAY['EUR', 'JPY', 'XXX']) AS c$$,
                  $$VALUES (2::smallint), (0::smallint), (NULL::smallint)$$,
                  'currency_exponent: Should answer a currency''s decimals, NULL for an unknown code');

-- eod_progress_notice -----------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger_private.eod_progress_notice(NULL, tap.day('2026-11-20'), 'read')$$,
                'Should say nothing when no progress was asked for');
SELECT lives_ok($$SELECT ledger_private.eod_progress_notice('{"done": 3, "total": 9}', tap.day('2026-11-20'), p)
                    FROM unnest(ARRAY['read', 'snapshots', 'sealed']) AS p$$,
                'Should report each of the three phases');
SELECT throws_ok($$SELECT ledger_private.eod_progress_notice('{"done": 0, "total": 3}', tap.day('2026-11-20'), 'fence')$$,
                 'P0002', NULL, 'Should refuse a phase the close does not have');

-- Readers over authorize: the tenant is checked before anything is looked up --------------
SELECT throws_ok($$SELECT * FROM ledger.get_account('NOPE', 'bad tenant')$$, 'DX019', NULL,
                 'get_account: Should refuse a malformed tenant before looking the account up');
SELECT throws_ok($$SELECT * FROM ledger.get_account('NOPE')$$, 'DX020',
                 'account: no account NOPE in tenant default', 'get_account: Should answer DX020 for an unknown account');
SELECT is((SELECT (a).code FROM ledger.get_account('CASH') AS a), 'CASH', 'get_account: Should read an account');
SELECT throws_ok($$SELECT * FROM ledger.get_journal(gen_random_uuid(), 'bad tenant')$$, 'DX019', NULL,
                 'get_journal: Should refuse a malformed tenant before looking the journal up');
SELECT throws_ok($$SELECT * FROM ledger.get_journal('00000000-0000-7000-8000-000000000000')$$, 'DX013',
                 'journal_id: no journal 00000000-0000-7000-8000-000000000000 in tenant default',
                 'get_journal: Should answer DX013 for an unknown journal');
SELECT is((SELECT j.idempotency_key FROM ledger.get_journal(tap.jid('h-1')) AS j), 'h-1',
          'get_journal: Should read a journal');
SELECT throws_ok($$SELECT * FROM ledger.fx_rate('XXX', 'XXX', NULL, 'bad tenant')$$, 'DX019', NULL,
                 'fx_rate: Should check the tenant before the pair');
SELECT throws_ok($$SELECT * FROM ledger.fx_rate('XXX', 'USD')$$, 'DX005', NULL,
                 'fx_rate: Should then check the pair (DX005)');
SELECT is((SELECT r.rate FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-06-01')) AS r), 1.0850::numeric,
          'fx_rate: Should read the rate');
SELECT throws_ok($$SELECT * FROM ledger.balance_history('NOPE', tap.day('2026-02-01'), tap.day('2026-01-01'), 'bad tenant')$$,
                 'DX019', NULL, 'balance_history: Should check the tenant first');
SELECT throws_ok($$SELECT * FROM ledger.balance_history('NOPE', tap.day('2026-02-01'), tap.day('2026-01-01'))$$,
                 'DX020', NULL, 'balance_history: Should then look the account up');
SELECT throws_ok($$SELECT * FROM ledger.balance_history('CASH', tap.day('2026-02-01'), tap.day('2026-01-01'))$$,
                 'DX029', tap.dates('from_date: 2026-02-01 is after to_date 2026-01-01'),
                 'balance_history: Should then check the dates');
SELECT throws_ok($$SELECT * FROM ledger.recon_summaries(NULL, NULL, 'bad tenant')$$, 'DX019', NULL,
                 'recon_summaries: Should refuse a malformed tenant');
SELECT throws_ok($$SELECT * FROM ledger.recon_summaries(NULL)$$, 'DX039', 'business_date: required',
                 'recon_summaries: Should require a date');
SELECT is((SELECT count(*) FROM ledger_private.recon_run), 0::bigint, 'Should have no reconciliation run yet');
SELECT throws_ok($$SELECT * FROM ledger.recon_mismatch_totals('bad tenant')$$, 'DX019', NULL,
                 'recon_mismatch_totals: Should refuse a malformed tenant even with no run to read');
SELECT results_eq($$SELECT kind, total FROM ledger.recon_mismatch_totals()$$,
                  $$VALUES ('amount_mismatch', 0::bigint), ('missing_in_bank', 0), ('missing_in_ledger', 0)$$,
                  'recon_mismatch_totals: Should answer zeros by kind before any run');

-- normal_balance: one definition, inlined -------------------------------------------------
SELECT unalike(tap.plan_text($$
    SELECT ledger_private.normal_balance(a.normal_side, t.debits, t.credits)
      FROM ledger_private.account AS a, ledger_private.account_totals(a.account_id) AS t$$),
    '%normal_balance%', 'Should inline normal_balance into the balance reads');
SELECT alike(pg_get_functiondef('ledger_private.account_or_error(text, text, text)'::regprocedure),
             '%FROM ledger_private.account AS a%',
             'Should look the account up in account_or_error itself (a cached plan), not through a SQL function returning a row, which is planned on every call');
SELECT is((SELECT balance FROM ledger.get_balance('LIAB')), 10.00::numeric,
          'get_balance: Should read a credit-normal account as credits − debits');
SELECT is((SELECT balance FROM ledger.get_balance('CASH')), 6.00::numeric,
          'get_balance: Should read a debit-normal account as debits − credits');
SELECT throws_ok($$SELECT ledger.post_journal('h-over', tap.pair('LIAB', 'CASH', '10.01'))$$, 'DX010',
                 'legs[0].amount: insufficient funds on LIAB (balance would be -0.01)',
                 'check_account_limits: Should refuse a credit-normal account below zero on its normal side');
SELECT lives_ok($$SELECT ledger.post_journal('h-zero', tap.pair('LIAB', 'CASH', '10.00'))$$,
                'check_account_limits: Should let it reach zero');

-- check_balances_after: the limits, then the conditions, on the balances after the writes.
CREATE TEMP TABLE liab ON COMMIT DROP AS
    SELECT ARRAY[a.account_id] AS ids FROM ledger_private.account AS a
     WHERE a.tenant = 'default' AND a.code = 'LIAB';
CREATE TEMP TABLE liab_condition ON COMMIT DROP AS
    SELECT ledger_private.normalize_conditions(
               '[{"account": "LIAB", "field": "posted", "op": ">=", "amount": "1"}]') AS c;
SELECT lives_ok($$SELECT ledger_private.check_balances_after('default', (SELECT ids FROM liab), NULL, NULL)$$,
                'check_balances_after: Should check nothing without constrained legs or conditions');
SELECT lives_ok($$SELECT ledger_private.check_balances_after('default', (SELECT ids FROM liab), ARRAY[1], NULL)$$,
                'check_balances_after: Should pass LIAB at zero, its floor');
SELECT throws_ok($$SELECT ledger_private.check_balances_after('default', (SELECT ids FROM liab), NULL,
                                                               (SELECT c FROM liab_condition))$$,
                 'DX057', NULL, 'check_balances_after: Should refuse a false condition with DX057');
SELECT lives_ok($$SELECT ledger.set_account_limits('LIAB', min_balance => 5)$$, 'Should raise LIAB''s floor to 5');
SELECT throws_ok($$SELECT ledger_private.check_balances_after('default', (SELECT ids FROM liab), ARRAY[1],
                                                               (SELECT c FROM liab_condition))$$,
                 'DX010', NULL,
                 'check_balances_after: Should report the limit before the condition when both fail');
SELECT lives_ok($$SELECT ledger.set_account_limits('LIAB', min_balance => NULL)$$, 'Should clear LIAB''s floor again');

-- check_legs_balance: DX009 naming each currency that does not net to zero, or nothing.
SELECT lives_ok($$SELECT ledger_private.check_legs_balance(gen_random_uuid(),
                     tap.legs('CASH debit 1.00 EUR', 'LIAB credit 1.00 EUR', 'CASH debit 5 JPY', 'LIAB credit 5 JPY'))$$,
                'check_legs_balance: Should pass legs balanced in each of two currencies');
SELECT throws_ok($$SELECT ledger_private.check_legs_balance('01900000-0000-7000-8000-0000000000b9',
                      tap.legs('CASH debit 2.00 EUR', 'LIAB credit 1.00 EUR'))$$, 'DX009',
                 'legs: debits and credits differ in EUR (debits − credits = 1.00)',
                 'check_legs_balance: Should refuse legs that do not net to zero, naming the currency and its net (DX009)');
SELECT is((SELECT f.position FROM ledger.fx_position() AS f WHERE f.ccy = 'EUR'),
          (SELECT balance FROM ledger.get_balance('FX-CLEARING-EUR')),
          'fx_position: Should read the clearing position as get_balance reads the balance');
SELECT is((SELECT m.position FROM ledger.monitor_fx_clearing() AS m WHERE m.ccy = 'USD'),
          (SELECT balance FROM ledger.get_balance('FX-CLEARING-USD')),
          'monitor_fx_clearing: Should read the position on the normal side, as get_balance');

-- batch_posting_results: the careful path of post_journals (and of a reversal), one
-- batch_item_result per request in order, the posting's columns read out of its result.
CREATE TEMP TABLE batch_answer ON COMMIT DROP AS
SELECT 'reverse' AS batch, r.*
  FROM ledger_private.batch_posting_results(
           'reverse_journal',
           jsonb_build_array(jsonb_build_object('journal_id', tap.jid('h-zero'), 'idempotency_key', 'h-rev'),
                             jsonb_build_object('journal_id', tap.jid('h-zero'), 'idempotency_key', 'h-rev-2'),
                             jsonb_build_object('journal_id', tap.jid('h-zero'), 'idempotency_key', 'h-rev')),
           'default', 'test:tap') AS r;
INSERT INTO batch_answer
SELECT 'post', r.*
  FROM ledger_private.batch_posting_results(
           'post_journal',
           jsonb_build_array(jsonb_build_object('idempotency_key', 'h-bp', 'legs', tap.pair('CASH', 'LIAB', '1.00')),
                             jsonb_build_object('idempotency_key', 'h-bp-bad', 'legs', tap.pair('CASH', 'NOPE', '1.00'))),
           'default', 'test:tap') AS r;
SELECT results_eq($$
    SELECT b.batch, b.position, b.idempotency_key, b.status, b.error_code, b.error_field,
           b.journal_id IS NOT DISTINCT FROM tap.jid(b.idempotency_key),
           b.effective_date IS NOT DISTINCT FROM
               (SELECT j.effective_date FROM ledger_private.journal AS j WHERE j.journal_id = b.journal_id)
           AND b.created_at IS NOT DISTINCT FROM
               (SELECT j.created_at FROM ledger_private.journal AS j WHERE j.journal_id = b.journal_id)
      FROM batch_answer AS b ORDER BY b.batch DESC, b.position$$,
    $$VALUES ('reverse', 0, 'h-rev', 'posted', NULL::text, NULL::text, true, true),
             ('reverse', 1, 'h-rev-2', 'rejected', 'DX014', 'journal_id', true, true),
             ('reverse', 2, 'h-rev', 'duplicate', NULL, NULL, true, true),
             ('post', 0, 'h-bp', 'posted', NULL, NULL, true, true),
             ('post', 1, 'h-bp-bad', 'rejected', 'DX006', 'legs[1].account', true, true)$$,
    'batch_posting_results: Should answer each request in order with its posting''s journal, date and time: '
    'reversals posted, rejected (DX014, no journal), duplicate (the first one''s); a posting error (DX006) a rejection');
SELECT is((SELECT count(*) FROM ledger_private.journal AS j
            WHERE j.idempotency_key IN ('h-rev', 'h-rev-2', 'h-bp', 'h-bp-bad')),
          2::bigint, 'batch_posting_results: Should write nothing for a rejected request');

-- batch_results: the opening of reverse_journals, create_holds and capture_holds, once:
-- authorize (before anything is read), the batch's shape, each request's row in order with
-- its result read as the type of shape.
SELECT results_eq($$
    SELECT r.position, r.idempotency_key, r.status, (r.result).journal_id IS NOT DISTINCT FROM tap.jid('h-rev'),
           r.error_code, r.error_field
      FROM ledger_private.batch_results(
               'reverse_journal',
               jsonb_build_array(jsonb_build_object('journal_id', tap.jid('h-zero'), 'idempotency_key', 'h-rev'),
                                 '"not an object"'::jsonb),
               'default', NULL::ledger.posting_result) AS r$$,
    $$VALUES (0, 'h-rev', 'duplicate', true, NULL::text, NULL::text),
             (1, NULL, 'rejected', false, 'DX024', 'requests[1]')$$,
    'batch_results: Should answer each request in order, its result read as the shape''s type (a replay, a non-object DX024)');
SELECT throws_ok($$SELECT * FROM ledger_private.batch_results('reverse_journal', '{}', 'bad tenant', NULL::ledger.posting_result)$$,
                 'DX019', NULL, 'batch_results: Should authorize before it reads the batch (DX019 before DX024)');
SELECT throws_ok($$SELECT * FROM ledger_private.batch_results('reverse_journal', '{}', 'default', NULL::ledger.posting_result)$$,
                 'DX024', 'requests: must be a JSON array, got object', 'batch_results: Should check the batch''s shape (check_batch)');

-- raise_no_webhook: DX060, one definition for the lookups of an endpoint by its id ---------
SELECT throws_ok($$SELECT ledger_private.raise_no_webhook('dxw_nope', 'stable', false)$$, 'DX060',
                 'webhook_id: no webhook ''dxw_nope'' in tenant stable', 'raise_no_webhook: Should name the id and the tenant');
SELECT throws_ok($$SELECT ledger_private.raise_no_webhook(NULL, 'stable', true)$$, 'DX060',
                 'webhook_id: no live webhook NULL in tenant stable', 'raise_no_webhook: Should say live when asked, NULL for no id');
SELECT throws_ok($$SELECT ledger_private.raise_no_webhook(repeat('x', 50), 'stable', false)$$, 'DX060',
                 format('webhook_id: no webhook %L in tenant stable', repeat('x', 40)),
                 'raise_no_webhook: Should cut a long id at 40 characters');
CREATE FUNCTION pg_temp.error_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_column text;
    v_hint text;
BEGIN
    EXECUTE p_query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_column = COLUMN_NAME, v_hint = PG_EXCEPTION_HINT;
    RETURN format('%s|%s|%s', SQLSTATE, v_column, v_hint);
END
$$;
SELECT is(pg_temp.error_of($$SELECT ledger_private.raise_no_webhook('dxw_nope', 'stable', false)$$),
          'DX060|webhook_id|GET /api/webhooks lists the tenant''s endpoints.',
          'raise_no_webhook: Should name the column webhook_id and hint at the list of endpoints');
SELECT throws_ok($$SELECT * FROM ledger.list_webhook_deliveries('dxw_nope')$$, 'DX060',
                 'webhook_id: no webhook ''dxw_nope'' in tenant default',
                 'list_webhook_deliveries: Should raise raise_no_webhook''s DX060 for an unknown endpoint');
SELECT throws_ok($$SELECT ledger.replay_webhook('dxw_nope', 1)$$, 'DX060',
                 'webhook_id: no live webhook ''dxw_nope'' in tenant default',
                 'tenant_webhook: Should raise raise_no_webhook''s DX060 (live) for an unknown endpoint');

SELECT * FROM finish();
ROLLBACK;
