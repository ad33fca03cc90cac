/**
 * Test support (not a test): the claim protocol of the JobStore (src/storage/job-port.ts), run against
 * every engine with two stores over one database, as two server nodes would be. Each case gets fresh job
 * ids, so the cases share one database.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { JobLease, JobRecord, JobStore } from '../../src/storage/job-port.js';

export interface TwoNodes {
  first: JobStore;
  second: JobStore;
}

/** long enough that a slow machine renews in time, short enough for the tests to wait it out */
export const LEASE_MS = 400;
const outlive = () => new Promise((resolve) => setTimeout(resolve, LEASE_MS + 150));
const leaseOf = (record: JobRecord, owner: string): JobLease => ({ id: record.id, owner, fence: record.fence });

/** a kind of its own per case, so claimNext only ever sees the case's jobs */
const freshKind = (name: string) => `test-${name}-${randomUUID().slice(0, 8)}`;

export function jobStoreProtocol(t: Test, nodes: TwoNodes): void {
  const { first, second } = nodes;

  t.test('a created job is queued, listed, and unleased', async (t) => {
    const kind = freshKind('create');
    const id = randomUUID();
    await first.create({ id, kind, payload: { step: 0, note: 'ü "quoted" $ok' } });
    const seen = await second.get(id);
    t.match(seen, { id, kind, state: 'queued', fence: 0, leased: false, payload: { step: 0, note: 'ü "quoted" $ok' } });
    t.equal(seen!.owner, undefined);
    t.same((await first.list([kind])).map((job) => job.id), [id]);
    t.equal(await first.get(randomUUID()), undefined, 'an unknown id');
    await t.rejects(first.create({ id, kind, payload: {} }), 'an id is never reused');
  });

  t.test('a job created held by a node runs there: no other node can claim it while the lease lasts', async (t) => {
    const kind = freshKind('held');
    const id = randomUUID();
    const created = await first.create({ id, kind, payload: { step: 0 } }, { owner: 'node-a', leaseMs: LEASE_MS });
    t.match(created, { id, kind, state: 'running', owner: 'node-a', fence: 1, leased: true, payload: { step: 0 } });
    t.equal(await second.claimNext([kind], 'node-b', LEASE_MS), undefined, 'not claimable');
    t.equal(await second.claim(id, 'node-b', LEASE_MS), undefined, 'not by id either');
    t.equal(await first.renew(leaseOf(created, 'node-a'), LEASE_MS, { step: 1 }), true, 'the creator holds the lease');
    await t.rejects(second.create({ id, kind, payload: {} }, { owner: 'node-b', leaseMs: LEASE_MS }), 'the id is taken');
    t.match(await second.get(id), { owner: 'node-a', payload: { step: 1 } }, 'unchanged by the refused create');
  });

  t.test('of two nodes claiming at once, exactly one gets the job', async (t) => {
    const kind = freshKind('race');
    const id = randomUUID();
    await first.create({ id, kind, payload: {} });
    const claims = await Promise.all([first.claimNext([kind], 'node-a', LEASE_MS), second.claimNext([kind], 'node-b', LEASE_MS)]);
    const winners = claims.filter((claim) => claim !== undefined);
    t.equal(winners.length, 1, 'one winner');
    t.match(winners[0], { id, state: 'running', fence: 1, leased: true });
    t.match(await first.get(id), { state: 'running', owner: winners[0]!.owner, leased: true });
    t.equal(await second.claimNext([kind], 'node-c', LEASE_MS), undefined, 'a held job is not claimable');
    t.equal(await second.claim(id, 'node-c', LEASE_MS), undefined, 'not by id either');
  });

  t.test('jobs are claimed oldest first, only of the kinds asked for', async (t) => {
    const kind = freshKind('order');
    const other = freshKind('other');
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await first.create({ id, kind, payload: {} });
    await first.create({ id: randomUUID(), kind: other, payload: {} });
    const order: string[] = [];
    for (let n = 0; n < 3; n++) order.push((await (n % 2 ? first : second).claimNext([kind], `node-${n}`, LEASE_MS))!.id);
    t.same(order, ids);
    t.equal(await first.claimNext([kind], 'node-x', LEASE_MS), undefined, 'none left of that kind');
  });

  t.test('the owner renews and saves; when its lease lapses another node takes over and the old owner is fenced off', async (t) => {
    const kind = freshKind('takeover');
    const id = randomUUID();
    await first.create({ id, kind, payload: { step: 0 } });
    const claimed = (await first.claimNext([kind], 'node-a', LEASE_MS))!;
    const leaseA = leaseOf(claimed, 'node-a');
    t.equal(await first.renew(leaseA, LEASE_MS, { step: 1 }), true, 'renew with a checkpoint');
    t.same((await second.get(id))!.payload, { step: 1 }, 'the checkpoint is visible to every node');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
    t.equal(await first.renew(leaseA, LEASE_MS), true, 'renew without a payload');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2 + 50));
    t.equal(await second.claimNext([kind], 'node-b', LEASE_MS), undefined, 'renewed: still held past the first lease');

    await outlive();
    t.equal((await second.get(id))!.leased, false, 'the lease lapsed');
    const taken = (await second.claimNext([kind], 'node-b', LEASE_MS))!;
    t.match(taken, { id, owner: 'node-b', fence: claimed.fence + 1, payload: { step: 1 } }, 'taken over at the last checkpoint');
    const leaseB = leaseOf(taken, 'node-b');
    t.equal(await first.renew(leaseA, LEASE_MS, { step: 99 }), false, 'the old owner cannot renew');
    t.equal(await first.finish(leaseA, 'completed', { step: 99 }), false, 'nor finish');
    t.equal(await first.release(leaseA), false, 'nor release');
    t.same((await first.get(id))!.payload, { step: 1 }, 'nothing of the old owner was written');
    t.equal(await second.finish(leaseB, 'completed', { step: 2 }), true);
    t.match(await first.get(id), { state: 'completed', leased: false, payload: { step: 2 } });
    t.equal((await first.get(id))!.owner, undefined);
    t.equal(await first.claimNext([kind], 'node-a', LEASE_MS), undefined, 'a completed job is never claimed again');
    t.equal(await first.claim(id, 'node-a', LEASE_MS), undefined, 'not by id either');
  });

  t.test('a fence from the same owner name does not survive a re-claim', async (t) => {
    const kind = freshKind('fence');
    const id = randomUUID();
    await first.create({ id, kind, payload: {} });
    const once = (await first.claimNext([kind], 'node-a', LEASE_MS))!;
    await outlive();
    const again = (await first.claim(id, 'node-a', LEASE_MS))!;
    t.equal(again.fence, once.fence + 1);
    t.equal(await first.renew(leaseOf(once, 'node-a'), LEASE_MS), false, 'the earlier run of the same node is stale');
    t.equal(await first.renew(leaseOf(again, 'node-a'), LEASE_MS), true);
  });

  t.test('a released job keeps its checkpoint and is claimable at once', async (t) => {
    const kind = freshKind('release');
    const id = randomUUID();
    await first.create({ id, kind, payload: { step: 0 } });
    const claimed = (await first.claimNext([kind], 'node-a', 60_000))!;
    t.equal(await first.renew(leaseOf(claimed, 'node-a'), 60_000, { step: 5 }), true, 'a checkpoint');
    t.equal(await first.release(leaseOf(claimed, 'node-a')), true);
    t.match(await second.get(id), { state: 'running', leased: false, payload: { step: 5 } }, 'still running, nobody holds it');
    t.match(await second.claimNext([kind], 'node-b', LEASE_MS), { id, owner: 'node-b', payload: { step: 5 } }, 'no lease to wait out');
  });

  t.test('cancel: the owner loses the job at its next renew; the job is no longer listed', async (t) => {
    const kind = freshKind('cancel');
    const running = randomUUID();
    const queued = randomUUID();
    await first.create({ id: running, kind, payload: {} });
    await first.create({ id: queued, kind, payload: {} });
    const claimed = (await first.claimNext([kind], 'node-a', LEASE_MS))!;
    t.equal(await second.cancel(running), true, 'a running job');
    t.equal(await second.cancel(queued), true, 'a queued job');
    t.equal(await first.renew(leaseOf(claimed, 'node-a'), LEASE_MS, { step: 1 }), false, 'the owner is told at its next renew');
    t.match(await first.get(running), { state: 'cancelled', leased: false });
    t.same(await first.list([kind]), [], 'cancelled jobs are not listed');
    t.equal(await second.cancel(running), false, 'a second cancel finds nothing to cancel');
    t.equal(await second.cancel(randomUUID()), false, 'an unknown job');
    t.equal(await first.claimNext([kind], 'node-a', LEASE_MS), undefined, 'a cancelled job is never claimed');
  });

  t.test('a failed job is retried only when claimed by id', async (t) => {
    const kind = freshKind('retry');
    const id = randomUUID();
    await first.create({ id, kind, payload: {} });
    const claimed = (await first.claimNext([kind], 'node-a', LEASE_MS))!;
    t.equal(await first.finish(leaseOf(claimed, 'node-a'), 'failed', { error: 'disk full' }), true);
    t.equal(await second.claimNext([kind], 'node-b', LEASE_MS), undefined, 'not picked up by a poller');
    t.match(await second.claim(id, 'node-b', LEASE_MS), { id, state: 'running', owner: 'node-b', payload: { error: 'disk full' } });
  });
}
