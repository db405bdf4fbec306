-- feature: Sequences
-- area: Sequences
CREATE SEQUENCE order_seq START 100 INCREMENT 10;
SELECT nextval('order_seq'), nextval('order_seq');
SELECT currval('order_seq');
SELECT setval('order_seq', 500), nextval('order_seq');
SELECT setval('order_seq', 1, false), nextval('order_seq');
CREATE SEQUENCE tiny MAXVALUE 2;
SELECT nextval('tiny'), nextval('tiny');
SELECT nextval('tiny');
CREATE SEQUENCE fresh;
SELECT currval('fresh');
SELECT nextval('no_such_seq');
