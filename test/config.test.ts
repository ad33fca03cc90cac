/**
 * Configuration (README "Configuration"): every setting is validated once at start, and a bad value stops the
 * server with a clear message (ConfigError, printed by main.ts as "Configuration error: ..." with exit code 1).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig, type Config } from '../src/config.js';

t.test('accepted values', async (t) => {
  const cases: Array<{ name: string; env: NodeJS.ProcessEnv; expect: Partial<Config> }> = [
    { name: 'defaults', env: {}, expect: { logLevel: 'info', publicBaseUrl: undefined, port: 8080, basePath: '/fhir' } },
    ...['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => ({ name: `FHIR_LOG_LEVEL=${level}`, env: { FHIR_LOG_LEVEL: level }, expect: { logLevel: level } })),
    { name: 'https public base URL, trailing slash dropped', env: { FHIR_PUBLIC_BASE_URL: 'https://fhir.example.org/fhir/' }, expect: { publicBaseUrl: 'https://fhir.example.org/fhir' } },
    { name: 'http public base URL with a port', env: { FHIR_PUBLIC_BASE_URL: 'http://10.0.0.5:8080/fhir' }, expect: { publicBaseUrl: 'http://10.0.0.5:8080/fhir' } },
    { name: 'empty public base URL means derived from the request', env: { FHIR_PUBLIC_BASE_URL: '' }, expect: { publicBaseUrl: undefined } },
  ];
  for (const c of cases) t.match(loadConfig(c.env), c.expect, c.name);
});

t.test('a bad value is a ConfigError naming the variable and the value', async (t) => {
  const cases: Array<{ name: string; env: NodeJS.ProcessEnv; message: RegExp }> = [
    { name: 'unknown log level', env: { FHIR_LOG_LEVEL: 'loud' }, message: /^FHIR_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/ },
    { name: 'log level in capitals (pino levels are lower case)', env: { FHIR_LOG_LEVEL: 'INFO' }, message: /^FHIR_LOG_LEVEL .* got "INFO"$/ },
    { name: 'public base URL that is no URL', env: { FHIR_PUBLIC_BASE_URL: 'notaurl' }, message: /^FHIR_PUBLIC_BASE_URL must be an absolute http\(s\) URL.* got "notaurl"$/ },
    { name: 'relative public base URL', env: { FHIR_PUBLIC_BASE_URL: '/fhir' }, message: /^FHIR_PUBLIC_BASE_URL .* got "\/fhir"$/ },
    { name: 'public base URL of another scheme', env: { FHIR_PUBLIC_BASE_URL: 'ftp://fhir.example.org/fhir' }, message: /^FHIR_PUBLIC_BASE_URL / },
    { name: 'public base URL with a query', env: { FHIR_PUBLIC_BASE_URL: 'https://fhir.example.org/fhir?tenant=a' }, message: /^FHIR_PUBLIC_BASE_URL / },
    { name: 'port that is no number', env: { FHIR_PORT: 'eighty' }, message: /^FHIR_PORT must be an integer/ },
  ];
  for (const c of cases) {
    let error: unknown;
    try { loadConfig(c.env); } catch (thrown) { error = thrown; }
    t.ok(error instanceof ConfigError, `${c.name}: ConfigError`);
    t.match((error as Error | undefined)?.message, c.message, `${c.name}: message`);
  }
});

t.test('the server stops with the message, exit code 1 and no stack trace', async (t) => {
  const main = path.resolve(import.meta.dirname, '../src/main.ts');
  const tsx = path.resolve(import.meta.dirname, '../node_modules/.bin/tsx');
  for (const [name, value] of [['FHIR_LOG_LEVEL', 'loud'], ['FHIR_PUBLIC_BASE_URL', 'notaurl']]) {
    const result = spawnSync(tsx, [main], {
      env: { PATH: process.env.PATH, FHIR_DATA_DIR: path.join(os.tmpdir(), 'fhir-config-test'), FHIR_SEED: 'false', FHIR_PORT: '0', [name]: value },
      encoding: 'utf8',
      timeout: 30_000,
    });
    t.equal(result.status, 1, `${name}=${value}: exit code`);
    t.match(result.stderr, new RegExp(`^Configuration error: ${name} .*"${value}"\\n$`), `${name}=${value}: one clear line on stderr`);
  }
});
