/**
 * NDJSON import by several threads, each a whole importer (import-writer-worker.ts: its own validator, registry and
 * store connection; this thread is one of them), for the import command. This thread reads the files and hands out
 * chunks; the importers prepare their chunks at the same time and write them one at a time, in the order of the
 * chunks: each waits for its turn, passed on by the writer of the chunk before it. So what is stored (versions, their order and timestamps, outcomes and
 * report lines) is what a single-threaded import stores, while parsing, validating and indexing, about half of a
 * chunk's work, overlap with the writing.
 *
 * Why not one writer fed by preparing threads (as an earlier version did): a prepared chunk (resources and their index entries as
 * objects, ~4.7 MB per 1,000 Synthea resources) took the writer ~55 us per resource to receive, more than preparing
 * it; here only the lines' text crosses.
 *
 * The threads' registries know the store's custom SearchParameters of when they started: a chunk that may hold a
 * SearchParameter, and every chunk after it, is imported by this thread (importChunks), whose registry follows them.
 */
import { inspect } from 'node:util';
import type { Config } from '../config.js';
import type { ServerContext } from '../interactions/types.js';
import { startModuleWorker } from './module-worker.js';
import { prepareChunk, type PrepareTools } from './import-prepare.js';
import { importChunks, importPrepared, mayHoldSearchParameter, ndjsonFileChunks, preparerTools, type ImportCounters, type ImportIssue, type SourceChunk } from './import-runner.js';
import type { WriterReply, WriterRequest } from './import-writer-worker.js';

/** chunks handed to a writer ahead of the one it writes: enough to prepare while waiting, memory stays a few chunks */
const CHUNKS_PER_WRITER = 2;

type ChunkReply = Extract<WriterReply, { kind: 'done' | 'failed' }>;

/** where chunks are imported: a worker thread, or this thread between its other work */
interface ChunkWriter {
  submit(seq: number, chunk: SourceChunk, lastUpdated: string): void;
}

interface Pending { writer: ChunkWriter; done: Promise<void>; settle(reply: ChunkReply): void }

export interface ImportWriters {
  /** every thread has opened the store (or failed to start): their start-up no longer changes the schema */
  started(): Promise<void>;
  importFiles(ctx: ServerContext, baseUrl: string, files: readonly string[], counters: ImportCounters, options: { batchSize?: number }): Promise<void>;
  close(): Promise<void>;
}


/** Atomics.waitAsync: in Node.js since 16, in TypeScript's library only from ES2024 */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/**
 * Whose turn it is to write: the seq of the next chunk to write, in memory every importer shares. A writer passes the
 * turn on itself when its chunk is written, so the next one starts at once, whether or not the thread that hands out
 * chunks is busy preparing one of its own (relayed through it, turns waited for its synchronous work).
 */
export class Turns {
  private readonly next: Int32Array;

  constructor(readonly memory: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.next = new Int32Array(memory);
  }

  async wait(seq: number): Promise<void> {
    for (;;) {
      const current = Atomics.load(this.next, 0);
      if (current === seq) return;
      const waiting = waitAsync(this.next, 0, current);
      if (waiting.async) await waiting.value;
    }
  }

  pass(seq: number): void {
    Atomics.store(this.next, 0, seq + 1);
    Atomics.notify(this.next, 0);
  }

  /** before a run of chunks numbered from 0, when none is in flight */
  reset(): void {
    Atomics.store(this.next, 0, 0);
  }
}

/** a worker thread's or this thread's half of the work of a chunk: prepared now, written in its turn */
export async function prepareAndWrite(
  ctx: ServerContext, tools: PrepareTools, baseUrl: string, turns: Turns, seq: number, chunk: SourceChunk, lastUpdated: string,
): Promise<ChunkReply> {
  const prepared = prepareChunk(tools, chunk.lines, { lastUpdated });
  await turns.wait(seq);
  const issues: ImportIssue[] = [];
  let resources = 0;
  let matchedByIdentifier = 0;
  // a failure keeps the turn: the import stops there, and no later chunk is written after a gap
  const wroteSearchParameter = await importPrepared(ctx, baseUrl, chunk.source, chunk.lines, prepared, {
    onBytes: () => undefined,
    onResources: (count) => { resources += count; },
    onIssue: (issue) => { issues.push(issue); },
    onMatchedByIdentifier: (count) => { matchedByIdentifier += count; },
  });
  turns.pass(seq);
  return { kind: 'done', seq, resources, issues, wroteSearchParameter, matchedByIdentifier };
}

/**
 * `count` worker threads; this thread imports chunks too (it has its context already, and a thread's start-up,
 * ~0.5 s of CPU for its definitions, registry and validator, is not paid for it).
 */
export function startImportWriters(count: number, baseUrl: string, config: Config): ImportWriters {
  const turns = new Turns();
  let failure: Error | undefined;
  const bySeq = new Map<number, Pending>();
  const settle = (reply: ChunkReply) => bySeq.get(reply.seq!)?.settle(reply);
  const fail = (error: Error) => {
    failure ??= error;
    for (const pending of bySeq.values()) pending.settle({ kind: 'failed', error: error.message });
  };
  const threads = Array.from({ length: count }, () => {
    const worker = startModuleWorker('import-writer-worker', { baseUrl, config, turns: turns.memory });
    let closed: (() => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: WriterReply) => {
        if (reply.kind === 'ready') return resolve();
        if (reply.kind === 'closed') return closed?.();
        if (reply.kind === 'failed' && reply.seq === undefined) return fail(new Error(`import writer: ${reply.error}`));
        settle(reply as ChunkReply);
      });
      worker.on('error', (thrown: unknown) => {
        // what a thread throws arrives cloned: an error class of a library (SqliteError) as a plain object, no message
        const error = thrown instanceof Error ? thrown : new Error(`import writer thread failed: ${inspect(thrown)}`);
        reject(error);
        fail(error);
      });
    });
    ready.catch(() => undefined);
    const send = (request: WriterRequest) => worker.postMessage(request);
    const writer: ChunkWriter = {
      submit: (seq, chunk, lastUpdated) => send({ kind: 'chunk', seq, source: chunk.source, lines: chunk.lines, lastUpdated }),
    };
    const close = () => ready.then(() => new Promise<void>((resolve) => {
      closed = resolve;
      send({ kind: 'close' });
    })).catch(() => undefined).then(() => worker.terminate());
    return { writer, ready, close };
  });

  async function importFiles(ctx: ServerContext, baseUrl: string, files: readonly string[], counters: ImportCounters, options: { batchSize?: number }): Promise<void> {
    turns.reset();
    const tools = preparerTools(ctx);
    const local: ChunkWriter = {
      submit: (seq, chunk, lastUpdated) => {
        prepareAndWrite(ctx, tools, baseUrl, turns, seq, chunk, lastUpdated)
          .then(settle, (error: unknown) => settle({ kind: 'failed', seq, error: (error as Error)?.stack ?? String(error) }));
      },
    };
    // a thread takes chunks once it is ready; until then this thread imports alone
    const writers: ChunkWriter[] = [local];
    for (const thread of threads) void thread.ready.then(() => writers.push(thread.writer), () => undefined);

    const chunks = ndjsonFileChunks(files, options.batchSize);
    const queue: Pending[] = [];
    let next = 0;
    let written = 0;
    const outstanding = (writer: ChunkWriter) => queue.filter((pending) => pending.writer === writer).length;
    const leastBusy = () => writers.reduce((best, candidate) => (outstanding(candidate) < outstanding(best) ? candidate : best));
    /** the oldest chunk's outcome (its writer has passed the turn on) */
    const finishOldest = async () => {
      await queue.shift()!.done;
      bySeq.delete(written);
      written++;
    };
    for (;;) {
      if (failure) throw failure;
      const step = await chunks.next();
      if (step.done) break;
      const chunk = step.value;
      if (mayHoldSearchParameter(chunk)) {
        while (queue.length > 0) await finishOldest();
        await importChunks(ctx, baseUrl, (async function* () {
          yield chunk;
          yield* chunks;
        })(), counters, {});
        break;
      }
      while (outstanding(leastBusy()) >= CHUNKS_PER_WRITER) await finishOldest();
      const writer = leastBusy();
      const seq = next++;
      let settleChunk!: (reply: ChunkReply) => void;
      const done = new Promise<void>((resolve, reject) => {
        settleChunk = (reply) => {
          if (reply.kind === 'failed') return reject(new Error(`import writer: ${reply.error}`));
          for (const issue of reply.issues) counters.onIssue(issue);
          counters.onResources(reply.resources);
          if (reply.matchedByIdentifier > 0) counters.onMatchedByIdentifier?.(reply.matchedByIdentifier);
          counters.onBytes(chunk.lines.reduce((sum, line) => sum + line.bytes, 0));
          resolve();
        };
      });
      done.catch(() => undefined);
      const pending: Pending = { writer, done, settle: settleChunk };
      bySeq.set(seq, pending);
      queue.push(pending);
      // timestamps in chunk order, as a single-threaded import gives them
      writer.submit(seq, chunk, ctx.now().toISOString());
    }
    while (queue.length > 0) await finishOldest();
  }

  return {
    importFiles,
    async started() {
      await Promise.allSettled(threads.map((thread) => thread.ready));
    },
    async close() {
      await Promise.all(threads.map((thread) => thread.close()));
    },
  };
}
