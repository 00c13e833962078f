-- balance: the balance of BIG, an account with ≥ 1M legs (checkpoint + tail read), in a
-- SERIALIZABLE READ ONLY DEFERRABLE transaction as the shell reads (the runner sets it).
SELECT balance, debits, credits FROM get_balance('BIG');
