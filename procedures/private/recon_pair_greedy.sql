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
--
-- Rounds can degrade: when the edges form a long chain in the tie-break order (amounts one
-- tolerance step apart, alternating between lines and legs), each round pairs one edge and
-- n rounds over the edge set cost O(n²). So a round must remove at least a share of the
-- remaining edges (default 1/4; the setting doublex.recon_round_share, 0 to 1, changes it,
-- for tests: 0 = rounds only, 1 = one round then sequential), and there are at most
-- api_limit('recon_pair_rounds') rounds whatever the setting (a session could otherwise
-- choose O(n²) with share 0); otherwise the edges left are
-- paired in one sequential pass in the same order (sorted once, a line and a leg taken when
-- both are still free), which is the greedy by definition. The rounds' picks are the
-- greedy's, and the greedy over the edges left after removing what they paired picks the
-- rest of the greedy's pairs, so the result is the same whichever way; the cost is at most
-- about four rounds' worth of sorting plus one sorted pass: O(E log E) for E edges.
-- Edges in scratch tables of the running reconciliation (see ledger.recon_run).

CREATE OR REPLACE FUNCTION ledger_private.recon_pair_greedy(p_pass smallint) RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_setting text := current_setting('doublex.recon_round_share', true);
    v_share numeric := 0.25;
    v_edges bigint;
    v_round integer;
    v_rounds integer := 0;
    v_removed integer;
    v_total integer := 0;
    v_line_count integer;
    v_leg_count integer;
    v_line_free boolean[];
    v_leg_free boolean[];
    v_line_ids bigint[] := '{}'::bigint[];
    v_journal_ids uuid[] := '{}'::uuid[];
    v_leg_nos smallint[] := '{}'::smallint[];
    v_deltas numeric[] := '{}'::numeric[];
    v_n integer := 0;
    v_line_id bigint;
    v_journal_id uuid;
    v_leg_no smallint;
    v_delta numeric;
    v_line_at integer;
    v_leg_at integer;
BEGIN
    -- The scratch tables' shapes, for plpgsql_check (strings, nothing at run time).
    PERFORM 'PRAGMA:TABLE: doublex_recon_edge (line_id bigint, line_date date, journal_id uuid, '
            'leg_no smallint, diff numeric, delta numeric)';
    PERFORM 'PRAGMA:TABLE: doublex_recon_pair (line_id bigint, journal_id uuid, leg_no smallint, '
            'match_pass smallint, delta numeric)';
    IF v_setting ~ '^(0(\.[0-9]+)?|1(\.0*)?)$' THEN
        v_share := v_setting::numeric;
    END IF;
    EXECUTE 'SELECT count(*) FROM pg_temp.doublex_recon_edge' INTO v_edges;
    LOOP
        EXIT WHEN v_edges = 0;
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
        EXIT WHEN v_round = 0;  -- never while edges are left: the smallest one is dominant
        v_total := v_total + v_round;
        EXECUTE $q$
            DELETE FROM pg_temp.doublex_recon_edge AS e
             WHERE e.line_id IN (SELECT p.line_id FROM pg_temp.doublex_recon_pair AS p WHERE p.match_pass = $1)
                OR (e.journal_id, e.leg_no) IN (SELECT p.journal_id, p.leg_no
                                                  FROM pg_temp.doublex_recon_pair AS p
                                                 WHERE p.match_pass = $1)
        $q$ USING p_pass;
        GET DIAGNOSTICS v_removed = ROW_COUNT;
        v_edges := v_edges - v_removed;
        -- A round that removed less than its share of the edges, or the last round allowed:
        -- finish sequentially.
        v_rounds := v_rounds + 1;
        EXIT WHEN v_edges = 0 OR v_removed < v_share * (v_edges + v_removed)
               OR v_rounds >= ledger_private.api_limit('recon_pair_rounds');
    END LOOP;
    IF v_edges = 0 OR v_round = 0 THEN
        RETURN v_total;
    END IF;

    -- The sequential finish: every edge left once, in the greedy order; lines and legs are
    -- numbered 1..n so that "still free" is an array lookup.
    EXECUTE $q$
        SELECT count(DISTINCT e.line_id)::integer, count(DISTINCT (e.journal_id, e.leg_no))::integer
          FROM pg_temp.doublex_recon_edge AS e
    $q$ INTO v_line_count, v_leg_count;
    v_line_free := array_fill(true, ARRAY[v_line_count]);
    v_leg_free := array_fill(true, ARRAY[v_leg_count]);
    FOR v_line_id, v_journal_id, v_leg_no, v_delta, v_line_at, v_leg_at IN EXECUTE $q$
        SELECT e.line_id, e.journal_id, e.leg_no, e.delta,
               dense_rank() OVER (ORDER BY e.line_id)::integer,
               dense_rank() OVER (ORDER BY e.journal_id, e.leg_no)::integer
          FROM pg_temp.doublex_recon_edge AS e
         ORDER BY e.diff, e.line_date, e.line_id, e.journal_id, e.leg_no
    $q$ LOOP
        IF v_line_free[v_line_at] AND v_leg_free[v_leg_at] THEN
            v_line_free[v_line_at] := false;
            v_leg_free[v_leg_at] := false;
            v_n := v_n + 1;
            v_line_ids[v_n] := v_line_id;
            v_journal_ids[v_n] := v_journal_id;
            v_leg_nos[v_n] := v_leg_no;
            v_deltas[v_n] := v_delta;
        END IF;
    END LOOP;
    EXECUTE $q$
        INSERT INTO pg_temp.doublex_recon_pair (line_id, journal_id, leg_no, match_pass, delta)
        SELECT p.line_id, p.journal_id, p.leg_no, $1, p.delta
          FROM unnest($2, $3, $4, $5) AS p (line_id, journal_id, leg_no, delta)
    $q$ USING p_pass, v_line_ids, v_journal_ids, v_leg_nos, v_deltas;
    EXECUTE 'TRUNCATE pg_temp.doublex_recon_edge';
    RETURN v_total + v_n;
END
$$;

COMMENT ON FUNCTION ledger_private.recon_pair_greedy(smallint) IS
    'Greedy one-to-one pairing (smallest difference first) of the running reconciliation''s edges';
