/** Test support (not a test): a PostgreSQL schema of a test file's own on the FHIR_TEST_POSTGRES_URL server. */
import pg from 'pg';

export interface TestSchema {
  name: string;
  /** the server URL with ?schema=<name> and any other parameters given */
  url(parameters?: Record<string, string>): string;
  /** DROP SCHEMA ... CASCADE, over a connection of its own */
  drop(): Promise<void>;
}

/** schemas named by this process: two made in the same millisecond must not share a name */
let made = 0;

export function testSchema(serverUrl: string, prefix: string): TestSchema {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++made}`;
  return {
    name,
    url(parameters = {}) {
      const parsed = new URL(serverUrl);
      parsed.searchParams.set('schema', name);
      for (const [parameter, value] of Object.entries(parameters)) parsed.searchParams.set(parameter, value);
      return parsed.toString();
    },
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** An engine a test file runs its cases on: SQLite always, PostgreSQL in a schema of its own when the URL is set. */
export interface TestEngine { name: string; store?: () => { url: string; drop: () => Promise<void> } }

export function testEngines(schemaPrefix: string): TestEngine[] {
  const engines: TestEngine[] = [{ name: 'SQLite' }];
  const url = process.env.FHIR_TEST_POSTGRES_URL;
  if (url) {
    engines.push({ name: 'PostgreSQL', store: () => {
      const schema = testSchema(url, schemaPrefix);
      return { url: schema.url(), drop: () => schema.drop() };
    } });
  }
  return engines;
}
