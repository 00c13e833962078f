-- ledger_private.hold_leg_before_insert() → trigger: the row checks every hold leg passes,
-- whoever writes it: its hold exists (DX021), and ledger_private.checked_leg_amount (DX004-DX008).
-- The tenant is the hold's. (Declared in migrations/0017_holds_and_limits.sql.)
-- ledger.create_hold writes the hold just before its legs, in the same transaction, vouches
-- for them (doublex.checked_inline = 'on') and passes the tenant: then the hold is not looked
-- up. That lookup reads the hold index's newest page, which every concurrent hold writes
-- into, so under SSI two concurrent holds would each read what the other wrote and one of
-- them would fail with 40001 (bench: make bench-holds).

CREATE OR REPLACE FUNCTION ledger_private.hold_leg_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on' OR NEW.tenant IS NULL THEN
        SELECT h.tenant INTO NEW.tenant FROM ledger_private.hold AS h WHERE h.hold_id = NEW.hold_id;
        IF NOT FOUND THEN
            PERFORM ledger_private.raise_leg_error(
                'DX021', NEW.leg_no, 'hold_id', format('no hold %s', NEW.hold_id));
        END IF;
    END IF;
    NEW.amount := ledger_private.checked_leg_amount(NEW.tenant, NEW.account_id, NEW.leg_no,
                                                    NEW.ccy, NEW.amount);
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION ledger_private.hold_leg_before_insert() IS
    'Trigger: row checks on every hold leg (its hold, account, currency, status, decimals)';
