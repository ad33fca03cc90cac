/** Patients and what happens to them: encounters, findings, medication, billing, appointments and supplies. */
import { LABORATORY, ORAL, SYSTEM, VITALS, concept, coding } from './codes.js';
import { department, hospital, insurer, locations, practitioners, refTo, slotId } from './organization.js';

type Resource = { resourceType: string; id: string; [key: string]: unknown };
const quantity = (value: number, unit: string, code = unit) => ({ value, unit, system: SYSTEM.ucum, code });
const usd = (value: number) => ({ value, currency: 'USD' });

interface PatientSpec {
  id: string; family: string; given: string[]; gender: string; birthDate: string; phone: string;
  encounter: { class: [string, string]; status: string; start: string; end?: string; practitioner: string; location: Resource; serviceProvider: Resource; reason: [string, string] };
  condition: [string, string];
  allergy: [string, string, string];
  medication: [string, string, string];
  vitals: { heartRate: number; systolic: number; diastolic: number; weightKg: number };
  labs: { glucose: number; hemoglobin: number };
}

const PATIENTS: PatientSpec[] = [
  { id: 'pat-alice-johnson', family: 'Johnson', given: ['Alice', 'Marie'], gender: 'female', birthDate: '1958-04-12', phone: '+1-217-555-0141',
    encounter: { class: ['AMB', 'ambulatory'], status: 'finished', start: '2024-06-03T09:00:00-05:00', end: '2024-06-03T09:30:00-05:00', practitioner: 'dr-marsh', location: locations.clinicC310!, serviceProvider: department.cardiology, reason: ['38341003', 'Hypertensive disorder, systemic arterial'] },
    condition: ['38341003', 'Hypertensive disorder, systemic arterial'], allergy: ['764146007', 'Penicillin', 'medication'],
    medication: ['314076', 'lisinopril 10 MG Oral Tablet', 'Take one tablet by mouth once daily'],
    vitals: { heartRate: 78, systolic: 148, diastolic: 92, weightKg: 71.4 }, labs: { glucose: 98, hemoglobin: 13.1 } },
  { id: 'pat-robert-chen', family: 'Chen', given: ['Robert'], gender: 'male', birthDate: '1971-11-30', phone: '+1-217-555-0162',
    encounter: { class: ['AMB', 'ambulatory'], status: 'finished', start: '2024-06-04T10:00:00-05:00', end: '2024-06-04T10:30:00-05:00', practitioner: 'dr-okafor', location: locations.clinicC310!, serviceProvider: department.cardiology, reason: ['44054006', 'Diabetes mellitus type 2'] },
    condition: ['44054006', 'Diabetes mellitus type 2'], allergy: ['256349002', 'Peanut', 'food'],
    medication: ['861007', 'metformin hydrochloride 500 MG Oral Tablet', 'Take one tablet by mouth twice daily with meals'],
    vitals: { heartRate: 84, systolic: 132, diastolic: 84, weightKg: 92.8 }, labs: { glucose: 162, hemoglobin: 14.6 } },
  { id: 'pat-maria-garcia', family: 'Garcia', given: ['Maria', 'Elena'], gender: 'female', birthDate: '1949-02-07', phone: '+1-217-555-0183',
    encounter: { class: ['IMP', 'inpatient encounter'], status: 'in-progress', start: '2024-06-05T14:20:00-05:00', practitioner: 'dr-marsh', location: locations.bedC301A!, serviceProvider: department.cardiology, reason: ['49436004', 'Atrial fibrillation'] },
    condition: ['49436004', 'Atrial fibrillation'], allergy: ['387207008', 'Ibuprofen', 'medication'],
    medication: ['1364445', 'apixaban 5 MG Oral Tablet', 'Take one tablet by mouth twice daily'],
    vitals: { heartRate: 118, systolic: 126, diastolic: 78, weightKg: 64.2 }, labs: { glucose: 104, hemoglobin: 12.2 } },
  { id: 'pat-james-wilson', family: 'Wilson', given: ['James'], gender: 'male', birthDate: '1987-08-21', phone: '+1-217-555-0124',
    encounter: { class: ['EMER', 'emergency'], status: 'finished', start: '2024-06-06T02:15:00-05:00', end: '2024-06-06T07:40:00-05:00', practitioner: 'dr-lindqvist', location: locations.roomE01!, serviceProvider: department.emergency, reason: ['233604007', 'Pneumonia'] },
    condition: ['233604007', 'Pneumonia'], allergy: ['102263004', 'Eggs (edible)', 'food'],
    medication: ['308191', 'amoxicillin 500 MG Oral Capsule', 'Take one capsule by mouth three times daily for 7 days'],
    vitals: { heartRate: 104, systolic: 118, diastolic: 74, weightKg: 80.5 }, labs: { glucose: 112, hemoglobin: 15.1 } },
  { id: 'pat-fatima-rahman', family: 'Rahman', given: ['Fatima'], gender: 'female', birthDate: '1993-05-16', phone: '+1-217-555-0175',
    encounter: { class: ['AMB', 'ambulatory'], status: 'finished', start: '2024-06-07T11:00:00-05:00', end: '2024-06-07T11:30:00-05:00', practitioner: 'dr-okafor', location: locations.clinicC310!, serviceProvider: department.cardiology, reason: ['271737000', 'Anemia'] },
    condition: ['271737000', 'Anemia'], allergy: ['764146007', 'Penicillin', 'medication'],
    medication: ['310325', 'ferrous sulfate 325 MG Oral Tablet', 'Take one tablet by mouth once daily'],
    vitals: { heartRate: 92, systolic: 108, diastolic: 68, weightKg: 58.9 }, labs: { glucose: 88, hemoglobin: 9.4 } },
];

/** Outpatient visits that were booked through the cardiology schedules. */
export const bookedSlots = new Set(PATIENTS
  .filter((spec) => spec.encounter.class[0] === 'AMB')
  .map((spec) => slotId(spec.encounter.practitioner, spec.encounter.start.slice(0, 10), spec.encounter.start.slice(11, 16))));

function observation(id: string, spec: PatientSpec, category: object, code: [string, string], effective: string, value: object): Resource {
  return {
    resourceType: 'Observation', id, status: 'final', category: [category], code: concept(SYSTEM.loinc, code[0], code[1]),
    subject: { reference: `Patient/${spec.id}` }, encounter: { reference: `Encounter/enc-${spec.id}` }, effectiveDateTime: effective, ...value,
  };
}

function patientRecord(spec: PatientSpec): Resource[] {
  const subject = { reference: `Patient/${spec.id}`, display: `${spec.given[0]} ${spec.family}` };
  const encounter = { reference: `Encounter/enc-${spec.id}` };
  const clinician = refTo(practitioners[spec.encounter.practitioner]!);
  const seen = spec.encounter.start;
  const labTime = seen.replace(/T\d\d:\d\d/, (t) => `T${String(Number(t.slice(1, 3)) + 1).padStart(2, '0')}${t.slice(3)}`);
  const { heartRate, systolic, diastolic, weightKg } = spec.vitals;
  const outpatient = spec.encounter.class[0] === 'AMB';
  const resources: Resource[] = [
    {
      resourceType: 'Patient', id: spec.id, active: true,
      identifier: [{ use: 'usual', type: concept(SYSTEM.identifierType, 'MR', 'Medical record number'), system: SYSTEM.mrn, value: `MRN-${spec.birthDate.replace(/-/g, '')}` }],
      name: [{ use: 'official', family: spec.family, given: spec.given }],
      telecom: [{ system: 'phone', value: spec.phone, use: 'mobile' }],
      gender: spec.gender, birthDate: spec.birthDate,
      address: [{ use: 'home', line: [`${100 + spec.phone.length * 7} Maple Avenue`], city: 'Springfield', state: 'IL', postalCode: '62704', country: 'US' }],
      generalPractitioner: [clinician], managingOrganization: refTo(hospital),
    },
    {
      resourceType: 'Encounter', id: `enc-${spec.id}`, status: spec.encounter.status,
      class: coding(SYSTEM.actCode, spec.encounter.class[0], spec.encounter.class[1]),
      subject, participant: [{ individual: clinician }],
      ...(outpatient ? { appointment: [{ reference: `Appointment/appt-${spec.id}` }] } : {}),
      period: { start: seen, ...(spec.encounter.end ? { end: spec.encounter.end } : {}) },
      reasonCode: [concept(SYSTEM.snomed, spec.encounter.reason[0], spec.encounter.reason[1])],
      diagnosis: [{ condition: { reference: `Condition/cond-${spec.id}` }, rank: 1 }],
      location: [{ location: refTo(spec.encounter.location), status: spec.encounter.end ? 'completed' : 'active' }],
      serviceProvider: refTo(spec.encounter.serviceProvider),
    },
    {
      resourceType: 'Condition', id: `cond-${spec.id}`,
      clinicalStatus: concept(SYSTEM.conditionClinical, 'active', 'Active'),
      verificationStatus: concept(SYSTEM.conditionVerification, 'confirmed', 'Confirmed'),
      category: [concept(SYSTEM.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis')],
      code: concept(SYSTEM.snomed, spec.condition[0], spec.condition[1]),
      subject, encounter, onsetDateTime: seen.slice(0, 10), recordedDate: seen, recorder: clinician,
    },
    {
      resourceType: 'AllergyIntolerance', id: `allergy-${spec.id}`,
      clinicalStatus: concept(SYSTEM.allergyClinical, 'active', 'Active'),
      verificationStatus: concept(SYSTEM.allergyVerification, 'confirmed', 'Confirmed'),
      type: 'allergy', category: [spec.allergy[2]], criticality: 'high',
      code: concept(SYSTEM.snomed, spec.allergy[0], spec.allergy[1]), patient: subject, recordedDate: seen, recorder: clinician,
      reaction: [{ manifestation: [concept(SYSTEM.snomed, '271807003', 'Eruption of skin')], severity: 'moderate' }],
    },
    observation(`obs-hr-${spec.id}`, spec, VITALS, ['8867-4', 'Heart rate'], seen, { valueQuantity: quantity(heartRate, '/min') }),
    observation(`obs-bp-${spec.id}`, spec, VITALS, ['85354-9', 'Blood pressure panel with all children optional'], seen, {
      component: [
        { code: concept(SYSTEM.loinc, '8480-6', 'Systolic blood pressure'), valueQuantity: quantity(systolic, 'mmHg', 'mm[Hg]') },
        { code: concept(SYSTEM.loinc, '8462-4', 'Diastolic blood pressure'), valueQuantity: quantity(diastolic, 'mmHg', 'mm[Hg]') },
      ],
    }),
    observation(`obs-weight-${spec.id}`, spec, VITALS, ['29463-7', 'Body weight'], seen, { valueQuantity: quantity(weightKg, 'kg') }),
    observation(`obs-glucose-${spec.id}`, spec, LABORATORY, ['2339-0', 'Glucose [Mass/volume] in Blood'], labTime, {
      valueQuantity: quantity(spec.labs.glucose, 'mg/dL'), referenceRange: [{ low: quantity(70, 'mg/dL'), high: quantity(99, 'mg/dL') }],
      performer: [refTo(practitioners['dr-patel']!)],
    }),
    observation(`obs-hgb-${spec.id}`, spec, LABORATORY, ['718-7', 'Hemoglobin [Mass/volume] in Blood'], labTime, {
      valueQuantity: quantity(spec.labs.hemoglobin, 'g/dL'), referenceRange: [{ low: quantity(12, 'g/dL'), high: quantity(17.5, 'g/dL') }],
      performer: [refTo(practitioners['dr-patel']!)],
    }),
    {
      resourceType: 'DiagnosticReport', id: `report-${spec.id}`, status: 'final',
      category: [concept(SYSTEM.diagnosticService, 'LAB', 'Laboratory')], code: concept(SYSTEM.loinc, '11502-2', 'Laboratory report'),
      subject, encounter, effectiveDateTime: labTime, issued: labTime.replace(/:00(-05:00)$/, ':30$1'),
      performer: [refTo(department.laboratory)], resultsInterpreter: [refTo(practitioners['dr-patel']!)],
      result: [{ reference: `Observation/obs-glucose-${spec.id}` }, { reference: `Observation/obs-hgb-${spec.id}` }],
      conclusion: spec.labs.hemoglobin < 12 ? 'Low hemoglobin, consistent with anemia.' : 'Results reviewed.',
    },
    {
      resourceType: 'MedicationRequest', id: `medrx-${spec.id}`, status: 'active', intent: 'order',
      medicationCodeableConcept: concept(SYSTEM.rxnorm, spec.medication[0], spec.medication[1]),
      subject, encounter, authoredOn: seen, requester: clinician,
      reasonReference: [{ reference: `Condition/cond-${spec.id}` }],
      dosageInstruction: [{ text: spec.medication[2], route: ORAL }],
      dispenseRequest: { numberOfRepeatsAllowed: 2, quantity: quantity(30, 'tablet', '{tbl}'), expectedSupplyDuration: quantity(30, 'days', 'd') },
    },
    {
      resourceType: 'MedicationDispense', id: `meddisp-${spec.id}`, status: 'completed',
      medicationCodeableConcept: concept(SYSTEM.rxnorm, spec.medication[0], spec.medication[1]),
      subject, context: encounter, performer: [{ actor: refTo(practitioners['pharm-nguyen']!) }], location: refTo(locations.pharmacy!),
      authorizingPrescription: [{ reference: `MedicationRequest/medrx-${spec.id}` }],
      quantity: quantity(30, 'tablet', '{tbl}'), daysSupply: quantity(30, 'days', 'd'), whenHandedOver: labTime,
      dosageInstruction: [{ text: spec.medication[2], route: ORAL }],
    },
    {
      resourceType: 'Coverage', id: `coverage-${spec.id}`, status: 'active',
      type: concept(SYSTEM.actCode, 'EHCPOL', 'extended healthcare'),
      subscriberId: `ACME-${spec.birthDate.slice(0, 4)}-${spec.id.length}`, beneficiary: subject,
      identifier: [{ system: SYSTEM.memberId, value: `ACME${spec.birthDate.replace(/-/g, '')}` }],
      relationship: concept('http://terminology.hl7.org/CodeSystem/subscriber-relationship', 'self', 'Self'),
      period: { start: '2024-01-01', end: '2024-12-31' }, payor: [refTo(insurer)],
    },
    {
      resourceType: 'Account', id: `account-${spec.id}`, status: 'active',
      type: concept(SYSTEM.actCode, 'PBILLACCT', 'patient billing account'),
      name: `${spec.given[0]} ${spec.family} - hospital account`, subject: [subject], owner: refTo(hospital),
      coverage: [{ coverage: { reference: `Coverage/coverage-${spec.id}` }, priority: 1 }],
    },
    {
      resourceType: 'ChargeItem', id: `charge-${spec.id}`, status: 'billable',
      code: outpatient ? concept(SYSTEM.cpt, '99214', 'Office or other outpatient visit, established patient') : concept(SYSTEM.cpt, '99223', 'Initial hospital inpatient care'),
      subject, context: encounter, occurrenceDateTime: seen, performingOrganization: refTo(spec.encounter.serviceProvider),
      quantity: { value: 1 }, priceOverride: usd(outpatient ? 180 : 420), enteredDate: seen,
      account: [{ reference: `Account/account-${spec.id}` }],
    },
    {
      resourceType: 'Invoice', id: `invoice-${spec.id}`, status: 'issued', type: concept(SYSTEM.actCode, 'PBILLACCT', 'patient billing account'),
      subject, recipient: refTo(insurer), date: (spec.encounter.end ?? seen).slice(0, 10), issuer: refTo(hospital),
      account: { reference: `Account/account-${spec.id}` },
      lineItem: [{ sequence: 1, chargeItemReference: { reference: `ChargeItem/charge-${spec.id}` }, priceComponent: [{ type: 'base', amount: usd(outpatient ? 180 : 420) }] }],
      totalNet: usd(outpatient ? 180 : 420), totalGross: usd(outpatient ? 180 : 420),
    },
  ];
  if (outpatient) {
    const slot = slotId(spec.encounter.practitioner, seen.slice(0, 10), seen.slice(11, 16));
    resources.push({
      resourceType: 'Appointment', id: `appt-${spec.id}`, status: spec.encounter.status === 'finished' ? 'fulfilled' : 'booked',
      serviceType: [concept(SYSTEM.snomed, '394579002', 'Cardiology')],
      appointmentType: concept('http://terminology.hl7.org/CodeSystem/v2-0276', 'ROUTINE', 'Routine appointment - default if not valued'),
      reasonReference: [{ reference: `Condition/cond-${spec.id}` }],
      description: `Cardiology consultation: ${spec.condition[1].toLowerCase()}`,
      start: seen, end: spec.encounter.end, minutesDuration: 30, slot: [{ reference: `Slot/${slot}` }], created: '2024-05-20T10:00:00-05:00',
      participant: [
        { actor: subject, required: 'required', status: 'accepted' },
        { actor: clinician, required: 'required', status: 'accepted' },
        { actor: refTo(locations.clinicC310!), required: 'required', status: 'accepted' },
      ],
    });
  }
  return resources;
}

export const clinicalRecords = (): Resource[] => PATIENTS.flatMap(patientRecord);

/** Syringes and gauze ordered by the cardiology ward from the pharmacy store and delivered. */
export const supplies: Resource[] = [
  { item: ['61968008', 'Syringe, device', 200], id: 'syringes' },
  { item: ['256624002', 'Gauze swab', 500], id: 'gauze' },
].flatMap(({ item, id }) => [
  {
    resourceType: 'SupplyRequest', id: `supplyreq-${id}`, status: 'completed',
    category: concept('http://hl7.org/fhir/supply-kind', 'central', 'Central Supply'), priority: 'routine',
    itemCodeableConcept: concept(SYSTEM.snomed, item[0] as string, item[1] as string), quantity: { value: item[2] as number, unit: 'each' },
    occurrenceDateTime: '2024-06-03T08:00:00-05:00', authoredOn: '2024-06-02T16:45:00-05:00',
    requester: refTo(practitioners['dr-marsh']!), supplier: [refTo(department.pharmacy)],
    deliverFrom: refTo(locations.pharmacy!), deliverTo: refTo(locations.cardiologyWard!),
  },
  {
    resourceType: 'SupplyDelivery', id: `supplydel-${id}`, status: 'completed',
    basedOn: [{ reference: `SupplyRequest/supplyreq-${id}` }],
    type: concept('http://terminology.hl7.org/CodeSystem/supply-item-type', 'device', 'Device'),
    suppliedItem: { quantity: { value: item[2] as number, unit: 'each' }, itemCodeableConcept: concept(SYSTEM.snomed, item[0] as string, item[1] as string) },
    occurrenceDateTime: '2024-06-03T07:40:00-05:00', supplier: refTo(department.pharmacy),
    destination: refTo(locations.cardiologyWard!), receiver: [refTo(practitioners['dr-marsh']!)],
  },
]);
