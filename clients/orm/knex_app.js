// knex 3 on node-postgres: a schema built with the schema builder, inserts with RETURNING, a
// transaction with a savepoint (nested transaction) rolled back, and a join.
//   node knex_app.js PORT
const knex = require('knex')({
  client: 'pg',
  connection: { host: '127.0.0.1', port: Number(process.argv[2]), user: 'postgres', database: 'postgres' },
  pool: { min: 1, max: 1 },
});

async function main() {
  await knex.schema.createTable('teams', (t) => {
    t.increments('id');
    t.string('name', 60).notNullable().unique();
  });
  await knex.schema.createTable('players', (t) => {
    t.increments('id');
    t.string('name').notNullable();
    t.integer('team_id').references('id').inTable('teams');
    t.decimal('rating', 5, 2);
  });
  const [team] = await knex('teams').insert({ name: 'Owls' }).returning(['id', 'name']);
  await knex('players').insert([{ name: 'Ann', team_id: team.id, rating: 7.5 }, { name: 'Bo', team_id: team.id, rating: 6 }]);
  await knex.transaction(async (trx) => {
    await trx('players').where({ name: 'Ann' }).update({ rating: 8 });
    try {
      await trx.transaction(async (inner) => {
        await inner('players').insert({ name: 'Cy', team_id: 999 });
      });
    } catch (e) {
      // the savepoint is rolled back; the outer transaction goes on
    }
  });
  const rows = await knex('players').join('teams', 'teams.id', 'players.team_id')
    .select('players.name', 'teams.name as team', 'players.rating').orderBy('players.id');
  console.log(JSON.stringify(rows));
  await knex.destroy();
}

main().catch((e) => { console.error(e); process.exit(1); });
