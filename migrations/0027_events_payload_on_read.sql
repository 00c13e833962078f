-- Event payloads built when read (issue #18's hot-path bar): the sequencer stored each
-- journal event's header and legs as jsonb (~700 bytes a posting, most of the event log's
-- WAL and storage), though every byte of it can be rebuilt from append-only rows. Now an
-- event whose payload is derivable keeps only the id of the rows it comes from; its readers
-- (ledger.list_events, the SSE stream through it, ledger.claim_webhook_events) complete it
-- with ledger_private.event_payloads, the same functions the sequencer used.
--
-- 1. subject: the journal (journal.posted, journal.reversed) or the hold (hold.created,
--    hold.captured, hold.voided, hold.expired) whose rows give the payload, for an event
--    stored without one. Journals, legs, holds, hold legs, resolutions and idempotency
--    sentinels are append-only and an account's code never changes (DX017), so the payload
--    read at any later time is the one the event had when it committed.
-- 2. payload may be NULL, for those types only and with a subject
--    (event_payload_or_subject). The events already sequenced keep their payloads.
-- Every existing row has a payload (the column was NOT NULL): the new CHECK holds for them
-- and is validated at once (a scan of the event log, which only the sequencer writes).
-- Dropping payload's NOT NULL breaks no client: the column is private, and its readers are
-- this version's functions, which read it through ledger_private.event_payloads.
-- squawk-ignore-file constraint-missing-not-valid, ban-drop-not-null
-- depends: 0025_proxy_login

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
ALTER TABLE ledger_private.event ADD COLUMN subject uuid;
ALTER TABLE ledger_private.event ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE ledger_private.event ADD CONSTRAINT event_payload_or_subject CHECK (
    payload IS NOT NULL
    OR (subject IS NOT NULL
        AND type IN ('journal.posted', 'journal.reversed', 'hold.created', 'hold.captured',
                     'hold.voided', 'hold.expired')));
RESET ROLE;
