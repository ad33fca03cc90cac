/** Environment -> typed config, validated once at start with clear errors. */
import path from 'node:path';

export interface Config {
  host: string;
  port: number;
  /** path prefix of the FHIR endpoint, e.g. "/fhir" ("" for root) */
  basePath: string;
  /** public base URL override (behind a proxy); otherwise derived from the request */
  publicBaseUrl?: string;
  dataDir: string;
  /** "sqlite" (default, file under dataDir), a file path "sqlite:/path/db.sqlite", "postgres://...", "mongodb://..." */
  store: string;
  seed: boolean;
  logLevel: string;
  /** maximum request body in bytes */
  bodyLimit: number;
  /** default and maximum page size */
  defaultCount: number;
  maxCount: number;
  /** maximum number of resources added by _include/_revinclude per page before the response says it was cut */
  maxIncludes: number;
  /** maximum entries in one batch/transaction Bundle (413 beyond) */
  maxBundleEntries: number;
  /** the one directory $import reads file:// inputs from (no outbound fetches); default <dataDir>/import */
  bulkImportDir?: string;
}

export class ConfigError extends Error {}

/** pino's levels, and 'silent' (pino throws on anything else) */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(env: NodeJS.ProcessEnv): string {
  const raw = env.FHIR_LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError(`FHIR_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  return raw;
}

/** An absolute http(s) URL without query or fragment, since links and Location are built by appending paths to it. */
function publicBaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.FHIR_PUBLIC_BASE_URL;
  if (raw === undefined || raw === '') return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(`FHIR_PUBLIC_BASE_URL must be an absolute http(s) URL without query or fragment, like https://fhir.example.org/fhir, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let basePath = env.FHIR_BASE_PATH ?? '/fhir';
  if (basePath === '/') basePath = '';
  if (basePath && !basePath.startsWith('/')) basePath = '/' + basePath;
  basePath = basePath.replace(/\/+$/, '');
  const dataDir = path.resolve(env.FHIR_DATA_DIR ?? './data');
  const config: Config = {
    host: env.FHIR_HOST ?? '127.0.0.1',
    port: int(env, 'FHIR_PORT', 8080, 0),
    basePath,
    publicBaseUrl: publicBaseUrl(env),
    dataDir,
    store: env.FHIR_STORE ?? 'sqlite',
    seed: bool(env, 'FHIR_SEED', true),
    logLevel: logLevel(env),
    bodyLimit: int(env, 'FHIR_BODY_LIMIT', 64 * 1024 * 1024, 1024),
    defaultCount: int(env, 'FHIR_DEFAULT_COUNT', 20, 1),
    maxCount: int(env, 'FHIR_MAX_COUNT', 1000, 1),
    maxIncludes: int(env, 'FHIR_MAX_INCLUDES', 1000, 1),
    maxBundleEntries: int(env, 'FHIR_MAX_BUNDLE_ENTRIES', 100000, 1),
    bulkImportDir: env.FHIR_BULK_IMPORT_DIR ? path.resolve(env.FHIR_BULK_IMPORT_DIR) : undefined,
  };
  if (!/^(sqlite(:.+)?|postgres(ql)?:\/\/.+|mongodb(\+srv)?:\/\/.+)$/.test(config.store)) {
    throw new ConfigError(`FHIR_STORE must be "sqlite", "sqlite:<file>", "postgres://..." or "mongodb://...", got "${config.store}"`);
  }
  if (config.defaultCount > config.maxCount) throw new ConfigError('FHIR_DEFAULT_COUNT must not exceed FHIR_MAX_COUNT');
  return config;
}
