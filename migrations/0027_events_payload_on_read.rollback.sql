-- Roll back 0027_events_payload_on_read: every event stores its full payload again. The
-- events stored without one get the payload their readers were given
-- (ledger_private.event_payloads, which this version's procedures/ installed: only its
-- sequencer stores such events), written past the log's append-only trigger; then the
-- column is NOT NULL again and subject goes. Run the previous version's procedures/ after it
-- (its sequencer stores full payloads, its readers read them).
-- squawk-ignore-file ban-drop-column, ban-drop-constraint, adding-not-nullable-field

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
DO $$
BEGIN
    IF EXISTS (SELECT FROM ledger_private.event AS e WHERE e.payload IS NULL) THEN
        ALTER TABLE ledger_private.event DISABLE TRIGGER event_append_only;
        -- (dynamic: a database whose procedures were never applied has no such function,
        -- and then no such event either)
        EXECUTE $sql$
            UPDATE ledger_private.event AS e
               SET payload = p.payload
              FROM ledger_private.event_payloads(
                       ARRAY(SELECT n.position FROM ledger_private.event AS n WHERE n.payload IS NULL)) AS p
             WHERE e.position = p.event_position AND e.payload IS NULL
        $sql$;
        ALTER TABLE ledger_private.event ENABLE TRIGGER event_append_only;
    END IF;
END
$$;
ALTER TABLE ledger_private.event DROP CONSTRAINT event_payload_or_subject;
ALTER TABLE ledger_private.event ALTER COLUMN payload SET NOT NULL;
ALTER TABLE ledger_private.event DROP COLUMN subject;
RESET ROLE;
