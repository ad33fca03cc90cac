// parseSearch: R4 search.html#errors, #modifiers, #combining, #chaining, #has, #composite, #sort, #count,
// #include, #revinclude, #summary, #elements, #contained, #total.
import t, { type Test } from 'tap';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { parseSearch, type ParseOptions } from '../../src/search/parse.js';
import { FhirError } from '../../src/fhir/errors.js';
import type { Condition } from '../../src/search/ir.js';

const defs = await loadDefinitions();
const registry = createSearchParameterRegistry(defs);
const NOW = Date.parse('2025-01-01T00:00:00Z');
const options: ParseOptions = { lenient: false, defaultCount: 20, maxCount: 100, defs, now: () => NOW, baseUrls: ['http://h.example/fhir'] };
const parse = (type: string | null, query: Record<string, string[]>, extra: Partial<ParseOptions> = {}) =>
  parseSearch(type, query, registry, { ...options, ...extra });
const where = async (type: string | null, query: Record<string, string[]>) => (await parse(type, query)).query.where;

async function rejects(t: Test, type: string | null, query: Record<string, string[]>, code: string, message: RegExp) {
  try {
    await parse(type, query);
    t.fail(`expected ${code} for ${JSON.stringify(query)}`);
  } catch (error) {
    t.ok(error instanceof FhirError, 'a FhirError');
    t.equal((error as FhirError).code, code, `${JSON.stringify(query)} -> ${code}`);
    t.match((error as FhirError).message, message);
  }
}

t.test('R4 search.html#errors: unknown parameters, modifiers and values are named', async (t) => {
  const cases: [string, Record<string, string[]>, string, RegExp][] = [
    ['Patient', { nmae: ['x'] }, 'unknown-search-parameter', /"nmae"/],
    ['Patient', { 'name:below': ['x'] }, 'unsupported-modifier', /":below".*string parameter "name"/],
    ['Patient', { 'birthdate:exact': ['2020'] }, 'unsupported-modifier', /":exact".*"birthdate"/],
    ['Patient', { 'gender:Patient': ['x'] }, 'unsupported-modifier', /":Patient".*"gender"/],
    ['Patient', { birthdate: ['2020-13-01'] }, 'invalid-search-value', /"2020-13-01".*"birthdate"/],
    ['Patient', { birthdate: ['zz2020'] }, 'invalid-search-value', /unknown prefix "zz"/],
    ['RiskAssessment', { probability: ['abc'] }, 'invalid-search-value', /"probability"/],
    ['Patient', { 'name:missing': ['maybe'] }, 'invalid-search-value', /"name:missing"/],
    ['Patient', { _count: ['-1'] }, 'invalid-count', /non-negative integer/],
    ['Patient', { _count: ['ten'] }, 'invalid-count', /"ten"/],
    ['Patient', { _sort: ['nmae'] }, 'invalid-sort', /"nmae"/],
    ['Patient', { _text: ['x'] }, 'invalid-search-parameter', /"_text" is not supported/],
    ['Observation', { 'subject.nmae': ['x'] }, 'unknown-search-parameter', /subject\.nmae/],
    ['Observation', { 'code.name': ['x'] }, 'invalid-search-parameter', /cannot be chained/],
    ['Patient', { '_has:Observation:nope:code': ['x'] }, 'unknown-search-parameter', /"nope"/],
    ['Patient', { _include: ['Patient:nope'] }, 'unknown-search-parameter', /"nope"/],
    ['Observation', { 'component-code-value-quantity': ['http://loinc.org|8480-6'] }, 'invalid-search-value', /2 parts/],
    ['Observation', { 'code:below': ['http://snomed.info/sct|123'] }, 'invalid-search-value', /not loaded/],
    ['Observation', { 'code:in': ['http://example.org/unknown-vs'] }, 'invalid-search-value', /not known/],
  ];
  for (const [type, query, code, message] of cases) await rejects(t, type, query, code, message);
});

t.test('R4 search.html#errors: Prefer handling=lenient ignores unknown and unsupported parameters and lists them', async (t) => {
  // unknown (nmae), known but not supported (_text), a modifier the parameter type does not take (family:bogus)
  const parsed = await parse('Patient', { nmae: ['x'], _text: ['y'], 'family:bogus': ['w'], name: ['z'] }, { lenient: true });
  t.same(parsed.ignored, ['nmae', '_text', 'family:bogus']);
  t.equal(parsed.query.where.length, 1);
  t.same(parsed.selfParams, [['name', 'z']]);
  // a bad value of a supported parameter is not what lenient handling ignores
  await t.rejects(parse('Patient', { birthdate: ['not-a-date'] }, { lenient: true }), { code: 'invalid-search-value' });
});

t.test('R4 search.html#combining: comma = OR in one condition, repeat = AND', async (t) => {
  const conditions = await where('Patient', { given: ['a,b'], family: ['x', 'y'] });
  t.equal(conditions.length, 3);
  t.match(conditions[0], { kind: 'param', param: 'given', values: [{ value: 'a' }, { value: 'b' }] });
  t.match(conditions.slice(1), [{ param: 'family', values: [{ value: 'x' }] }, { param: 'family', values: [{ value: 'y' }] }]);
});

t.test('R4 search.html#modifiers: :missing :not :text :of-type :exact :contains and the type modifier', async (t) => {
  const cases: [string, Record<string, string[]>, Condition][] = [
    ['Patient', { 'gender:missing': ['true'] }, { kind: 'missing', param: 'gender', index: 'token', missing: true }],
    ['Patient', { 'gender:not': ['male'] }, { kind: 'not', condition: { kind: 'param', param: 'gender', index: 'token', values: [{ kind: 'token', op: 'eq', code: 'male' }] } }],
    ['Observation', { 'code:text': ['Blood'] }, { kind: 'param', param: 'code', index: 'token', values: [{ kind: 'token', op: 'text', text: 'blood' }] }],
    ['Patient', { 'identifier:of-type': ['http://terminology.hl7.org/CodeSystem/v2-0203|MR|1'] }, { kind: 'param', param: 'identifier:of-type', index: 'token', values: [{ kind: 'token', op: 'eq', system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR|1' }] }],
    ['Patient', { 'name:exact': ['Müller'] }, { kind: 'param', param: 'name', index: 'string', values: [{ kind: 'string', op: 'exact', value: 'Müller' }] }],
    // plain entries, and the url form of versioned canonicals stored as url|version (params/canonical.ts)
    ['ValueSet', { 'url:below': ['http://hl7.org/fhir'] }, { kind: 'or', conditions: [
      { kind: 'param', param: 'url', index: 'uri', values: [{ kind: 'uri', op: 'below', value: 'http://hl7.org/fhir' }] },
      { kind: 'param', param: 'url:url', index: 'uri', values: [{ kind: 'uri', op: 'below', value: 'http://hl7.org/fhir' }] },
    ] }],
    ['Observation', { 'subject:Patient': ['1'] }, { kind: 'param', param: 'subject', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: '1' }] }],
    ['Observation', { 'subject:identifier': ['urn:mrn|7'] }, { kind: 'param', param: 'subject', index: 'reference', values: [{ kind: 'reference', identifier: { system: 'urn:mrn', value: '7' } }] }],
    ['Patient', { _id: ['a,b'] }, { kind: 'id', ids: ['a', 'b'] }],
  ];
  for (const [type, query, expected] of cases) t.same((await where(type, query))[0], expected, JSON.stringify(query));
});

t.test('R4 search.html#token :in / :not-in / :below with loaded terminology', async (t) => {
  const [inVs] = await where('Observation', { 'status:in': ['http://hl7.org/fhir/ValueSet/observation-status'] });
  t.match(inVs, { kind: 'param', param: 'status', values: [{ kind: 'token-set' }] });
  const codes = (inVs as { values: { codes: { system: string | null; code: string }[] }[] }).values[0]!.codes;
  t.ok(codes.some((c) => c.system === 'http://hl7.org/fhir/observation-status' && c.code === 'final'));
  t.ok(codes.some((c) => c.system === null && c.code === 'final'), 'system-less twin for code elements');
  const [notIn] = await where('Observation', { 'status:not-in': ['http://hl7.org/fhir/ValueSet/observation-status'] });
  t.equal(notIn!.kind, 'not');
  const stored = { resourceType: 'ValueSet', url: 'http://example.org/vs', status: 'active', compose: { include: [{ system: 'http://loinc.org', concept: [{ code: '1-1' }] }] } } as const;
  const parsed = await parse('Observation', { 'code:in': ['http://example.org/vs'] }, { resolveValueSet: async (url) => (url === stored.url ? (stored as never) : undefined) });
  t.match(parsed.query.where[0], { values: [{ kind: 'token-set', codes: [{ system: 'http://loinc.org', code: '1-1' }] }] }, 'stored ValueSet');
  const [below] = await where('Condition', { 'clinical-status:below': ['http://terminology.hl7.org/CodeSystem/condition-clinical|active'] });
  const belowCodes = (below as { values: { codes: { code: string }[] }[] }).values[0]!.codes.map((c) => c.code);
  t.ok(belowCodes.includes('active') && belowCodes.includes('recurrence') && belowCodes.includes('relapse'), 'is-a descendants of active');
  t.notOk(belowCodes.includes('inactive'));
});

t.test('R4 search.html#chaining: typed, untyped and multi-level chains', async (t) => {
  t.same(await where('Observation', { 'subject:Patient.name': ['peter'] }), [
    { kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [{ kind: 'param', param: 'name', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'peter' }] }] },
  ]);
  const [deep] = await where('Observation', { 'patient.organization.name': ['acme'] });
  t.match(deep, { kind: 'chain', param: 'patient', targetTypes: ['Patient'], where: [{ kind: 'chain', param: 'organization', targetTypes: ['Organization'], where: [{ param: 'name' }] }] });
  const [ambiguous] = await where('Observation', { 'subject.name': ['x'] });
  t.match(ambiguous, { kind: 'chain', param: 'subject' });
  const targets = (ambiguous as { targetTypes: string[] }).targetTypes;
  t.ok(targets.includes('Patient') && targets.includes('Location'), 'every target having the parameter');
  t.notOk(targets.includes('Device'), 'Device has no "name" parameter');
});

t.test('R4 search.html#has: reverse chains, nested', async (t) => {
  t.same(await where('Patient', { '_has:Observation:patient:code': ['1234'] }), [
    { kind: 'has', sourceType: 'Observation', param: 'patient', where: [{ kind: 'param', param: 'code', index: 'token', values: [{ kind: 'token', op: 'eq', code: '1234' }] }] },
  ]);
  const [nested] = await where('Patient', { '_has:Observation:patient:_has:AuditEvent:entity:agent': ['Practitioner/1'] });
  t.match(nested, { kind: 'has', sourceType: 'Observation', where: [{ kind: 'has', sourceType: 'AuditEvent', param: 'entity' }] });
});

t.test('R4 search.html#composite: components share one element', async (t) => {
  const [composite] = await where('Observation', { 'component-code-value-quantity': ['http://loinc.org|8480-6$gt100,http://loinc.org|8462-4$lt60'] });
  t.match(composite, {
    kind: 'composite', param: 'component-code-value-quantity',
    alternatives: [
      [{ param: 'component-code-value-quantity$0', index: 'token', match: { code: '8480-6' } }, { param: 'component-code-value-quantity$1', index: 'quantity', match: { prefix: 'gt', value: 100 } }],
      [{ match: { code: '8462-4' } }, { match: { prefix: 'lt', value: 60 } }],
    ],
  });
});

t.test('R4 search.html#prefix: ap widens to whole milliseconds (_lastUpdated is compared with an integer column)', async (t) => {
  for (const [name, raw] of [['_lastUpdated', 'ap2026-12'], ['_lastUpdated', 'ap2023-05-17T10:00:00.123+02:00'], ['birthdate', 'ap1987']] as const) {
    const [condition] = await where('Patient', { [name]: [raw] });
    const range = (condition!.kind === 'param' ? condition.values[0] : condition) as unknown as { low: number; high: number };
    t.ok(Number.isInteger(range.low) && Number.isInteger(range.high), `${name}=${raw}: [${range.low}, ${range.high}]`);
  }
});

t.test('R4 search.html#date via _lastUpdated and system-level _type', async (t) => {
  const parsed = await parse(null, { _type: ['Patient,Observation'], _lastUpdated: ['ge2024-01-01,lt2020'] });
  t.same(parsed.query.types, ['Patient', 'Observation']);
  t.match(parsed.query.where[0], { kind: 'or', conditions: [{ kind: 'lastUpdated', prefix: 'ge' }, { kind: 'lastUpdated', prefix: 'lt' }] });
  await rejects(t, null, { _type: ['Nope'] }, 'invalid-parameter', /Nope/);
  await rejects(t, null, { gender: ['male'] }, 'unknown-search-parameter', /"gender".*system-level/);
});

t.test('R4 search.html#sort #count #total #summary #elements #include #revinclude #contained', async (t) => {
  const parsed = await parse('Observation', {
    _sort: ['-date,_id,code'], _count: ['500'], _total: ['none'], _elements: ['code,status'],
    _include: ['Observation:subject:Patient', 'Observation:*'], '_include:iterate': ['Patient:organization'],
    _revinclude: ['Provenance:target'], _contained: ['both'], _containedType: ['contained'], _format: ['json'],
  });
  t.same(parsed.query.sort, [{ param: 'date', descending: true }, { param: '_id', descending: false }, { param: 'code', descending: false }]);
  t.equal(parsed.query.count, 100, '_count is clamped to maxCount');
  t.same(parsed.countLimited, { requested: 500, max: 100 }, 'and the clamp is reported');
  t.equal(parsed.query.total, 'none');
  t.same(parsed.elements, ['code', 'status']);
  t.same(parsed.includes, [
    { sourceType: 'Observation', param: 'subject', targetType: 'Patient', iterate: false },
    { sourceType: 'Observation', param: '*', iterate: false },
    { sourceType: 'Patient', param: 'organization', iterate: true },
  ]);
  t.same(parsed.revIncludes, [{ sourceType: 'Provenance', param: 'target', iterate: false }]);
  t.equal(parsed.contained, 'both');
  t.equal(parsed.containedType, 'contained');
  t.notOk(parsed.selfParams.some(([k]) => k === '_format'), '_format is left to the caller');
  const count = await parse('Patient', { _summary: ['count'] });
  t.equal(count.summary, 'count');
  t.equal(count.query.count, 0);
  await rejects(t, 'Patient', { _summary: ['maybe'] }, 'invalid-parameter', /_summary/);
  await rejects(t, 'Patient', { _sort: ['-'] }, 'invalid-sort', /empty/);
});
