-- Roll back 0003: the invariant triggers and their functions.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TRIGGER IF EXISTS leg_checked_at_commit ON ledger_private.leg;
DROP TRIGGER IF EXISTS journal_balanced ON ledger_private.journal;
DROP TRIGGER IF EXISTS leg_checked ON ledger_private.leg;
DROP TRIGGER IF EXISTS journal_opened ON ledger_private.journal;
DROP TRIGGER IF EXISTS account_no_truncate ON ledger_private.account;
DROP TRIGGER IF EXISTS account_identity_fixed ON ledger_private.account;
DROP TRIGGER IF EXISTS sentinel_no_truncate ON ledger_private.idempotency_sentinel;
DROP TRIGGER IF EXISTS sentinel_append_only ON ledger_private.idempotency_sentinel;
DROP TRIGGER IF EXISTS leg_no_truncate ON ledger_private.leg;
DROP TRIGGER IF EXISTS leg_append_only ON ledger_private.leg;
DROP TRIGGER IF EXISTS journal_no_truncate ON ledger_private.journal;
DROP TRIGGER IF EXISTS journal_append_only ON ledger_private.journal;
DROP FUNCTION IF EXISTS ledger_private.leg_commit_checks();
DROP FUNCTION IF EXISTS ledger_private.journal_check_balanced();
DROP FUNCTION IF EXISTS ledger_private.check_not_negative(bigint, integer);
DROP FUNCTION IF EXISTS ledger_private.raise_unbalanced(uuid, text);
DROP FUNCTION IF EXISTS ledger_private.check_journal_balanced(uuid);
DROP FUNCTION IF EXISTS ledger_private.leg_before_insert();
DROP FUNCTION IF EXISTS ledger_private.journal_before_insert();
DROP FUNCTION IF EXISTS ledger_private.journal_state(integer);
DROP FUNCTION IF EXISTS ledger_private.journal_slot(uuid);
DROP FUNCTION IF EXISTS ledger_private.account_guard();
DROP FUNCTION IF EXISTS ledger_private.refuse_history_change();
