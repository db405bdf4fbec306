// The tasks app, release 1.3: it knows the migrations up to 003. What one session of it sends,
// through node-postgres (parameters go with the extended protocol). Its SQL is portable, so
// the same traffic also runs on SQLite.
//   clients/node-pg.sh clients/compat/tasks_app.js PORT
const { Client } = require('pg');

async function main() {
  const c = new Client({ host: '127.0.0.1', port: Number(process.argv[2]), user: 'postgres', database: 'postgres' });
  await c.connect();
  const addUser = async (name, email) =>
    (await c.query('INSERT INTO users (name, email) VALUES ($1, $2) RETURNING id', [name, email])).rows[0].id;
  const ann = await addUser('Ann', 'ann@example.com');
  const bo = await addUser('Bo', 'bo@example.com');
  // Two people may share a name.
  await addUser('Ann', 'ann.lee@example.com');
  const addTask = async (owner, title, priority, estimate, code) =>
    (
      await c.query(
        'INSERT INTO tasks (owner_id, title, priority, estimate, legacy_code) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [owner, title, priority, estimate, code],
      )
    ).rows[0].id;
  const report = await addTask(ann, 'Write the report', 'high', '2', 'R-1');
  const go = await addTask(ann, 'Go', 'low', '1', null);
  const budget = await addTask(bo, 'Review the budget', 'normal', null, 'B-7');
  await c.query('INSERT INTO comments (task_id, body) VALUES ($1, $2)', [report, 'Draft is ready']);
  await c.query('UPDATE tasks SET status = $1 WHERE id = $2', ['done', go]);
  await c.query('SELECT * FROM tasks WHERE owner_id = $1 ORDER BY id', [ann]);
  await c.query('SELECT id, title, estimate, legacy_code FROM tasks WHERE status = $1 ORDER BY id', ['open']);
  await c.query(
    'SELECT u.name, count(t.id) AS tasks FROM users u LEFT JOIN tasks t ON t.owner_id = u.id GROUP BY u.id, u.name ORDER BY u.id',
  );
  await c.query('SELECT t.title, m.body FROM comments m JOIN tasks t ON t.id = m.task_id ORDER BY m.id');
  await c.query('SELECT sum(estimate) AS hours FROM tasks WHERE owner_id = $1', [ann]);
  await c.query('BEGIN');
  await c.query('UPDATE tasks SET owner_id = $1 WHERE id = $2', [ann, budget]);
  await c.query('DELETE FROM tasks WHERE id = $1', [go]);
  await c.query('COMMIT');
  await c.query('SELECT id, owner_id, title, status FROM tasks ORDER BY id');
  await c.end();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
