/** Code systems and codings used by the demo hospital (realistic, from the published terminologies). */
export const SYSTEM = {
  snomed: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  nucc: 'http://nucc.org/provider-taxonomy',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  cpt: 'http://www.ama-assn.org/go/cpt',
  orgType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  physicalType: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
  practitionerRole: 'http://terminology.hl7.org/CodeSystem/practitioner-role',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  diagnosticService: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  serviceCategory: 'http://terminology.hl7.org/CodeSystem/service-category',
  mrn: 'http://riverside-general.example.org/fhir/sid/mrn',
  memberId: 'http://acme-health.example.org/fhir/sid/member-id',
} as const;

export const coding = (system: string, code: string, display: string) => ({ system, code, display });
export const concept = (system: string, code: string, display: string, text = display) => ({ coding: [coding(system, code, display)], text });

export const SPECIALTY = {
  cardiology: { coding: [coding(SYSTEM.snomed, '394579002', 'Cardiology'), coding(SYSTEM.nucc, '207RC0000X', 'Cardiovascular Disease Physician')], text: 'Cardiology' },
  emergency: { coding: [coding(SYSTEM.snomed, '773568002', 'Emergency medicine'), coding(SYSTEM.nucc, '207P00000X', 'Emergency Medicine Physician')], text: 'Emergency medicine' },
  pathology: { coding: [coding(SYSTEM.snomed, '394915009', 'General pathology'), coding(SYSTEM.nucc, '207ZP0104X', 'Clinical Pathology/Laboratory Medicine Physician')], text: 'Clinical pathology' },
  pharmacy: { coding: [coding(SYSTEM.snomed, '394600006', 'Clinical pharmacology'), coding(SYSTEM.nucc, '183500000X', 'Pharmacist')], text: 'Pharmacy' },
  radiology: { coding: [coding(SYSTEM.snomed, '394914008', 'Radiology'), coding(SYSTEM.nucc, '2085R0202X', 'Diagnostic Radiology Physician')], text: 'Radiology' },
};

export const VITALS = concept(SYSTEM.observationCategory, 'vital-signs', 'Vital Signs');
export const LABORATORY = concept(SYSTEM.observationCategory, 'laboratory', 'Laboratory');
export const ORAL = concept(SYSTEM.snomed, '26643006', 'Oral route');
