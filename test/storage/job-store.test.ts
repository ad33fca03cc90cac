/**
 * The job claim protocol (docs/scale-out.md "Background jobs") on each engine, two stores over one
 * database standing for two server nodes: SQLite (two connections to one file), PostgreSQL when
 * FHIR_TEST_POSTGRES_URL is set (a fresh schema, dropped at the end), and MongoDB's filters and update
 * pipelines evaluated by mingo over a shared in-memory collection (no mongod exists here), and against a real
 * MongoDB replica set only when MONGODB_URL is set (a fresh database, dropped at the end; not run in CI).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { aggregate, find } from 'mingo';
import { MongoClient, type Document } from 'mongodb';
import pg from 'pg';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import { MongoJobStore, type JobCollection, type JobDocument } from '../../src/storage/mongo/jobs.js';
import { jobStoreProtocol } from './job-store-cases.js';

t.test('SQLite: two stores over one file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-jobs-'));
  const file = path.join(dir, 'fhir.sqlite');
  const first = await createStore({ store: `sqlite:${file}`, dataDir: dir });
  const second = await createStore({ store: `sqlite:${file}`, dataDir: dir });
  t.teardown(async () => {
    await first.close();
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  jobStoreProtocol(t, { first: first.jobs, second: second.jobs });
});

t.test('SQLite: a schema version 3 database written before jobs lived in the database opens and gains the table', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-jobs-v3-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'fhir.sqlite');
  await (await createStore({ store: `sqlite:${file}`, dataDir: dir })).close();
  const raw = new Database(file);
  raw.exec('DROP TABLE fhir_jobs');
  // nor had reference rows a source_type (schema version 5)
  raw.exec('DROP INDEX idx_reference_lookup0_v5');
  raw.exec('ALTER TABLE idx_reference DROP COLUMN source_type');
  raw.exec('UPDATE fhir_schema_version SET version = 3');
  raw.close();
  const reopened = await createStore({ store: `sqlite:${file}`, dataDir: dir });
  t.teardown(() => reopened.close());
  await reopened.jobs.create({ id: 'j1', kind: 'export', payload: { a: 1 } });
  t.match(await reopened.jobs.get('j1'), { state: 'queued', payload: { a: 1 } });
});

const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
if (!postgresUrl) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL job store tests did NOT run');
} else {
  t.test('PostgreSQL: two pools over one schema', async (t) => {
    const schema = `jobs_${process.pid}_${Date.now().toString(36)}`;
    const parsed = new URL(postgresUrl);
    parsed.searchParams.set('schema', schema);
    const first = await createStore({ store: parsed.toString(), dataDir: '/nonexistent' });
    const second = await createStore({ store: parsed.toString(), dataDir: '/nonexistent' });
    t.teardown(async () => {
      await first.close();
      await second.close();
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });
    jobStoreProtocol(t, { first: first.jobs, second: second.jobs });
  });
}

/**
 * A collection double: filters and sorts evaluated by mingo's query engine, update pipelines by its
 * aggregation engine, each call atomic (no await between finding a document and replacing it), as one
 * findOneAndUpdate is on a MongoDB server. An upsert that matches nothing inserts the filter's equality
 * fields updated by the pipeline, and fails on a duplicate _id, as the server does.
 */
function mingoJobCollection(documents: Document[]): JobCollection {
  const replace = (filter: Document, update: Document[], sort?: Document, upsert = false): Document | null => {
    let cursor = find(documents, filter);
    if (sort) cursor = cursor.sort(sort);
    const [match] = cursor.limit(1).all() as Document[];
    if (!match) {
      if (!upsert) return null;
      const seeded = Object.fromEntries(Object.entries(filter).filter(([key, value]) => !key.startsWith('$') && (typeof value !== 'object' || value === null)));
      if (documents.some((existing) => existing._id === seeded._id)) throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
      const inserted = aggregate([seeded], update)[0] as Document;
      documents.push(inserted);
      return inserted;
    }
    const updated = aggregate([match], update)[0] as Document;
    documents[documents.findIndex((doc) => doc._id === match._id)] = updated;
    return updated;
  };
  return {
    async findOneAndUpdate(filter, update, options) {
      return replace(filter, update, options.sort, options.upsert) as JobDocument | null;
    },
    async updateOne(filter, update) {
      return { matchedCount: replace(filter, update) ? 1 : 0 };
    },
    aggregate(pipeline) {
      return { toArray: async () => aggregate(documents, pipeline) as Document[] };
    },
  };
}

t.test('MongoDB (mingo): two stores over one collection', async (t) => {
  const documents: Document[] = [];
  const collection = mingoJobCollection(documents);
  jobStoreProtocol(t, { first: new MongoJobStore(collection), second: new MongoJobStore(collection) });
});

const mongoUrl = process.env.MONGODB_URL;
if (!mongoUrl) {
  t.comment('MONGODB_URL is not set: the job store protocol did NOT run against a real MongoDB server (only under mingo)');
} else {
  t.test('MongoDB (real server): two clients over one database', async (t) => {
    const database = `jobs_${process.pid}_${Date.now().toString(36)}`;
    const match = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(mongoUrl);
    if (!match) throw new Error(`MONGODB_URL is not a mongodb:// URL: ${mongoUrl}`);
    const url = `${match[1]}/${database}${match[2] ?? ''}`;
    const first = await createStore({ store: url, dataDir: '/nonexistent' });
    const second = await createStore({ store: url, dataDir: '/nonexistent' });
    t.teardown(async () => {
      await first.close();
      await second.close();
      const client = new MongoClient(mongoUrl);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    });
    jobStoreProtocol(t, { first: first.jobs, second: second.jobs });
  });
}
