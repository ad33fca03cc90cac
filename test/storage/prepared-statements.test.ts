/**
 * The PostgreSQL engine's prepared statements (src/storage/postgres/prepared-statements.ts), against a recording
 * stand-in for a pg client: each text is named once, a connection keeps at most its limit (least recently used
 * deallocated first, and only outside transactions), and a deallocated name is parsed again when next used.
 */
import type pg from 'pg';
import t from 'tap';
import { PreparedStatements } from '../../src/storage/postgres/prepared-statements.js';

function recordingClient() {
  const sent: (string | { name?: string; text: string })[] = [];
  const parsedStatements: Record<string, string> = {};
  const client = {
    connection: { parsedStatements },
    async query(config: string | { name?: string; text: string }) {
      sent.push(config);
      if (typeof config === 'object' && config.name) parsedStatements[config.name] = config.text;
      return { rows: [] };
    },
  };
  return { client: client as unknown as pg.ClientBase, sent, parsedStatements };
}

t.test('a connection keeps its limit of statements, least recently used deallocated first', async (t) => {
  const statements = new PreparedStatements(2);
  const { client, sent, parsedStatements } = recordingClient();
  const texts = ['SELECT 1 /*a*/', 'SELECT 1 /*b*/', 'SELECT 1 /*c*/'];
  await statements.query(client, texts[0]!, [], true);
  await statements.query(client, texts[1]!, [], true);
  await statements.query(client, texts[0]!, [], true); // a is now the most recently used
  const nameOf = (text: string) => (sent.find((config) => typeof config === 'object' && config.text === text) as { name: string }).name;
  t.equal(nameOf(texts[0]!), (sent[2] as { name: string }).name, 'one name per text');
  await statements.query(client, texts[2]!, [], true);
  const deallocations = sent.filter((config): config is string => typeof config === 'string');
  t.same(deallocations, [`DEALLOCATE ${nameOf(texts[1]!)}`], 'b, the least recently used, is deallocated');
  t.notOk(nameOf(texts[1]!) in parsedStatements, 'and forgotten by the client, which will parse it again');
  t.ok(nameOf(texts[0]!) in parsedStatements);
});

t.test('inside a transaction nothing is deallocated until the connection is outside one again', async (t) => {
  const statements = new PreparedStatements(1);
  const { client, sent } = recordingClient();
  await statements.query(client, 'SELECT 2 /*a*/', [], false);
  await statements.query(client, 'SELECT 2 /*b*/', [], false);
  t.equal(sent.filter((config) => typeof config === 'string').length, 0, 'no DEALLOCATE inside the transaction');
  await statements.deallocateOld(client);
  t.equal(sent.filter((config) => typeof config === 'string').length, 1, 'one when it is over');
});

t.test('past the limit, the oldest go down to nine tenths of it in one round trip', async (t) => {
  const statements = new PreparedStatements(20);
  const { client, sent, parsedStatements } = recordingClient();
  for (let n = 0; n < 21; n++) await statements.query(client, `SELECT 3 /*${n}*/`, [], true);
  const deallocations = sent.filter((config): config is string => typeof config === 'string');
  t.equal(deallocations.length, 1, 'one statement');
  t.equal(deallocations[0]!.split('; ').length, 3, '21 -> 18 kept');
  t.equal(Object.keys(parsedStatements).length, 18);
});
