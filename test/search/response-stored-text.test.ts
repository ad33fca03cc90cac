// Search pages send the stored JSON text of their resources (src/response/raw-json.ts): the bytes must be what
// JSON.stringify of the parsed Bundle gives, the text must not be parsed when nobody reads it, and a resource a
// caller read (and may have changed) is written as it now is.
import t from 'tap';
import { searchEntry, searchsetBundle, storedSearchEntry } from '../../src/response/bundle.js';
import { serializeBody } from '../../src/response/raw-json.js';
import type { Resource } from '../../src/fhir/types.js';
import type { StoredVersion } from '../../src/storage/port.js';

const BASE = 'http://example.org/fhir';

function storedVersion(resource: Resource): StoredVersion & { json: string; parses: () => number } {
  const json = JSON.stringify(resource);
  let parses = 0;
  let parsed: Resource | undefined;
  const version = {
    resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated: '2024-01-01T00:00:00.000Z',
    deleted: false, method: 'POST' as const, json, parses: () => parses,
  };
  Object.defineProperty(version, 'resource', { enumerable: true, get: () => (parsed ??= (parses++, JSON.parse(json) as Resource)) });
  return version as typeof version & StoredVersion;
}

const patient = { resourceType: 'Patient', id: 'p1', meta: { versionId: '1' }, name: [{ family: 'Ünïcødé "quoted"', given: ['A'] }], active: true };
const observation = { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, valueQuantity: { value: 1.5e-7 } };

t.test('the stored text is written unparsed, byte for byte what JSON.stringify of the parsed Bundle gives', async (t) => {
  const versions = [storedVersion(patient), storedVersion(observation)];
  const included = { resourceType: 'Organization', id: 'org1', name: 'Org' };
  const bundle = searchsetBundle({
    total: 2,
    links: [{ relation: 'self', url: `${BASE}/Patient?x=1` }],
    entries: [...versions.map((version) => storedSearchEntry(BASE, version, 'match')), searchEntry(BASE, included, 'include')],
    now: new Date(0),
  });
  const sent = serializeBody(bundle);
  t.equal(versions[0]!.parses() + versions[1]!.parses(), 0, 'nothing parsed to serialise');
  t.equal(sent, JSON.stringify({
    resourceType: 'Bundle', type: 'searchset', meta: { lastUpdated: new Date(0).toISOString() }, total: 2,
    link: [{ relation: 'self', url: `${BASE}/Patient?x=1` }],
    entry: [
      { fullUrl: `${BASE}/Patient/p1`, resource: patient, search: { mode: 'match' } },
      { fullUrl: `${BASE}/Observation/o1`, resource: observation, search: { mode: 'match' } },
      { fullUrl: `${BASE}/Organization/org1`, resource: included, search: { mode: 'include' } },
    ],
  }));
  t.equal(JSON.stringify(bundle), sent, 'plain JSON.stringify of the body agrees (in-process callers)');
  t.equal(serializeBody(bundle, true), JSON.stringify(JSON.parse(sent), null, 2), '_pretty');
});

t.test('a resource read in process is an ordinary object, and a change to it is what gets written', async (t) => {
  const version = storedVersion(patient);
  const bundle = searchsetBundle({ total: 1, links: [], entries: [storedSearchEntry(BASE, version, 'match')], now: new Date(0) });
  const resource = bundle.entry![0]!.resource as unknown as Resource;
  t.same(resource, patient);
  resource.active = false;
  t.match(serializeBody(bundle), /"active":false/);
  bundle.entry![0]!.resource = { resourceType: 'Patient', id: 'p2' } as never;
  t.match(serializeBody(bundle), /"resource":\{"resourceType":"Patient","id":"p2"\}/);
});
