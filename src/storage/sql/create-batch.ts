/**
 * Group creates for engines whose creates are single autocommit statements (PostgreSQL): the creates requested
 * while earlier ones are in flight are sent together as one statement (createManyInOneStatement), the way the
 * SQLite engine shares one commit among the writes of a moment. A lone create goes out at once, as before.
 * At most MAX_IN_FLIGHT statements run at a time, so under load the queue fills and groups grow by themselves.
 *
 * Each create still succeeds or fails on its own: when a group statement fails, its creates are retried one by one.
 */
import type { VersionWrite } from '../port.js';
import { createInOneStatement, createManyInOneStatement } from './cte-writes.js';
import type { SqlSession, StatementOptions } from './session.js';
import type { VersionRow } from './writes.js';

const MAX_IN_FLIGHT = 3;
const MAX_GROUP = 64;

interface QueuedCreate {
  version: VersionWrite;
  row: VersionRow;
  resolve(created: boolean): void;
  reject(error: unknown): void;
}

export class CreateBatcher {
  private queue: QueuedCreate[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly session: SqlSession) {}

  /** true when written, false when the resource already exists (nothing written) */
  create(version: VersionWrite, row: VersionRow): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ version, row, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= MAX_IN_FLIGHT || this.queue.length === 0) return;
    this.scheduled = true;
    // the requests of this event-loop turn join the group
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) this.send(this.takeGroup());
    });
  }

  /** up to MAX_GROUP queued creates with distinct keys (a repeated key waits for a later group) */
  private takeGroup(): QueuedCreate[] {
    const keys = new Set<string>();
    const group: QueuedCreate[] = [];
    const rest: QueuedCreate[] = [];
    for (const item of this.queue) {
      const key = `${item.version.resourceType}/${item.version.id}`;
      if (group.length < MAX_GROUP && !keys.has(key)) {
        keys.add(key);
        group.push(item);
      } else rest.push(item);
    }
    this.queue = rest;
    return group;
  }

  private send(group: QueuedCreate[]): void {
    this.inFlight++;
    this.run(group).finally(() => {
      this.inFlight--;
      this.schedule();
    });
  }

  private async run(group: QueuedCreate[]): Promise<void> {
    if (group.length > 1) {
      try {
        const created = await createManyInOneStatement(this.session, group);
        group.forEach((item, k) => item.resolve(created[k]!));
        return;
      } catch {
        // one create's error must not fail the others: each runs alone below and gets its own outcome
      }
    }
    await Promise.all(group.map(async (item) => {
      try {
        item.resolve(await createInOneStatement(this.session, item.version, item.row));
      } catch (error) {
        item.reject(error);
      }
    }));
  }
}

/** resources per statement when deferred creates are sent (bounds the statement's arrays) */
const DEFERRED_CHUNK = 500;

/**
 * A caller transaction's session whose creates wait (deferCreate) until the transaction's next statement or its
 * commit, then go out together: a transaction Bundle of 500 creates costs a few statements instead of 500 round
 * trips. Every statement flushes the waiting creates first, so reads inside the transaction see them and the order
 * of effects is unchanged. A create whose id turns out to be taken takes `overExisting` (which may throw the
 * version conflict: the transaction then fails, as it would have at the write).
 */
export class DeferringSession implements SqlSession {
  private pending: { version: VersionWrite; row: VersionRow }[] = [];

  constructor(
    private readonly inner: SqlSession,
    private readonly overExisting: (session: SqlSession, version: VersionWrite, row: VersionRow) => Promise<void>,
  ) {}

  deferCreate(version: VersionWrite, row: VersionRow): void {
    this.pending.push({ version, row });
  }

  async all(sql: string, params: unknown[], options?: StatementOptions) {
    await this.flush();
    return this.inner.all(sql, params, options);
  }

  async run(sql: string, params: unknown[], options?: StatementOptions) {
    await this.flush();
    return this.inner.run(sql, params, options);
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) {
      // distinct keys per statement; a repeated key goes in a later one (where it meets its first create)
      const keys = new Set<string>();
      const chunk: typeof this.pending = [];
      const rest: typeof this.pending = [];
      for (const write of this.pending) {
        const key = `${write.version.resourceType}/${write.version.id}`;
        if (chunk.length < DEFERRED_CHUNK && !keys.has(key)) {
          keys.add(key);
          chunk.push(write);
        } else rest.push(write);
      }
      this.pending = rest;
      const created = chunk.length === 1
        ? [await createInOneStatement(this.inner, chunk[0]!.version, chunk[0]!.row)]
        : await createManyInOneStatement(this.inner, chunk);
      for (let k = 0; k < chunk.length; k++) {
        if (!created[k]) await this.overExisting(this.inner, chunk[k]!.version, chunk[k]!.row);
      }
    }
  }
}
