-- A SQL caller's session with DoubleX, as the application role:
--   psql "postgresql://doublex_app@127.0.0.1:54329/doublex" -f sql/examples/quickstart.sql
-- doublex_app is SERIALIZABLE by default and its search_path is `ledger`.

SELECT * FROM create_account('1001-CASH', 'Cash at bank', 'EUR');
SELECT * FROM create_account('2001-LIAB', 'Customer funds', 'EUR', 'liability', allow_negative => false);
SELECT * FROM create_account('4001-FEES', 'Fee income', 'EUR', 'income');

-- A customer pays in 4,500.00: cash up (debit), customer funds up (credit).
SELECT * FROM post_journal(
    idempotency_key => 'deposit-0001',
    legs => '[{"account":"1001-CASH","side":"debit","amount":"4500.00","ccy":"EUR"},
              {"account":"2001-LIAB","side":"credit","amount":"4500.00","ccy":"EUR"}]',
    ref => 'BANK-REF-0001', memo => 'SEPA credit');

-- The same call again is answered from the idempotency sentinel: status = duplicate.
SELECT * FROM post_journal(
    idempotency_key => 'deposit-0001',
    legs => '[{"account":"1001-CASH","side":"debit","amount":"4500.00","ccy":"EUR"},
              {"account":"2001-LIAB","side":"credit","amount":"4500.00","ccy":"EUR"}]',
    ref => 'BANK-REF-0001', memo => 'SEPA credit');

-- A fee of 2.50 moves from the customer's funds to fee income.
SELECT * FROM post_journal('fee-0001', '[
    {"account":"2001-LIAB","side":"debit","amount":"2.50","ccy":"EUR"},
    {"account":"4001-FEES","side":"credit","amount":"2.50","ccy":"EUR"}]');

SELECT * FROM get_balance('1001-CASH');   -- 4500.00 (debit-normal)
SELECT * FROM get_balance('2001-LIAB');   -- 4497.50 (credit-normal)
SELECT * FROM get_balance('4001-FEES');   -- 2.50

SELECT journal_id, kind, effective_date, legs FROM list_journals(account => '2001-LIAB');
