/** The hospital's structure: organizations, locations, staff, services, schedules and a week of slots. */
import { SPECIALTY, SYSTEM, concept, coding } from './codes.js';

type Resource = { resourceType: string; id: string; [key: string]: unknown };
const ref = (resourceType: string, id: string, display?: string) => ({ reference: `${resourceType}/${id}`, ...(display ? { display } : {}) });
export const refTo = (resource: Resource, display?: string) => ref(resource.resourceType, resource.id, display);

const address = { use: 'work', line: ['1200 River Road'], city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' };

export const hospital: Resource = {
  resourceType: 'Organization', id: 'hospital', active: true,
  identifier: [{ system: SYSTEM.npi, value: '1578563209' }],
  type: [concept(SYSTEM.orgType, 'prov', 'Healthcare Provider')],
  name: 'Riverside General Hospital', alias: ['RGH'],
  telecom: [{ system: 'phone', value: '+1-217-555-0100', use: 'work' }, { system: 'url', value: 'https://riverside-general.example.org' }],
  address: [address],
};

export const insurer: Resource = {
  resourceType: 'Organization', id: 'insurer-acme', active: true,
  type: [concept(SYSTEM.orgType, 'ins', 'Insurance Company')],
  name: 'Acme Health Insurance', telecom: [{ system: 'phone', value: '+1-800-555-0199' }],
};

const DEPARTMENTS = ['cardiology', 'emergency', 'laboratory', 'pharmacy', 'radiology'] as const;
export type Department = (typeof DEPARTMENTS)[number];
export const department = Object.fromEntries(DEPARTMENTS.map((name) => [name, {
  resourceType: 'Organization', id: `dept-${name}`, active: true,
  type: [concept(SYSTEM.orgType, 'dept', 'Hospital Department')],
  name: `${name.charAt(0).toUpperCase()}${name.slice(1)} Department`,
  telecom: [{ system: 'phone', value: `+1-217-555-01${10 + DEPARTMENTS.indexOf(name)}`, use: 'work' }],
  partOf: ref('Organization', 'hospital', 'Riverside General Hospital'),
} satisfies Resource])) as unknown as Record<Department, Resource>;

const location = (id: string, name: string, type: [string, string], partOf: string | undefined, managingOrganization: Resource, extra: object = {}): Resource => ({
  resourceType: 'Location', id, status: 'active', name, mode: 'instance',
  physicalType: concept(SYSTEM.physicalType, type[0], type[1]),
  managingOrganization: refTo(managingOrganization),
  ...(partOf ? { partOf: ref('Location', partOf) } : {}),
  ...extra,
});

export const locations: Record<string, Resource> = {
  building: location('main-building', 'Riverside General Main Building', ['bu', 'Building'], undefined, hospital, { address }),
  cardiologyWard: location('ward-cardiology', 'Cardiology Ward (3 East)', ['wa', 'Ward'], 'main-building', department.cardiology),
  emergencyWard: location('ward-emergency', 'Emergency Department', ['wa', 'Ward'], 'main-building', department.emergency),
  laboratory: location('lab-core', 'Core Laboratory', ['ro', 'Room'], 'main-building', department.laboratory),
  pharmacy: location('pharmacy-main', 'Inpatient Pharmacy', ['ro', 'Room'], 'main-building', department.pharmacy),
  radiology: location('radiology-suite', 'Radiology Suite', ['wa', 'Ward'], 'main-building', department.radiology),
  roomC301: location('room-c301', 'Room 301', ['ro', 'Room'], 'ward-cardiology', department.cardiology),
  roomC302: location('room-c302', 'Room 302', ['ro', 'Room'], 'ward-cardiology', department.cardiology),
  clinicC310: location('room-c310', 'Cardiology Outpatient Clinic Room 310', ['ro', 'Room'], 'ward-cardiology', department.cardiology),
  roomE01: location('room-e01', 'Emergency Bay 1', ['ro', 'Room'], 'ward-emergency', department.emergency),
  roomE02: location('room-e02', 'Emergency Bay 2', ['ro', 'Room'], 'ward-emergency', department.emergency),
  bedC301A: location('bed-c301-a', 'Room 301 Bed A', ['bd', 'Bed'], 'room-c301', department.cardiology, { operationalStatus: coding('http://terminology.hl7.org/CodeSystem/v2-0116', 'O', 'Occupied') }),
};

interface Staff { id: string; family: string; given: string; prefix: string; gender: string; npi: string; role: [string, string]; dept: Department; specialty: keyof typeof SPECIALTY; location: Resource }
const STAFF: Staff[] = [
  { id: 'dr-marsh', family: 'Marsh', given: 'Elena', prefix: 'Dr.', gender: 'female', npi: '1093817465', role: ['doctor', 'Doctor'], dept: 'cardiology', specialty: 'cardiology', location: locations.clinicC310! },
  { id: 'dr-okafor', family: 'Okafor', given: 'Chidi', prefix: 'Dr.', gender: 'male', npi: '1326059184', role: ['doctor', 'Doctor'], dept: 'cardiology', specialty: 'cardiology', location: locations.clinicC310! },
  { id: 'dr-lindqvist', family: 'Lindqvist', given: 'Sara', prefix: 'Dr.', gender: 'female', npi: '1548273690', role: ['doctor', 'Doctor'], dept: 'emergency', specialty: 'emergency', location: locations.emergencyWard! },
  { id: 'dr-patel', family: 'Patel', given: 'Raj', prefix: 'Dr.', gender: 'male', npi: '1750394826', role: ['doctor', 'Doctor'], dept: 'laboratory', specialty: 'pathology', location: locations.laboratory! },
  { id: 'pharm-nguyen', family: 'Nguyen', given: 'Linh', prefix: 'PharmD', gender: 'female', npi: '1962507318', role: ['pharmacist', 'Pharmacist'], dept: 'pharmacy', specialty: 'pharmacy', location: locations.pharmacy! },
  { id: 'dr-alvarez', family: 'Alvarez', given: 'Mateo', prefix: 'Dr.', gender: 'male', npi: '1184629073', role: ['doctor', 'Doctor'], dept: 'radiology', specialty: 'radiology', location: locations.radiology! },
];

export const practitioners: Record<string, Resource> = Object.fromEntries(STAFF.map((staff) => [staff.id, {
  resourceType: 'Practitioner', id: staff.id, active: true,
  identifier: [{ system: SYSTEM.npi, value: staff.npi }],
  name: [{ use: 'official', family: staff.family, given: [staff.given], prefix: [staff.prefix] }],
  telecom: [{ system: 'email', value: `${staff.given.toLowerCase()}.${staff.family.toLowerCase()}@riverside-general.example.org`, use: 'work' }],
  gender: staff.gender,
}]));

export const healthcareServices: Record<string, Resource> = {
  cardiologyClinic: {
    resourceType: 'HealthcareService', id: 'cardiology-clinic', active: true,
    providedBy: refTo(department.cardiology), name: 'Cardiology Outpatient Clinic',
    category: [concept(SYSTEM.serviceCategory, '35', 'Hospital')], specialty: [SPECIALTY.cardiology],
    location: [refTo(locations.clinicC310!)], appointmentRequired: true,
    availableTime: [{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'], availableStartTime: '08:00:00', availableEndTime: '17:00:00' }],
  },
  emergency: {
    resourceType: 'HealthcareService', id: 'emergency-care', active: true,
    providedBy: refTo(department.emergency), name: 'Emergency Care',
    category: [concept(SYSTEM.serviceCategory, '35', 'Hospital')], specialty: [SPECIALTY.emergency],
    location: [refTo(locations.emergencyWard!)], appointmentRequired: false, availableTime: [{ allDay: true }],
  },
};

export const practitionerRoles: Resource[] = STAFF.map((staff) => ({
  resourceType: 'PractitionerRole', id: `role-${staff.id}`, active: true,
  period: { start: '2020-01-01' },
  practitioner: refTo(practitioners[staff.id]!, `${staff.prefix} ${staff.given} ${staff.family}`),
  organization: refTo(department[staff.dept]),
  code: [concept(SYSTEM.practitionerRole, staff.role[0], staff.role[1])],
  specialty: [SPECIALTY[staff.specialty]],
  location: [refTo(staff.location)],
  ...(staff.dept === 'cardiology' ? { healthcareService: [refTo(healthcareServices.cardiologyClinic!)] } : {}),
  ...(staff.dept === 'emergency' ? { healthcareService: [refTo(healthcareServices.emergency!)] } : {}),
}));

/** Monday 2024-06-03 to Friday 2024-06-07, 09:00-12:00 in 30-minute slots, for the two cardiologists. */
export const WEEK = ['2024-06-03', '2024-06-04', '2024-06-05', '2024-06-06', '2024-06-07'];
const SLOT_TIMES = ['09:00', '09:30', '10:00', '10:30', '11:00', '11:30'];
const CHECKUP = concept(SYSTEM.snomed, '394579002', 'Cardiology');

export const schedules: Resource[] = ['dr-marsh', 'dr-okafor'].map((id) => ({
  resourceType: 'Schedule', id: `schedule-${id}`, active: true,
  serviceCategory: [concept(SYSTEM.serviceCategory, '35', 'Hospital')],
  specialty: [SPECIALTY.cardiology],
  actor: [refTo(practitioners[id]!), refTo(locations.clinicC310!)],
  planningHorizon: { start: `${WEEK[0]}T09:00:00-05:00`, end: `${WEEK[4]}T12:00:00-05:00` },
  comment: 'Outpatient cardiology consultations, weekday mornings',
}));

const plusMinutes = (time: string, minutes: number) => {
  const [h, m] = time.split(':').map(Number) as [number, number];
  const total = h * 60 + m + minutes;
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
};

export const slotId = (practitionerId: string, day: string, time: string) => `slot-${practitionerId}-${day}-${time.replace(':', '')}`;

export function slots(booked: Set<string>): Resource[] {
  return ['dr-marsh', 'dr-okafor'].flatMap((practitionerId) => WEEK.flatMap((day) => SLOT_TIMES.map((time) => {
    const id = slotId(practitionerId, day, time);
    return {
      resourceType: 'Slot', id,
      serviceType: [CHECKUP], specialty: [SPECIALTY.cardiology],
      appointmentType: concept('http://terminology.hl7.org/CodeSystem/v2-0276', 'ROUTINE', 'Routine appointment - default if not valued'),
      schedule: ref('Schedule', `schedule-${practitionerId}`),
      status: booked.has(id) ? 'busy' : 'free',
      start: `${day}T${time}:00-05:00`, end: `${day}T${plusMinutes(time, 30)}:00-05:00`,
    };
  })));
}
