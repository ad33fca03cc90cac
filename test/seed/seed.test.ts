import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readDemoHospital, seedDemoHospital, HOSPITAL_ORGANIZATION_ID } from '../../src/cli/seed.js';
import { loadConfig } from '../../src/config.js';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createValidator } from '../../src/fhir/validation.js';
import type { Resource } from '../../src/fhir/types.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { createStore } from '../../src/storage/create-store.js';

const bundle = readDemoHospital();
const entries = bundle.entry ?? [];
const resources = entries.map((entry) => entry.resource as Resource);

t.test('one transaction Bundle of PUTs with fixed ids (R4 http.html#transaction, idempotent)', async (t) => {
  t.equal(bundle.type, 'transaction');
  for (const entry of entries) {
    const resource = entry.resource as Resource;
    t.same(entry.request, { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }, `${resource.resourceType}/${resource.id}`);
  }
  const keys = resources.map((resource) => `${resource.resourceType}/${resource.id}`);
  t.equal(new Set(keys).size, keys.length, 'no resource appears twice');
});

t.test('every seed resource passes the validator', async (t) => {
  const validator = createValidator();
  for (const resource of resources) {
    t.same(validator.validate(resource), [], `${resource.resourceType}/${resource.id}`);
  }
  t.same(validator.validate(bundle as unknown as Resource), [], 'the Bundle itself');
});

t.test('every reference resolves inside the bundle (R4 references.html)', async (t) => {
  const present = new Set(resources.map((resource) => `${resource.resourceType}/${resource.id}`));
  const references: string[] = [];
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'reference' && typeof value === 'string') references.push(value);
        else collect(value);
      }
    }
  };
  resources.forEach(collect);
  t.ok(references.length > 300, `${references.length} references`);
  t.same(references.filter((reference) => !present.has(reference)), [], 'unresolved references');
});

t.test('the demo hospital has what DESIGN.md and the issue list', async (t) => {
  const count = (type: string) => resources.filter((resource) => resource.resourceType === type).length;
  const departments = resources.filter((resource) => resource.resourceType === 'Organization' && resource.partOf);
  t.same(departments.map((d) => d.id).sort(), ['dept-cardiology', 'dept-emergency', 'dept-laboratory', 'dept-pharmacy', 'dept-radiology']);
  t.equal(count('Practitioner'), 6);
  t.equal(count('PractitionerRole'), 6);
  t.equal(count('Patient'), 5);
  t.equal(count('Slot'), 60, 'a week of morning slots for two cardiologists');
  for (const type of ['Location', 'HealthcareService', 'Schedule', 'Appointment', 'Encounter', 'Condition', 'AllergyIntolerance', 'Observation',
    'DiagnosticReport', 'MedicationRequest', 'MedicationDispense', 'Coverage', 'Account', 'ChargeItem', 'Invoice', 'SupplyRequest', 'SupplyDelivery']) {
    t.ok(count(type) > 0, type);
  }
  const bloodPressure = resources.find((resource) => resource.id === 'obs-bp-pat-alice-johnson') as { component?: unknown[] } | undefined;
  t.equal(bloodPressure?.component?.length, 2, 'blood pressure has systolic and diastolic components');
});

t.test('seeding through the transaction interaction loads once, then skips', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-test-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ FHIR_DATA_DIR: dataDir, FHIR_STORE: 'sqlite', FHIR_PORT: '0' });
  const definitions = await loadDefinitions();
  const store = await createStore(config);
  t.teardown(() => store.close());
  const ctx: ServerContext = {
    config, store, definitions,
    searchParameters: createSearchParameterRegistry(definitions),
    validator: createValidator(definitions),
    now: () => new Date(),
  };
  const messages: string[] = [];
  const log = { info: (message: string) => void messages.push(message) };

  t.same(await seedDemoHospital(ctx, log), { loaded: entries.length });
  const hospital = await store.read('Organization', HOSPITAL_ORGANIZATION_ID);
  t.equal(hospital?.versionId, 1);
  const slot = await store.read('Slot', 'slot-dr-marsh-2024-06-03-0900');
  t.equal((slot?.resource as { status?: string } | undefined)?.status, 'busy');

  t.same(await seedDemoHospital(ctx, log), { skipped: true });
  t.equal((await store.read('Organization', HOSPITAL_ORGANIZATION_ID))?.versionId, 1, 'nothing written the second time');
  t.match(messages, [/loaded: \d+ resources/, /already present/]);
});
