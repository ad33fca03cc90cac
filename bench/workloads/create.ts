/** create (R4 http.html#create): POST [base]/Patient with a typical Patient; the created ids feed read-by-id. */
import { runLoad } from '../lib/load.js';
import type { Workload } from './workload.js';

export const createPatient: Workload = {
  name: 'create',
  description: 'POST /Patient (validate, index, write a version)',
  async measure(context, connections) {
    return [await runLoad(this.name, {
      url: `${context.fhirBase}/Patient`,
      method: 'POST',
      connections,
      duration: context.durationSeconds,
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
      body: JSON.stringify(context.patient),
    })];
  },
};
