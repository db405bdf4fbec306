-- feature: tasks app 2.0 (it knows the migrations up to 014), hand-written
-- area: Compat
INSERT INTO users (name, email) VALUES ('Cy', 'cy@example.com');
INSERT INTO tasks (owner_id, title, priority, estimate, created_by) VALUES (1, 'Plan the launch', 'urgent', 3, 1);
SELECT id, title, state, priority FROM tasks ORDER BY id;
SELECT count(*) AS labels FROM labels;
-- Users without an email are refused since 006: the old schema takes them.
INSERT INTO users (name) VALUES ('Dee');
SELECT name, email FROM users ORDER BY id;
