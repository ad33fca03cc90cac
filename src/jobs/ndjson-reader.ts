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

/** A non-blank line as read, not yet parsed (`bytes` also counts the blank lines before it). */
export interface NdjsonText { line: number; bytes: number; text: string }

export async function* readNdjsonText(input: Readable): AsyncGenerator<NdjsonText> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let pendingBytes = 0;
  for await (const text of lines) {
    line++;
    pendingBytes += Buffer.byteLength(text) + 1;
    if (text.trim() === '') continue;
    const bytes = pendingBytes;
    pendingBytes = 0;
    yield { line, bytes, text };
  }
}

/** A line's resource, or the reason it is not one. */
export function parseNdjsonLine(text: string, line: number): { resource: Resource; error?: undefined } | { resource?: undefined; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `line ${line} is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as Resource).resourceType !== 'string') {
    return { error: `line ${line} is not a FHIR resource (no resourceType)` };
  }
  return { resource: value as Resource };
}

export async function* readNdjson(input: Readable): AsyncGenerator<NdjsonLine> {
  for await (const { line, bytes, text } of readNdjsonText(input)) {
    const parsed = parseNdjsonLine(text, line);
    yield parsed.error !== undefined ? { line, bytes, error: parsed.error } : { line, bytes, resource: parsed.resource! };
  }
}

function fileStream(path: string): Readable {
  return createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
}

export function readNdjsonFile(path: string): AsyncGenerator<NdjsonLine> {
  return readNdjson(fileStream(path));
}

export function readNdjsonFileText(path: string): AsyncGenerator<NdjsonText> {
  return readNdjsonText(fileStream(path));
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
