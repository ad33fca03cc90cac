/**
 * Writes seed/demo-hospital.json: the demo hospital as one transaction Bundle of PUTs with fixed ids, so loading
 * it twice changes nothing. Run: npx tsx seed/build-demo-hospital.ts (the JSON is committed; this is how it is made).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { department, healthcareServices, hospital, insurer, locations, practitionerRoles, practitioners, schedules, slots } from './build/organization.js';
import { bookedSlots, clinicalRecords, supplies } from './build/clinical.js';

const BASE = 'http://riverside-general.example.org/fhir';

const resources = [
  hospital, ...Object.values(department), insurer,
  ...Object.values(locations),
  ...Object.values(practitioners), ...Object.values(healthcareServices), ...practitionerRoles,
  ...schedules, ...slots(bookedSlots),
  ...clinicalRecords(),
  ...supplies,
];

const bundle = {
  resourceType: 'Bundle',
  id: 'demo-hospital',
  type: 'transaction',
  entry: resources.map((resource) => ({
    fullUrl: `${BASE}/${resource.resourceType}/${resource.id}`,
    resource,
    request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
  })),
};

const target = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-hospital.json');
fs.writeFileSync(target, JSON.stringify(bundle, null, 2) + '\n');
process.stdout.write(`${target}: ${bundle.entry.length} resources\n`);
