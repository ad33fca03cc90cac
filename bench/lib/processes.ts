/** Child processes for the benchmark: the real server (src/main.ts) and the bare Fastify baseline. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningServer {
  pid: number;
  base: string;
  startupMs: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MB, from /proc/<pid>/status (Linux). */
export function residentMegabytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size of a process in MB (VmHWM), while it runs. */
export function peakResidentMegabytes(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The server's environment: FHIR_* from src/config.ts. The demo hospital seed is on unless `seed` is false. */
export function fhirEnvironment(options: { store: string; dataDir: string; seed?: boolean; port?: number }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FHIR_HOST: '127.0.0.1', FHIR_PORT: String(options.port ?? 0), FHIR_DATA_DIR: options.dataDir, FHIR_LOG_LEVEL: 'warn',
    FHIR_STORE: options.store, FHIR_SEED: String(options.seed ?? true),
  };
}

export async function startFhirServer(options: { store: string; dataDir: string; seed?: boolean }): Promise<RunningServer> {
  const port = await freePort();
  const env = fhirEnvironment({ ...options, port });
  const base = `http://127.0.0.1:${port}/fhir`;
  return startAndWait(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] }), base, `${base}/metadata`);
}

export async function startBareServer(payloadFile: string): Promise<RunningServer> {
  const port = await freePort();
  const env = { ...process.env, BENCH_PORT: String(port), BENCH_PAYLOAD_FILE: payloadFile };
  const base = `http://127.0.0.1:${port}`;
  return startAndWait(spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] }), base, `${base}/Patient/probe`);
}

async function startAndWait(child: ChildProcess, base: string, probeUrl: string, timeoutMs = 180_000): Promise<RunningServer> {
  const started = performance.now();
  let exited: number | null | undefined;
  child.once('exit', (code) => { exited = code; });
  for (;;) {
    if (exited !== undefined) throw new Error(`${probeUrl}: the process exited with code ${exited} before answering`);
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGTERM');
      throw new Error(`${probeUrl}: no answer within ${timeoutMs / 1000} s`);
    }
    try {
      const response = await fetch(probeUrl);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid!,
    base,
    startupMs: Math.round(performance.now() - started),
    stop: () => new Promise<void>((resolve) => {
      if (exited !== undefined) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
