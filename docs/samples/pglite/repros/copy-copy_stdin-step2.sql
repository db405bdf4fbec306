-- feature: Repro of copy/copy_stdin step 2
-- area: Repros
-- mismatch: connection lost: reference COPY, candidate connection lost
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → COPY 3
-- candidate: 18.6 (exec:candidates/pglite.sh {port}) → connection lost
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 2 to 2 statements in 1 trials (1-minimal)
-- occurs at: workloads/copy/copy_stdin.sql:5:1 (copy/copy_stdin step 2)
-- replay: psql -X -f repros/copy-copy_stdin-step2.sql   or   pgparity run --candidate TARGET repros/copy-copy_stdin-step2.sql
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2), tags text[]);
COPY items (id, name, price, tags) FROM stdin;
1	apple	1.50	{red,fruit}
2	tab\there	\N	{}
3	back\\slash	0.10	\N
\.
