/**
 * Every statement the PostgreSQL engine sends is prepared (named) once per connection and from then on only bound
 * and executed: parsing and planning a search took more of PostgreSQL's CPU than running it (Patient?name=: 0.2 ms
 * parse, 0.25-0.5 ms plan, 0.1 ms execute). Whether an execution is planned again for its values is PostgreSQL's
 * plan_cache_mode (createPostgresStore).
 *
 * Texts are few, one per search shape, but a connection keeps at most `perConnection` statements prepared,
 * deallocating its least recently used ones when it is outside a transaction; past MAX_NAMED_TEXTS distinct
 * texts in the process, new ones run unnamed.
 */
import type pg from 'pg';

const MAX_NAMED_TEXTS = 20_000;
export const DEFAULT_PREPARED_PER_CONNECTION = 500;

export interface StatementConfig { name?: string; text: string; values: unknown[] }

/** pg keeps the names a connection has prepared here, and sends Parse again for a name missing from it */
interface ClientInternals { connection?: { parsedStatements?: Record<string, string> } }

const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_TEXTS) {
    name = `fhir_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

export class PreparedStatements {
  /** per connection, its statement names from least to most recently used */
  private readonly prepared = new WeakMap<pg.ClientBase, Set<string>>();

  constructor(private readonly perConnection = DEFAULT_PREPARED_PER_CONNECTION) {}

  /** `outsideTransaction`: old statements may be deallocated first */
  async query(client: pg.ClientBase, text: string, values: unknown[], outsideTransaction: boolean): Promise<pg.QueryResult> {
    const name = statementName(text);
    if (name === undefined) return client.query({ text, values });
    let names = this.prepared.get(client);
    if (!names) this.prepared.set(client, names = new Set());
    names.delete(name);
    names.add(name);
    if (outsideTransaction) await this.deallocateOld(client);
    return client.query({ name, text, values });
  }

  /**
   * On a connection outside any transaction, past the limit: its least recently used statements are deallocated
   * down to nine tenths of it, in one round trip (texts with literals, conditions.ts, come and go).
   */
  async deallocateOld(client: pg.ClientBase): Promise<void> {
    const names = this.prepared.get(client);
    if (!names || names.size <= this.perConnection) return;
    const keep = this.perConnection - Math.floor(this.perConnection / 10);
    const oldest: string[] = [];
    for (const name of names) {
      if (names.size - oldest.length <= keep) break;
      oldest.push(name);
    }
    for (const name of oldest) {
      names.delete(name);
      delete (client as ClientInternals).connection?.parsedStatements?.[name];
    }
    await client.query(oldest.map((name) => `DEALLOCATE ${name}`).join('; '));
  }

  /** what pool.query does (a client from the pool, released after the statement; destroyed after an error) */
  async queryFromPool(pool: pg.Pool, text: string, values: unknown[]): Promise<pg.QueryResult> {
    const client = await pool.connect();
    try {
      const result = await this.query(client, text, values, true);
      client.release();
      return result;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  }
}
