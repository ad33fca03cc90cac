/**
 * R4 base definitions loaded once at start from the pinned pristine package hl7.fhir.r4.examples@4.0.1.
 * OWNER: definitions helper. The interface below is the contract other modules rely on.
 */
import type { R4 } from './types.js';

export interface Definitions {
  /** every concrete R4 resource type (145), e.g. "Patient" */
  readonly resourceTypes: ReadonlySet<string>;
  /** every R4 SearchParameter resource (pristine) */
  readonly searchParameters: readonly R4.SearchParameter[];
  /** CompartmentDefinitions keyed by compartment code: Patient, Encounter, RelatedPerson, Practitioner, Device */
  readonly compartments: ReadonlyMap<string, R4.CompartmentDefinition>;
  valueSet(url: string): R4.ValueSet | undefined;
  codeSystem(url: string): R4.CodeSystem | undefined;
  structureDefinition(typeOrUrl: string): R4.StructureDefinition | undefined;
}

export declare function loadDefinitions(): Promise<Definitions>;
