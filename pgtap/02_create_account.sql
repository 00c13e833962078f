-- ledger.create_account, ledger.get_account, ledger.list_accounts and
-- ledger.set_account_status: happy paths, defaults, pagination and every error by SQLSTATE.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(67);
\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it has accounts).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['acme', 'lister']) AS t; END $$;

-- create_account: happy path and defaults ---------------------------------------------------
CREATE TEMP TABLE created ON COMMIT DROP AS
    SELECT * FROM ledger.create_account('1001-CASH', '  Cash at bank  ', 'EUR');

SELECT results_eq(
    $$SELECT code, name, ccy, type, normal_side, status, allow_negative, metadata FROM created$$,
    $$VALUES ('1001-CASH'::text, 'Cash at bank'::text, 'EUR'::text, 'asset'::text, 'debit'::text,
              'active'::text, true, '{}'::jsonb)$$,
    'Should return the new account with defaults: asset, debit-normal, active, allow_negative, {}');
SELECT ok((SELECT id IS NOT NULL AND created_at = now() FROM created),
          'Should return the account id and its creation time');
SELECT is((SELECT name FROM ledger_private.account WHERE tenant = 'default' AND code = '1001-CASH'),
          'Cash at bank', 'Should store the name trimmed');

SELECT results_eq(
    $$SELECT code, type, normal_side, allow_negative, metadata
        FROM ledger.create_account('2001-LIAB', 'Customer funds', 'EUR', 'liability',
                                   allow_negative => false, metadata => '{"desk": "ops"}')$$,
    $$VALUES ('2001-LIAB'::text, 'liability'::text, 'credit'::text, false, '{"desk": "ops"}'::jsonb)$$,
    'Should keep explicit type, allow_negative and metadata');

SELECT results_eq(
    $$SELECT a.type, a.normal_side
        FROM unnest(ARRAY['asset', 'liability', 'equity', 'income', 'expense']) AS t (type)
       CROSS JOIN LATERAL ledger.create_account('T-' || t.type, 'Type ' || t.type, 'USD', t.type) AS a
       ORDER BY a.code$$,
    $$VALUES ('asset', 'debit'), ('equity', 'credit'), ('expense', 'debit'),
             ('income', 'credit'), ('liability', 'credit')$$,
    'Should derive normal_side: debit for asset and expense, credit otherwise');

SELECT is((SELECT ccy FROM ledger.create_account('JPY-CASH', 'Yen cash', 'JPY')), 'JPY',
          'Should accept any ISO 4217 currency of the table');

-- Same code in another tenant
SELECT lives_ok($$SELECT ledger.create_account('1001-CASH', 'Acme cash', 'USD', tenant => 'acme')$$,
                'Should allow the same code in another tenant');
SELECT results_eq(
    $$SELECT tenant, ccy FROM ledger_private.account WHERE code = '1001-CASH' ORDER BY tenant$$,
    $$VALUES ('acme', 'USD'), ('default', 'EUR')$$,
    'Should keep one 1001-CASH per tenant');

-- create_account: errors --------------------------------------------------------------------
CREATE TEMP TABLE accounts_before ON COMMIT DROP AS
    SELECT count(*) AS n FROM ledger_private.account;

SELECT throws_ok($$SELECT ledger.create_account('1001-CASH', 'Again', 'EUR')$$, 'DX015', NULL,
                 'Should refuse a code already taken in the tenant with DX015');
SELECT throws_ok($$SELECT ledger.create_account('1001-CASH', 'Again', 'USD', tenant => 'acme')$$,
                 'DX015', NULL, 'Should refuse a code already taken in tenant acme with DX015');

SELECT throws_ok($$SELECT ledger.create_account('', 'Empty code', 'EUR')$$, 'DX018', NULL,
                 'Should refuse an empty code with DX018');
SELECT throws_ok($$SELECT ledger.create_account('has space', 'Bad code', 'EUR')$$, 'DX018', NULL,
                 'Should refuse a code with a space with DX018');
SELECT throws_ok($$SELECT ledger.create_account('-1001', 'Bad code', 'EUR')$$, 'DX018', NULL,
                 'Should refuse a code not starting with a letter or digit with DX018');
SELECT throws_ok($$SELECT ledger.create_account(repeat('A', 65), 'Long code', 'EUR')$$, 'DX018', NULL,
                 'Should refuse a code over 64 characters with DX018');
SELECT throws_ok($$SELECT ledger.create_account(NULL, 'No code', 'EUR')$$, 'DX018', NULL,
                 'Should refuse a NULL code with DX018');
SELECT lives_ok($$SELECT ledger.create_account(repeat('A', 64), 'Longest code', 'EUR')$$,
                'Should accept a code of 64 characters');

SELECT throws_ok($$SELECT ledger.create_account('N-1', '', 'EUR')$$, 'DX018', NULL,
                 'Should refuse an empty name with DX018');
SELECT throws_ok($$SELECT ledger.create_account('N-2', '   ', 'EUR')$$, 'DX018', NULL,
                 'Should refuse a blank name with DX018');
SELECT throws_ok($$SELECT ledger.create_account('N-3', NULL, 'EUR')$$, 'DX018', NULL,
                 'Should refuse a NULL name with DX018');
SELECT throws_ok($$SELECT ledger.create_account('N-4', repeat('n', 201), 'EUR')$$, 'DX018', NULL,
                 'Should refuse a name over 200 characters with DX018');

SELECT throws_ok($$SELECT ledger.create_account('T-1', 'Bad type', 'EUR', 'revenue')$$, 'DX018', NULL,
                 'Should refuse an unknown type with DX018');
SELECT throws_ok($$SELECT ledger.create_account('T-2', 'NULL type', 'EUR', NULL)$$, 'DX018', NULL,
                 'Should refuse a NULL type with DX018');
SELECT throws_ok($$SELECT ledger.create_account('P-1', 'NULL policy', 'EUR', allow_negative => NULL)$$,
                 'DX018', NULL, 'Should refuse a NULL allow_negative with DX018');
SELECT throws_ok($$SELECT ledger.create_account('M-1', 'Array metadata', 'EUR', metadata => '[1]')$$,
                 'DX018', NULL, 'Should refuse array metadata with DX018');
SELECT throws_ok($$SELECT ledger.create_account('M-2', 'String metadata', 'EUR', metadata => '"x"')$$,
                 'DX018', NULL, 'Should refuse scalar metadata with DX018');
SELECT throws_ok($$SELECT ledger.create_account('M-3', 'NULL metadata', 'EUR', metadata => NULL)$$,
                 'DX018', NULL, 'Should refuse NULL metadata with DX018');

SELECT throws_ok($$SELECT ledger.create_account('C-1', 'Unknown ccy', 'XXX')$$, 'DX005', NULL,
                 'Should refuse an unknown currency with DX005');
SELECT throws_ok($$SELECT ledger.create_account('C-2', 'Lowercase ccy', 'eur')$$, 'DX005', NULL,
                 'Should refuse a lowercase currency code with DX005');
SELECT throws_ok($$SELECT ledger.create_account('C-3', 'NULL ccy', NULL)$$, 'DX005', NULL,
                 'Should refuse a NULL currency with DX005');

SELECT throws_ok($$SELECT ledger.create_account('X-1', 'Bad tenant', 'EUR', tenant => 'bad tenant')$$,
                 'DX019', NULL, 'Should refuse a malformed tenant with DX019');
SELECT throws_ok($$SELECT ledger.create_account('X-2', 'Empty tenant', 'EUR', tenant => '')$$,
                 'DX019', NULL, 'Should refuse an empty tenant with DX019');
-- A NULL tenant is the caller's own (#14): an admin's is default.
CREATE TEMP TABLE null_tenant ON COMMIT DROP AS
    SELECT * FROM ledger.create_account('X-3', 'NULL tenant', 'EUR', tenant => NULL);
SELECT is((SELECT a.tenant FROM null_tenant AS c JOIN ledger_private.account AS a ON a.account_id = c.id),
          'default', 'Should take a NULL tenant as the caller''s own (default for an admin)');

SELECT is((SELECT count(*) FROM ledger_private.account),
          (SELECT n + 2 FROM accounts_before),
          'Should write no account for any refused request (only the 64-character code and X-3)');

-- get_account -----------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT * FROM ledger.get_account('1001-CASH')$$,
    $$SELECT * FROM created$$,
    'Should get the account exactly as create_account returned it');
SELECT is((SELECT ccy FROM ledger.get_account('1001-CASH', 'acme')), 'USD',
          'Should get an account from the given tenant');
SELECT throws_ok($$SELECT ledger.get_account('9999-NONE')$$, 'DX020', NULL,
                 'Should raise DX020 for an unknown account');
SELECT throws_ok($$SELECT ledger.get_account('2001-LIAB', 'acme')$$, 'DX020', NULL,
                 'Should not find an account of another tenant (DX020)');

-- list_accounts ---------------------------------------------------------------------------
SELECT lives_ok($$
    SELECT ledger.create_account(c.code, 'Listed ' || c.code, 'EUR', tenant => 'lister')
      FROM unnest(ARRAY['C-300', 'A-100', 'E-500', 'B-200', 'D-400']) AS c (code)
$$, 'Should create five accounts in tenant lister');

SELECT results_eq(
    $$SELECT code FROM ledger.list_accounts(tenant => 'lister')$$,
    ARRAY['A-100', 'B-200', 'C-300', 'D-400', 'E-500'],
    'Should list accounts ordered by code');
SELECT results_eq(
    $$SELECT code FROM ledger.list_accounts()$$,
    $$SELECT code FROM ledger_private.account WHERE tenant = 'default' ORDER BY code$$,
    'Should list only the accounts of the default tenant by default');
SELECT results_eq(
    $$SELECT code FROM ledger.list_accounts(page_size => 2, tenant => 'lister')$$,
    ARRAY['A-100', 'B-200'], 'Should return the first page of page_size accounts');
SELECT results_eq(
    $$SELECT code FROM ledger.list_accounts(after_code => 'B-200', page_size => 2, tenant => 'lister')$$,
    ARRAY['C-300', 'D-400'], 'Should continue after after_code');
SELECT results_eq(
    $$SELECT code FROM ledger.list_accounts(after_code => 'D-400', page_size => 2, tenant => 'lister')$$,
    ARRAY['E-500'], 'Should return a short last page');
SELECT is_empty(
    $$SELECT code FROM ledger.list_accounts(after_code => 'E-500', page_size => 2, tenant => 'lister')$$,
    'Should return nothing after the last code');
SELECT results_eq(
    $$SELECT code FROM ledger.list_accounts(after_code => 'B', page_size => 1, tenant => 'lister')$$,
    ARRAY['B-200'], 'Should treat after_code as a keyset bound, not an existing code');
SELECT throws_ok($$SELECT * FROM ledger.list_accounts(page_size => 0)$$, 'DX019', NULL,
                 'Should refuse page_size 0 with DX019');
SELECT throws_ok($$SELECT * FROM ledger.list_accounts(page_size => 1001)$$, 'DX019', NULL,
                 'Should refuse page_size 1001 with DX019');
SELECT throws_ok($$SELECT * FROM ledger.list_accounts(page_size => NULL)$$, 'DX019', NULL,
                 'Should refuse a NULL page_size with DX019');

-- set_account_status ----------------------------------------------------------------------
SELECT is((SELECT status FROM ledger.post_journal('fund-liab', tap.pair('1001-CASH', '2001-LIAB', '100.00'))),
          'posted', 'Should post a journal that gives 1001-CASH and 2001-LIAB a balance');
SELECT lives_ok($$SELECT ledger.create_account('S-EMPTY', 'Never used', 'EUR')$$,
                'Should create an account to change the status of');
SELECT is((SELECT status FROM ledger.set_account_status('S-EMPTY', 'frozen')), 'frozen',
          'Should freeze an account');
SELECT is((SELECT status FROM ledger.get_account('S-EMPTY')), 'frozen',
          'Should store the frozen status');
SELECT is((SELECT status FROM ledger.set_account_status('S-EMPTY', 'active')), 'active',
          'Should unfreeze an account');
SELECT is((SELECT status FROM ledger.set_account_status('S-EMPTY', 'closed')), 'closed',
          'Should close an account that never had a balance');

-- Status changes refused for the state of the account (DX023).
SELECT throws_ok(format('SELECT ledger.set_account_status(%L, %L)', t.code, t.status), 'DX023', NULL,
                 t.description)
  FROM (VALUES
    ('S-EMPTY',   'active', 'Should refuse to reopen a closed account with DX023'),
    ('S-EMPTY',   'frozen', 'Should refuse to freeze a closed account with DX023'),
    ('1001-CASH', 'closed', 'Should refuse to close an asset account with a balance (DX023)'),
    ('2001-LIAB', 'closed', 'Should refuse to close a liability account with a balance (DX023)')
       ) AS t (code, status, description);
SELECT is((SELECT status FROM ledger.get_account('S-EMPTY')), 'closed',
          'Should leave a closed account closed');
SELECT is((SELECT status FROM ledger.get_account('1001-CASH')), 'active',
          'Should leave the account active after a refused close');

SELECT is((SELECT status FROM ledger.post_journal('drain-liab', tap.pair('2001-LIAB', '1001-CASH', '100.00'))),
          'posted', 'Should post a journal that brings both balances back to zero');
SELECT is((SELECT status FROM ledger.set_account_status('2001-LIAB', 'closed')), 'closed',
          'Should close an account whose movements net to zero');

-- Refused arguments: an unknown or NULL status (DX018), an account the tenant does not have (DX020).
SELECT throws_ok(format('SELECT ledger.set_account_status(%s)', t.arguments), t.code, NULL, t.description)
  FROM (VALUES
    ($$'1001-CASH', 'deleted'$$,         'DX018', 'Should refuse an unknown status with DX018'),
    ($$'1001-CASH', NULL$$,              'DX018', 'Should refuse a NULL status with DX018'),
    ($$'9999-NONE', 'frozen'$$,          'DX020', 'Should raise DX020 for an unknown account'),
    ($$'2001-LIAB', 'frozen', 'acme'$$,  'DX020', 'Should not change an account of another tenant (DX020)')
       ) AS t (arguments, code, description);
SELECT is((SELECT status FROM ledger.get_account('1001-CASH', 'acme')), 'active',
          'Should leave the other tenant''s same-code account untouched');

SELECT * FROM finish();
ROLLBACK;
