BEGIN;
SELECT plan(1);
SELECT has_schema('ledger', 'Should have the ledger API schema');
SELECT * FROM finish();
ROLLBACK;
