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
