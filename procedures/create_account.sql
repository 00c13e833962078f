-- ledger.create_account: open an account.
--
--   SELECT * FROM ledger.create_account('1001-CASH', 'Cash at bank', 'EUR');
--   SELECT * FROM ledger.create_account('2001-LIAB', 'Customer funds', 'EUR', 'liability',
--                                       allow_negative => false);
--
-- code             unique per tenant: letters, digits and . _ : -, starting with a letter or
--                  digit (at most api_limit('account_code_length'))
-- name             1 to api_limit('account_name_length') characters once trimmed
-- type             asset (default), liability, equity, income, expense; the normal side
--                  is debit for asset and expense, credit otherwise
-- allow_negative   may the balance go below zero on its normal side (default true)
-- metadata         a JSON object, at most api_limit('metadata_bytes') bytes as text
-- Raises DX005 (currency), DX015 (code taken), DX016, DX018 (invalid field), DX019 (tenant).
-- Capability admin, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.create_account(
    code text,
    name text,
    ccy text,
    type text DEFAULT 'asset',
    allow_negative boolean DEFAULT true,
    metadata jsonb DEFAULT '{}',
    tenant text DEFAULT NULL
) RETURNS ledger.account_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_account ledger_private.account;
BEGIN
    v_who := ledger_private.authorize_write('admin', create_account.tenant);
    create_account.tenant := v_who.tenant;
    IF create_account.code IS NULL OR create_account.code !~ '^[A-Za-z0-9][A-Za-z0-9._:-]*$'
       OR char_length(create_account.code) > ledger_private.api_limit('account_code_length') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'code',
            MESSAGE = format('code: %s is not a valid account code', coalesce(quote_literal(create_account.code), 'NULL')),
            HINT = format('Up to %s letters, digits and . _ : -, starting with a letter or digit, e.g. 1001-CASH.',
                          ledger_private.api_limit('account_code_length'));
    END IF;
    IF create_account.name IS NULL
       OR char_length(btrim(create_account.name)) NOT BETWEEN 1 AND ledger_private.api_limit('account_name_length') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'name',
            MESSAGE = format('name: required, 1 to %s characters', ledger_private.api_limit('account_name_length'));
    END IF;
    IF create_account.type IS NULL
       OR create_account.type NOT IN ('asset', 'liability', 'equity', 'income', 'expense') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'type',
            MESSAGE = format('type: must be asset, liability, equity, income or expense, got %s',
                             coalesce(create_account.type, 'NULL'));
    END IF;
    IF create_account.allow_negative IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'allow_negative',
            MESSAGE = 'allow_negative: must be true or false';
    END IF;
    IF create_account.metadata IS NULL OR jsonb_typeof(create_account.metadata) <> 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'metadata',
            MESSAGE = 'metadata: must be a JSON object';
    END IF;
    IF octet_length(create_account.metadata::text) > ledger_private.api_limit('metadata_bytes') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'metadata',
            MESSAGE = format('metadata: at most %s bytes of JSON, got %s',
                             ledger_private.api_limit('metadata_bytes'),
                             octet_length(create_account.metadata::text));
    END IF;
    IF NOT EXISTS (SELECT FROM ledger_private.currency AS c WHERE c.code = create_account.ccy) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX005', COLUMN = 'ccy',
            MESSAGE = format('ccy: unknown currency %s', coalesce(create_account.ccy, 'NULL')),
            HINT = 'Use an ISO 4217 code such as EUR, USD or JPY.';
    END IF;

    INSERT INTO ledger_private.account AS a
           (tenant, code, name, ccy, type, allow_negative, metadata, created_by, changed_by)
    VALUES (create_account.tenant, create_account.code, btrim(create_account.name), create_account.ccy,
            create_account.type, create_account.allow_negative, create_account.metadata,
            v_who.actor, v_who.actor)
    ON CONFLICT ON CONSTRAINT account_code_per_tenant DO NOTHING
    RETURNING a.* INTO v_account;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX015', COLUMN = 'code',
            MESSAGE = format('code: account %s already exists in tenant %s',
                             create_account.code, create_account.tenant);
    END IF;
    PERFORM ledger_private.append_audit(v_who, 'create_account', v_account.code,
                                        jsonb_build_object('ccy', v_account.ccy, 'type', v_account.type,
                                                           'allow_negative', v_account.allow_negative));
    RETURN ledger_private.to_account_info(v_account);
END
$$;

COMMENT ON FUNCTION ledger.create_account(text, text, text, text, boolean, jsonb, text) IS
    'Opens an account; the code is unique per tenant';
GRANT EXECUTE ON FUNCTION ledger.create_account(text, text, text, text, boolean, jsonb, text) TO doublex_api;
