-- Per-key rate limits (issue #15): each API key carries the requests per second and the
-- burst the REST service lets it make (a token bucket per key, api/rate_limit.py). The
-- values live in the key's row; their bounds and the default of a new key in
-- procedures/private/api_limit.sql (key_rate_max, key_burst_max, key_rate_default), checked
-- by ledger.create_api_key and ledger.set_api_key_rate (DX046). The CHECKs here are
-- backstops behind those checks (raising a bound past 1,000,000 needs a migration).
-- Keys that exist already get 100 requests per second and a burst of 200 (the default of a
-- new key at the time of this migration); the column defaults are then dropped, as 0012
-- did for the actor columns: every new key names its limits (create_api_key does).
-- depends: 0014_security_fixes

-- The rate and burst are integers bounded by their CHECKs (at most 1,000,000); the key table
-- holds a few rows per tenant, so checking the new constraints at once is cheap.
-- squawk-ignore-file ban-drop-default, prefer-bigint-over-int, constraint-missing-not-valid

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

ALTER TABLE ledger_private.api_key
    ADD COLUMN requests_per_second integer NOT NULL DEFAULT 100,
    ADD COLUMN burst integer NOT NULL DEFAULT 200,
    ADD CONSTRAINT api_key_rate_range CHECK (requests_per_second BETWEEN 1 AND 1000000),
    ADD CONSTRAINT api_key_burst_range CHECK (burst BETWEEN 1 AND 1000000);
ALTER TABLE ledger_private.api_key
    ALTER COLUMN requests_per_second DROP DEFAULT,
    ALTER COLUMN burst DROP DEFAULT;

-- The key as created and as listed shows its limits.
ALTER TYPE ledger.new_api_key
    ADD ATTRIBUTE requests_per_second integer,
    ADD ATTRIBUTE burst integer;
ALTER TYPE ledger.api_key_info
    ADD ATTRIBUTE requests_per_second integer,
    ADD ATTRIBUTE burst integer;

RESET ROLE;
