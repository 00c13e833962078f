-- balance: the balance of BIG, an account with ≥ 1M legs (checkpoint + tail read).
SELECT balance, debits, credits FROM get_balance('BIG');
