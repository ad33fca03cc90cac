/**
 * A worker thread of the import command's writers (import-writers.ts): a server context of its own (definitions,
 * validator, registry, a connection to the store of the importer's configuration), and for each chunk it is sent the
 * same work as a single-threaded import: prepare the lines (import-prepare.ts), then, when the shared turn counter
 * reaches this chunk, write them (import-runner.ts importPrepared) and report the outcome.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config.js';
import { createServerContext } from './server-context.js';
import { preparerTools, type ImportIssue } from './import-runner.js';
import { prepareAndWrite, Turns } from './import-writers.js';
import type { NdjsonText } from './ndjson-reader.js';

export type WriterRequest =
  | { kind: 'chunk'; seq: number; source: string; lines: NdjsonText[]; lastUpdated: string }
  | { kind: 'close' };

export type WriterReply =
  | { kind: 'ready' }
  | { kind: 'done'; seq: number; resources: number; issues: ImportIssue[]; wroteSearchParameter: boolean; matchedByIdentifier: number }
  | { kind: 'failed'; seq?: number; error: string }
  | { kind: 'closed' };

const { baseUrl, config, turns: turnsMemory } = workerData as { baseUrl: string; config: Config; turns: SharedArrayBuffer };
const port = parentPort!;
const post = (reply: WriterReply) => port.postMessage(reply);

const ctx = await createServerContext(config);
const tools = preparerTools(ctx);
const turns = new Turns(turnsMemory);

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'chunk') {
    prepareAndWrite(ctx, tools, baseUrl, turns, request.seq, { source: request.source, lines: request.lines }, request.lastUpdated)
      .then(post, (error: unknown) => post({ kind: 'failed', seq: request.seq, error: (error as Error)?.stack ?? String(error) }));
  } else ctx.store.close().then(() => post({ kind: 'closed' }), (error: unknown) => post({ kind: 'failed', error: String(error) }));
});
post({ kind: 'ready' });
