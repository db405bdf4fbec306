-- feature: COPY FROM STDIN and COPY TO STDOUT
-- area: COPY
-- description: psql-style inline data in text and CSV formats, NULLs, escapes, a bad row, and COPY TO STDOUT compared like rows
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2), tags text[]);
COPY items (id, name, price, tags) FROM stdin;
1	apple	1.50	{red,fruit}
2	tab\there	\N	{}
3	back\\slash	0.10	\N
\.
COPY items FROM STDIN WITH (FORMAT csv, HEADER true);
id,name,price,tags
4,"comma, inside",2.00,"{a,b}"
5,,3.25,
\.
SELECT id, name, price, tags FROM items ORDER BY id;
COPY items (id, name) FROM stdin;
6	six
seven	7
\.
SELECT count(*) FROM items;
COPY (SELECT id, name FROM items WHERE id < 4 ORDER BY id) TO STDOUT;
COPY items (id, price) TO STDOUT WITH (FORMAT csv, HEADER true);
COPY items FROM stdin;
\.
