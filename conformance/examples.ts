/** The R4 specification's example resources (npm hl7.fhir.r4.examples@4.0.1), conformance resources left out. */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export interface Example {
  file: string;
  resource: { resourceType: string; id: string; [element: string]: unknown };
}

/** Definitional resource types: the package carries the spec's own definitions under these. */
export const CONFORMANCE_TYPES = new Set([
  'SearchParameter', 'ValueSet', 'CodeSystem', 'StructureDefinition', 'ConceptMap', 'OperationDefinition',
  'CapabilityStatement', 'CompartmentDefinition', 'ImplementationGuide', 'NamingSystem', 'StructureMap',
  'TerminologyCapabilities', 'GraphDefinition', 'MessageDefinition',
]);

export function examplesDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
}

export function listExamples(directory = examplesDirectory()): Example[] {
  const examples: Example[] = [];
  for (const file of fs.readdirSync(directory).sort()) {
    if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
    const resource = JSON.parse(fs.readFileSync(path.join(directory, file), 'utf8'));
    if (typeof resource?.resourceType !== 'string' || typeof resource.id !== 'string') continue;
    if (CONFORMANCE_TYPES.has(resource.resourceType)) continue;
    examples.push({ file, resource });
  }
  return examples;
}

/** The spec's SearchParameter definitions, by canonical url. */
export function searchParameterDefinitions(directory = examplesDirectory()): Map<string, SearchParameterDefinition> {
  const bundle = JSON.parse(fs.readFileSync(path.join(directory, 'Bundle-searchParams.json'), 'utf8'));
  const byUrl = new Map<string, SearchParameterDefinition>();
  for (const entry of bundle.entry ?? []) {
    const parameter = entry.resource;
    if (parameter?.resourceType === 'SearchParameter' && parameter.url) byUrl.set(parameter.url, parameter);
  }
  return byUrl;
}

export interface SearchParameterDefinition {
  url: string;
  code: string;
  type: string;
  expression?: string;
  base: string[];
}
