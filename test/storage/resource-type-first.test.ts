// PostgreSQL handed content back as JSONB text (versions stored before schema 4), whose keys are ordered by length: resourceTypeFirst
// (src/storage/sql/rows.ts) moves the top-level resourceType member to the front, as FHIR JSON shows it (R4 json.html),
// without parsing. Nested resourceType members (contained resources, Bundle entries) stay where they are.
import t from 'tap';
import { resourceTypeFirst } from '../../src/storage/sql/rows.js';

const cases: { name: string; jsonb: string; expected: string }[] = [
  { name: 'a member in the middle', jsonb: '{"id": "p1", "meta": {"versionId": "1"}, "resourceType": "Patient", "birthDate": "1970"}', expected: '{"resourceType": "Patient", "id": "p1", "meta": {"versionId": "1"}, "birthDate": "1970"}' },
  { name: 'the last member', jsonb: '{"id": "p1", "resourceType": "Patient"}', expected: '{"resourceType": "Patient", "id": "p1"}' },
  { name: 'the only member', jsonb: '{"resourceType": "Patient"}', expected: '{"resourceType": "Patient"}' },
  { name: 'already first', jsonb: '{"resourceType": "Patient", "id": "p1"}', expected: '{"resourceType": "Patient", "id": "p1"}' },
  // text stored since schema 4 is the JSON as written, resourceType first
  { name: 'compact text as written', jsonb: '{"resourceType":"Patient","id":"p1","contained":[{"resourceType":"Basic"}]}', expected: '{"resourceType":"Patient","id":"p1","contained":[{"resourceType":"Basic"}]}' },
  {
    name: 'a contained resource of the same type earlier in the text is left alone',
    jsonb: '{"id": "o1", "contained": [{"id": "c", "resourceType": "Observation"}], "resourceType": "Observation", "status": "final"}',
    expected: '{"resourceType": "Observation", "id": "o1", "contained": [{"id": "c", "resourceType": "Observation"}], "status": "final"}',
  },
  {
    name: 'strings holding quotes, backslashes, braces and the key itself are skipped whole',
    jsonb: '{"id": "x", "text": {"div": "<div>\\\\\\" } ] { \\"resourceType\\": \\"Fake\\"</div>"}, "resourceType": "Basic"}',
    expected: '{"resourceType": "Basic", "id": "x", "text": {"div": "<div>\\\\\\" } ] { \\"resourceType\\": \\"Fake\\"</div>"}}',
  },
  { name: 'no top-level resourceType: unchanged', jsonb: '{"id": "x", "item": {"resourceType": "Patient"}}', expected: '{"id": "x", "item": {"resourceType": "Patient"}}' },
];

for (const { name, jsonb, expected } of cases) {
  t.test(name, async (t) => {
    const moved = resourceTypeFirst(jsonb);
    t.equal(moved, expected);
    t.same(JSON.parse(moved), JSON.parse(jsonb), 'the same JSON value');
  });
}

t.test('a resourceType member after the top-level one, nested deeper, is not taken for it', async (t) => {
  // not a layout JSONB writes for FHIR resources (members holding resources have short keys), but never misread
  const jsonb = '{"id": "x", "resourceType": "Parameters", "zzzzzzzzzzzzzzzzzz": [{"resourceType": "Patient"}]}';
  t.equal(resourceTypeFirst(jsonb), '{"resourceType": "Parameters", "id": "x", "zzzzzzzzzzzzzzzzzz": [{"resourceType": "Patient"}]}');
});
