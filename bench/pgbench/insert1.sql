-- Ceiling: one row inserted and committed into a plain table (bench.ceiling, created by
-- the runner): a commit's WAL flush with none of the ledger's work.
INSERT INTO bench.ceiling (payload) VALUES (gen_random_uuid()::text);
