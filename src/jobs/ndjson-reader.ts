/**
 * Streaming NDJSON (application/fhir+ndjson, Bulk Data IG): one resource per line, read line by line
 * from a stream so memory stays flat whatever the file size. Blank lines are skipped; a line that is
 * not a JSON object with a resourceType is reported, not thrown, so an import can carry on.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Resource } from '../fhir/types.js';

/** `bytes`: the line's UTF-8 length including its newline, for progress over a file's size */
export type NdjsonLine =
  | { line: number; bytes: number; resource: Resource; error?: undefined }
  | { line: number; bytes: number; resource?: undefined; error: string };

export async function* readNdjson(input: Readable): AsyncGenerator<NdjsonLine> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let pendingBytes = 0;
  for await (const text of lines) {
    line++;
    pendingBytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    const bytes = pendingBytes;
    pendingBytes = 0;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, bytes, error: `line ${line} is not valid JSON: ${(error as Error).message}` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as Resource).resourceType !== 'string') {
      yield { line, bytes, error: `line ${line} is not a FHIR resource (no resourceType)` };
      continue;
    }
    yield { line, bytes, resource: value as Resource };
  }
}

export function readNdjsonFile(path: string): AsyncGenerator<NdjsonLine> {
  return readNdjson(createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }));
}

/** Groups a stream of items into arrays of at most `size`, so writes can be batched in one transaction. */
export async function* inBatches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
