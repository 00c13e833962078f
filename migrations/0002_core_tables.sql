-- Core tables: currencies, accounts, journals, legs, idempotency sentinels and the
-- balance checkpoints. Everything lives in ledger_private; callers reach it only through
-- the functions in schema ledger.
-- depends: 0001_roles_and_schemas

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- ISO 4217 currencies with their minor-unit exponent (EUR 2, JPY 0, BHD 3, CLF 4).
CREATE TABLE ledger_private.currency (
    code     text PRIMARY KEY,
    exponent smallint NOT NULL,
    name     text NOT NULL,
    CONSTRAINT currency_code_format CHECK (code ~ '^[A-Z]{3}$'),
    CONSTRAINT currency_exponent_range CHECK (exponent BETWEEN 0 AND 4)
);

INSERT INTO ledger_private.currency (code, exponent, name) VALUES
    ('AED', 2, 'UAE Dirham'),
    ('AFN', 2, 'Afghani'),
    ('ALL', 2, 'Lek'),
    ('AMD', 2, 'Armenian Dram'),
    ('ANG', 2, 'Netherlands Antillean Guilder'),
    ('AOA', 2, 'Kwanza'),
    ('ARS', 2, 'Argentine Peso'),
    ('AUD', 2, 'Australian Dollar'),
    ('AWG', 2, 'Aruban Florin'),
    ('AZN', 2, 'Azerbaijan Manat'),
    ('BAM', 2, 'Convertible Mark'),
    ('BBD', 2, 'Barbados Dollar'),
    ('BDT', 2, 'Taka'),
    ('BGN', 2, 'Bulgarian Lev'),
    ('BHD', 3, 'Bahraini Dinar'),
    ('BIF', 0, 'Burundi Franc'),
    ('BMD', 2, 'Bermudian Dollar'),
    ('BND', 2, 'Brunei Dollar'),
    ('BOB', 2, 'Boliviano'),
    ('BRL', 2, 'Brazilian Real'),
    ('BSD', 2, 'Bahamian Dollar'),
    ('BTN', 2, 'Ngultrum'),
    ('BWP', 2, 'Pula'),
    ('BYN', 2, 'Belarusian Ruble'),
    ('BZD', 2, 'Belize Dollar'),
    ('CAD', 2, 'Canadian Dollar'),
    ('CDF', 2, 'Congolese Franc'),
    ('CHF', 2, 'Swiss Franc'),
    ('CLF', 4, 'Unidad de Fomento'),
    ('CLP', 0, 'Chilean Peso'),
    ('CNY', 2, 'Yuan Renminbi'),
    ('COP', 2, 'Colombian Peso'),
    ('CRC', 2, 'Costa Rican Colon'),
    ('CUP', 2, 'Cuban Peso'),
    ('CVE', 2, 'Cabo Verde Escudo'),
    ('CZK', 2, 'Czech Koruna'),
    ('DJF', 0, 'Djibouti Franc'),
    ('DKK', 2, 'Danish Krone'),
    ('DOP', 2, 'Dominican Peso'),
    ('DZD', 2, 'Algerian Dinar'),
    ('EGP', 2, 'Egyptian Pound'),
    ('ERN', 2, 'Nakfa'),
    ('ETB', 2, 'Ethiopian Birr'),
    ('EUR', 2, 'Euro'),
    ('FJD', 2, 'Fiji Dollar'),
    ('FKP', 2, 'Falkland Islands Pound'),
    ('GBP', 2, 'Pound Sterling'),
    ('GEL', 2, 'Lari'),
    ('GHS', 2, 'Ghana Cedi'),
    ('GIP', 2, 'Gibraltar Pound'),
    ('GMD', 2, 'Dalasi'),
    ('GNF', 0, 'Guinean Franc'),
    ('GTQ', 2, 'Quetzal'),
    ('GYD', 2, 'Guyana Dollar'),
    ('HKD', 2, 'Hong Kong Dollar'),
    ('HNL', 2, 'Lempira'),
    ('HTG', 2, 'Gourde'),
    ('HUF', 2, 'Forint'),
    ('IDR', 2, 'Rupiah'),
    ('ILS', 2, 'New Israeli Sheqel'),
    ('INR', 2, 'Indian Rupee'),
    ('IQD', 3, 'Iraqi Dinar'),
    ('IRR', 2, 'Iranian Rial'),
    ('ISK', 0, 'Iceland Krona'),
    ('JMD', 2, 'Jamaican Dollar'),
    ('JOD', 3, 'Jordanian Dinar'),
    ('JPY', 0, 'Yen'),
    ('KES', 2, 'Kenyan Shilling'),
    ('KGS', 2, 'Som'),
    ('KHR', 2, 'Riel'),
    ('KMF', 0, 'Comorian Franc'),
    ('KPW', 2, 'North Korean Won'),
    ('KRW', 0, 'Won'),
    ('KWD', 3, 'Kuwaiti Dinar'),
    ('KYD', 2, 'Cayman Islands Dollar'),
    ('KZT', 2, 'Tenge'),
    ('LAK', 2, 'Lao Kip'),
    ('LBP', 2, 'Lebanese Pound'),
    ('LKR', 2, 'Sri Lanka Rupee'),
    ('LRD', 2, 'Liberian Dollar'),
    ('LSL', 2, 'Loti'),
    ('LYD', 3, 'Libyan Dinar'),
    ('MAD', 2, 'Moroccan Dirham'),
    ('MDL', 2, 'Moldovan Leu'),
    ('MGA', 2, 'Malagasy Ariary'),
    ('MKD', 2, 'Denar'),
    ('MMK', 2, 'Kyat'),
    ('MNT', 2, 'Tugrik'),
    ('MOP', 2, 'Pataca'),
    ('MRU', 2, 'Ouguiya'),
    ('MUR', 2, 'Mauritius Rupee'),
    ('MVR', 2, 'Rufiyaa'),
    ('MWK', 2, 'Malawi Kwacha'),
    ('MXN', 2, 'Mexican Peso'),
    ('MYR', 2, 'Malaysian Ringgit'),
    ('MZN', 2, 'Mozambique Metical'),
    ('NAD', 2, 'Namibia Dollar'),
    ('NGN', 2, 'Naira'),
    ('NIO', 2, 'Cordoba Oro'),
    ('NOK', 2, 'Norwegian Krone'),
    ('NPR', 2, 'Nepalese Rupee'),
    ('NZD', 2, 'New Zealand Dollar'),
    ('OMR', 3, 'Rial Omani'),
    ('PAB', 2, 'Balboa'),
    ('PEN', 2, 'Sol'),
    ('PGK', 2, 'Kina'),
    ('PHP', 2, 'Philippine Peso'),
    ('PKR', 2, 'Pakistan Rupee'),
    ('PLN', 2, 'Zloty'),
    ('PYG', 0, 'Guarani'),
    ('QAR', 2, 'Qatari Rial'),
    ('RON', 2, 'Romanian Leu'),
    ('RSD', 2, 'Serbian Dinar'),
    ('RUB', 2, 'Russian Ruble'),
    ('RWF', 0, 'Rwanda Franc'),
    ('SAR', 2, 'Saudi Riyal'),
    ('SBD', 2, 'Solomon Islands Dollar'),
    ('SCR', 2, 'Seychelles Rupee'),
    ('SDG', 2, 'Sudanese Pound'),
    ('SEK', 2, 'Swedish Krona'),
    ('SGD', 2, 'Singapore Dollar'),
    ('SHP', 2, 'Saint Helena Pound'),
    ('SLE', 2, 'Leone'),
    ('SOS', 2, 'Somali Shilling'),
    ('SRD', 2, 'Surinam Dollar'),
    ('SSP', 2, 'South Sudanese Pound'),
    ('STN', 2, 'Dobra'),
    ('SVC', 2, 'El Salvador Colon'),
    ('SYP', 2, 'Syrian Pound'),
    ('SZL', 2, 'Lilangeni'),
    ('THB', 2, 'Baht'),
    ('TJS', 2, 'Somoni'),
    ('TMT', 2, 'Turkmenistan New Manat'),
    ('TND', 3, 'Tunisian Dinar'),
    ('TOP', 2, 'Pa''anga'),
    ('TRY', 2, 'Turkish Lira'),
    ('TTD', 2, 'Trinidad and Tobago Dollar'),
    ('TWD', 2, 'New Taiwan Dollar'),
    ('TZS', 2, 'Tanzanian Shilling'),
    ('UAH', 2, 'Hryvnia'),
    ('UGX', 0, 'Uganda Shilling'),
    ('USD', 2, 'US Dollar'),
    ('UYU', 2, 'Peso Uruguayo'),
    ('UYW', 4, 'Unidad Previsional'),
    ('UZS', 2, 'Uzbekistan Sum'),
    ('VES', 2, 'Bolivar Soberano'),
    ('VND', 0, 'Dong'),
    ('VUV', 0, 'Vatu'),
    ('WST', 2, 'Tala'),
    ('XAF', 0, 'CFA Franc BEAC'),
    ('XCD', 2, 'East Caribbean Dollar'),
    ('XCG', 2, 'Caribbean Guilder'),
    ('XOF', 0, 'CFA Franc BCEAO'),
    ('XPF', 0, 'CFP Franc'),
    ('YER', 2, 'Yemeni Rial'),
    ('ZAR', 2, 'Rand'),
    ('ZMW', 2, 'Zambian Kwacha'),
    ('ZWG', 2, 'Zimbabwe Gold');

CREATE TABLE ledger_private.account (
    account_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant         text NOT NULL DEFAULT 'default',
    code           text NOT NULL,
    name           text NOT NULL,
    ccy            text NOT NULL REFERENCES ledger_private.currency (code),
    type           text NOT NULL DEFAULT 'asset',
    normal_side    text NOT NULL GENERATED ALWAYS AS (
        CASE WHEN type IN ('asset', 'expense') THEN 'debit' ELSE 'credit' END
    ) STORED,
    allow_negative boolean NOT NULL DEFAULT true,
    status         text NOT NULL DEFAULT 'active',
    metadata       jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_code_per_tenant UNIQUE (tenant, code),
    CONSTRAINT account_tenant_format CHECK (tenant ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    CONSTRAINT account_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
    CONSTRAINT account_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT account_type_known CHECK (
        type IN ('asset', 'liability', 'equity', 'income', 'expense')
    ),
    CONSTRAINT account_status_known CHECK (status IN ('active', 'frozen', 'closed')),
    CONSTRAINT account_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- One atomic business event. `txid` is the writing transaction: legs may only join a
-- journal inside the transaction that created it.
CREATE TABLE ledger_private.journal (
    journal_id      uuid PRIMARY KEY,
    tenant          text NOT NULL DEFAULT 'default',
    idempotency_key text NOT NULL,
    kind            text NOT NULL DEFAULT 'transfer',
    effective_date  date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    memo            text,
    ref             text,
    metadata        jsonb NOT NULL DEFAULT '{}',
    reverses        uuid REFERENCES ledger_private.journal (journal_id),
    txid            bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint,
    CONSTRAINT journal_kind_known CHECK (kind IN ('transfer', 'fx', 'reversal')),
    CONSTRAINT journal_reversal_links_original CHECK ((kind = 'reversal') = (reverses IS NOT NULL)),
    CONSTRAINT journal_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

CREATE INDEX journal_by_date ON ledger_private.journal (tenant, effective_date, journal_id);
-- A journal is reversed at most once. Partial: almost every journal has no `reverses`, and
-- a full index would take an insert per posting for nothing.
CREATE UNIQUE INDEX journal_reversed_once ON ledger_private.journal (reverses)
    WHERE reverses IS NOT NULL;

-- Legs carry no foreign keys on purpose. To account: the check would take FOR KEY SHARE on
-- the account row at every posting, and on a house account that is a MultiXact per posting.
-- To journal: at SERIALIZABLE the check's read locks the newest page of the journal key,
-- where every concurrent posting inserts. The leg trigger checks both instead (the journal
-- must be one of the current transaction's), and history is never deleted.
-- tenant and effective_date are copies of the journal's (set by trigger) for the indexes.
-- txid orders legs by writing transaction: the balance checkpoints hold every leg whose
-- txid is below the tenant's watermark, and balances add the legs above it.
CREATE TABLE ledger_private.leg (
    journal_id     uuid NOT NULL,
    leg_no         smallint NOT NULL,
    tenant         text NOT NULL,
    account_id     bigint NOT NULL,
    side           text NOT NULL,
    amount         numeric NOT NULL,
    ccy            text NOT NULL,
    effective_date date NOT NULL,
    txid           bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint,
    PRIMARY KEY (journal_id, leg_no),
    CONSTRAINT leg_no_positive CHECK (leg_no >= 1),
    CONSTRAINT leg_side_known CHECK (side IN ('debit', 'credit')),
    CONSTRAINT leg_amount_positive CHECK (amount > 0)
);

CREATE INDEX leg_balance_tail ON ledger_private.leg (account_id, txid);
CREATE INDEX leg_account_history ON ledger_private.leg (account_id, effective_date, journal_id);
-- Legs arrive in roughly txid order, so a BRIN index finds a roll-up's range cheaply
-- without a second btree whose inserts all land on its rightmost page.
CREATE INDEX leg_txid_range ON ledger_private.leg USING brin (txid);

-- One row per idempotency key: the fingerprint of the canonical request and the journal
-- it produced. Keys never expire.
CREATE TABLE ledger_private.idempotency_sentinel (
    tenant          text NOT NULL,
    idempotency_key text NOT NULL,
    operation       text NOT NULL,
    fingerprint     bytea NOT NULL,
    journal_id      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, idempotency_key),
    CONSTRAINT idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255)
);

-- Per account: the debit and credit totals of every leg with txid below the tenant's
-- watermark. Kept by ledger.roll_up_balances(), never by postings, so a posting never
-- writes a row that another posting writes.
CREATE TABLE ledger_private.balance_checkpoint (
    account_id bigint PRIMARY KEY REFERENCES ledger_private.account (account_id),
    tenant     text NOT NULL,
    debits     numeric NOT NULL DEFAULT 0,
    credits    numeric NOT NULL DEFAULT 0
) WITH (fillfactor = 70);

CREATE TABLE ledger_private.balance_watermark (
    tenant       text PRIMARY KEY,
    below_txid   bigint NOT NULL DEFAULT 0,
    rolled_up_at timestamptz
);

RESET ROLE;
