/**
 * Reads by id outside a transaction on PostgreSQL, grouped: the reads requested while an earlier statement is
 * in flight go out together as one statement over unnest()ed (type, id) arrays. Each statement costs PostgreSQL ~30 us
 * and the driver ~35 us whatever its size, so at 32 concurrent clients a group of ten costs a little more than one.
 * A read that finds a statement free goes out at once, alone, as it would without grouping.
 */
import { arrayLiteral } from './array-literal.js';
import type { SqlDialect } from './dialect.js';
import { textVersionColumns } from './rows.js';
import type { Row, SqlSession } from './session.js';
import { RESOURCE_TABLE } from './tables.js';

/**
 * Statements in flight at once. One: the reads that arrive meanwhile form the next group, and a group of up to
 * MAX_GROUP costs about what one read does, so a second statement in flight only splits the groups. Measured on two
 * cores with PostgreSQL on the same machine, one gave 10-12 % more reads/s than two at 8 and 32 clients, with the
 * same p99; at one client nothing waits either way.
 */
const MAX_IN_FLIGHT = 1;
/** reads per statement (bounds its arrays) */
const MAX_GROUP = 100;

/**
 * The current rows (deleted ones too) of the (type, id) pairs bound as two arrays, in one statement text whatever
 * their number (PostgreSQL). A row per distinct pair; the caller maps rows back by type and id.
 */
export function currentRowsByKeysSql(dialect: SqlDialect): string {
  return `SELECT ${textVersionColumns(dialect, 'c')} FROM unnest(?::text[], ?::text[]) AS wanted(type, id)`
    + ` JOIN ${RESOURCE_TABLE} c ON c.type = wanted.type AND c.id = wanted.id`;
}

interface QueuedRead {
  key: string;
  resourceType: string;
  id: string;
  resolve(row: Row | undefined): void;
  reject(error: unknown): void;
}

export class ReadBatcher {
  private queue: QueuedRead[] = [];
  private inFlight = 0;
  private readonly groupSql: string;
  private readonly singleSql: string;

  constructor(private readonly session: SqlSession, dialect: SqlDialect) {
    this.singleSql = `SELECT ${textVersionColumns(dialect, 'c')} FROM ${RESOURCE_TABLE} c WHERE type = ? AND id = ?`;
    this.groupSql = currentRowsByKeysSql(dialect);
  }

  /** the current row of Type/id (deleted or not), undefined when there is none */
  read(resourceType: string, id: string): Promise<Row | undefined> {
    return new Promise<Row | undefined>((resolve, reject) => {
      const read = { key: `${resourceType}/${id}`, resourceType, id, resolve, reject };
      // with a statement free, a read goes at once (one client waits for no one); otherwise it waits for the group
      if (this.inFlight < MAX_IN_FLIGHT && this.queue.length === 0) this.send([read]);
      else this.queue.push(read);
    });
  }

  /** the reads that waited go out together when a statement is free again */
  private schedule(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) this.send(this.queue.splice(0, MAX_GROUP));
  }

  private send(group: QueuedRead[]): void {
    this.inFlight++;
    this.run(group).finally(() => {
      this.inFlight--;
      this.schedule();
    });
  }

  private async run(group: QueuedRead[]): Promise<void> {
    try {
      if (group.length === 1) {
        const [only] = group;
        only!.resolve((await this.session.all(this.singleSql, [only!.resourceType, only!.id]))[0]);
        return;
      }
      const rows = await this.session.all(this.groupSql, [arrayLiteral(group.map((read) => read.resourceType)), arrayLiteral(group.map((read) => read.id))]);
      const byKey = new Map<string, Row>();
      for (const row of rows) byKey.set(`${row.type as string}/${row.id as string}`, row);
      for (const read of group) read.resolve(byKey.get(read.key));
    } catch (error) {
      for (const read of group) read.reject(error);
    }
  }
}
