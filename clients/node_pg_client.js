// A node-postgres client: parameterized queries (extended protocol, unnamed and named
// statements), a transaction, and a result printed as JSON. Usage: node node_pg_client.js PORT
const { Client } = require('pg');

async function main() {
  const client = new Client({ host: '127.0.0.1', port: Number(process.argv[2]), user: 'postgres', database: 'postgres' });
  await client.connect();
  const out = [];
  await client.query('CREATE TEMP TABLE node_items (id int PRIMARY KEY, name text NOT NULL, price numeric(6,2))');
  await client.query('BEGIN');
  for (const [id, name, price] of [[1, 'apple', '1.25'], [2, 'bread', null], [3, 'cheese', '7']]) {
    await client.query('INSERT INTO node_items VALUES ($1, $2, $3)', [id, name, price]);
  }
  await client.query('COMMIT');
  for (const id of [1, 3]) {
    const r = await client.query({ name: 'item_by_id', text: 'SELECT name, price FROM node_items WHERE id = $1', values: [id] });
    out.push(r.rows);
  }
  out.push((await client.query('SELECT $1::int + 1 AS n, $2::text AS t', [41, 'x'])).rows);
  try {
    await client.query('INSERT INTO node_items VALUES ($1, $2)', [1, 'duplicate']);
  } catch (e) {
    out.push(e.code);
  }
  out.push((await client.query('SELECT count(*)::int AS n FROM node_items')).rows);
  console.log(JSON.stringify(out));
  await client.end();
}

main().catch((e) => { console.error(e); process.exit(1); });
