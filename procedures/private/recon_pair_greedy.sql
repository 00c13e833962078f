-- ledger_private.recon_pair_greedy(pass): pair the candidate edges of
-- pg_temp.doublex_recon_edge one to one, smallest difference first, into
-- pg_temp.doublex_recon_pair; returns how many pairs it made.
--
-- The order of edges is (diff, line_date, line_id, journal_id, leg_no): a strict total
-- order, so "smallest first" is deterministic. Taking edges greedily in that order is the
-- same as taking, round after round, every edge that comes first both among its line's
-- edges and among its leg's (a locally dominant edge; each round is two window functions
-- over the edge set) and dropping the edges of what was paired: the smallest remaining edge
-- is always locally dominant, and a locally dominant edge is never blocked by a greedy pick
-- before it. One round pairs every line whose ref or amount is unique among the candidates.
-- Edges in scratch tables of the running reconciliation (see ledger.recon_run).

CREATE OR REPLACE FUNCTION ledger_private.recon_pair_greedy(p_pass smallint) RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_round integer;
    v_total integer := 0;
BEGIN
    -- The scratch tables' shapes, for plpgsql_check (strings, nothing at run time).
    PERFORM 'PRAGMA:TABLE: doublex_recon_edge (line_id bigint, line_date date, journal_id uuid, '
            'leg_no smallint, diff numeric, delta numeric)';
    PERFORM 'PRAGMA:TABLE: doublex_recon_pair (line_id bigint, journal_id uuid, leg_no smallint, '
            'match_pass smallint, delta numeric)';
    LOOP
        EXECUTE $q$
            INSERT INTO pg_temp.doublex_recon_pair (line_id, journal_id, leg_no, match_pass, delta)
            SELECT r.line_id, r.journal_id, r.leg_no, $1, r.delta
              FROM (SELECT e.line_id, e.journal_id, e.leg_no, e.delta,
                           row_number() OVER (PARTITION BY e.line_id
                                              ORDER BY e.diff, e.line_date, e.line_id, e.journal_id, e.leg_no) AS by_line,
                           row_number() OVER (PARTITION BY e.journal_id, e.leg_no
                                              ORDER BY e.diff, e.line_date, e.line_id, e.journal_id, e.leg_no) AS by_leg
                      FROM pg_temp.doublex_recon_edge AS e) AS r
             WHERE r.by_line = 1 AND r.by_leg = 1
        $q$ USING p_pass;
        GET DIAGNOSTICS v_round = ROW_COUNT;
        EXIT WHEN v_round = 0;
        v_total := v_total + v_round;
        EXECUTE $q$
            DELETE FROM pg_temp.doublex_recon_edge AS e
             WHERE e.line_id IN (SELECT p.line_id FROM pg_temp.doublex_recon_pair AS p WHERE p.match_pass = $1)
                OR (e.journal_id, e.leg_no) IN (SELECT p.journal_id, p.leg_no
                                                  FROM pg_temp.doublex_recon_pair AS p
                                                 WHERE p.match_pass = $1)
        $q$ USING p_pass;
    END LOOP;
    RETURN v_total;
END
$$;

COMMENT ON FUNCTION ledger_private.recon_pair_greedy(smallint) IS
    'Greedy one-to-one pairing (smallest difference first) of the running reconciliation''s edges';
