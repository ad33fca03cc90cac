/**
 * A search value that must find a given resource, derived independently of the server: the R4
 * SearchParameter's FHIRPath expression evaluated with fhirpath.js, turned into the parameter type's
 * syntax (R4 search.html#string, #token, #reference, #date, #number, #quantity, #uri, #escaping).
 */
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import type { SearchParameterDefinition } from './examples.js';

type Json = Record<string, any>;

const CONTACT_POINT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);
const compiled = new Map<string, { evaluate: (resource: unknown) => unknown[]; targetType?: string }>();

/** Escape the characters R4 search.html#escaping reserves: \ , $ | */
export const escapeSearch = (value: string) => value.replace(/[\\,$|]/g, (character) => `\\${character}`);

function compiledExpression(definition: SearchParameterDefinition) {
  let entry = compiled.get(definition.url);
  if (!entry) {
    // resolve() needs the referenced resource; keep the reference and filter on its type instead
    let targetType: string | undefined;
    const expression = definition.expression!.replace(/\.where\(resolve\(\) is (\w+)\)/g, (_match, type: string) => {
      targetType = type;
      return '';
    });
    const evaluator = fhirpath.compile(expression, r4Model as any);
    entry = { evaluate: (resource: unknown) => evaluator(resource as any) as unknown[], targetType };
    compiled.set(definition.url, entry);
  }
  return entry;
}

function stringValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const object = value as Json;
  const candidates = [object.family, object.given?.[0], object.text, object.city, object.line?.[0], object.postalCode, object.state, object.country, object.district];
  return candidates.find((candidate) => typeof candidate === 'string' && candidate.trim() !== '');
}

function tokenValue(value: unknown): string | undefined {
  if (typeof value === 'string') return escapeSearch(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'object' || value === null) return undefined;
  const object = value as Json;
  const coding = Array.isArray(object.coding) ? object.coding.find((c: Json) => c?.code) : object.code !== undefined && typeof object.code === 'string' ? object : undefined;
  if (coding) return coding.system ? `${escapeSearch(coding.system)}|${escapeSearch(coding.code)}` : escapeSearch(coding.code);
  if (typeof object.value === 'string') {
    const isContactPoint = typeof object.system === 'string' && CONTACT_POINT_SYSTEMS.has(object.system) && object.type === undefined;
    if (isContactPoint || !object.system) return escapeSearch(object.value);
    return `${escapeSearch(object.system)}|${escapeSearch(object.value)}`;
  }
  return undefined;
}

function referenceValue(value: unknown, targetType: string | undefined): string | undefined {
  const reference = typeof value === 'string' ? value : (value as Json | null)?.reference;
  if (typeof reference !== 'string' || reference.startsWith('#') || reference.startsWith('urn:')) return undefined;
  if (typeof value === 'string') return escapeSearch(reference.split('|')[0]);
  const relative = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(reference);
  if (relative) {
    if (targetType && relative[1] !== targetType) return undefined;
    return `${relative[1]}/${relative[2]}`;
  }
  const absolute = /^https?:\/\/.*\/([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}$/.exec(reference);
  if (absolute && targetType && absolute[1] !== targetType) return undefined;
  return /^https?:\/\//.test(reference) ? escapeSearch(reference) : undefined;
}

function dateValue(value: unknown): string | undefined {
  if (typeof value === 'string' && /^\d{4}/.test(value)) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const object = value as Json;
  if (typeof object.start === 'string') return `ge${object.start}`;
  if (typeof object.end === 'string') return `le${object.end}`;
  if (Array.isArray(object.event) && typeof object.event[0] === 'string') return object.event[0];
  if (object.repeat?.boundsPeriod) return dateValue(object.repeat.boundsPeriod);
  return undefined;
}

function quantityValue(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return undefined;
  const object = value as Json;
  if (typeof object.value !== 'number') return undefined;
  if (object.system && object.code) return `${object.value}|${escapeSearch(object.system)}|${escapeSearch(object.code)}`;
  if (object.code) return `${object.value}||${escapeSearch(object.code)}`;
  if (object.unit) return `${object.value}||${escapeSearch(object.unit)}`;
  return String(object.value);
}

/**
 * A value of `definition` that the resource has, in search syntax; undefined when the parameter has no
 * value in it, or its type is one this suite does not derive (composite, special).
 */
export function searchValueFor(resource: unknown, definition: SearchParameterDefinition): string | undefined {
  if (!definition.expression) return undefined;
  let entry;
  try {
    entry = compiledExpression(definition);
  } catch {
    return undefined;
  }
  let values: unknown[];
  try {
    values = entry.evaluate(resource);
  } catch {
    return undefined;
  }
  for (const value of values) {
    let searchValue: string | undefined;
    switch (definition.type) {
      case 'string': {
        const text = stringValue(value);
        searchValue = text === undefined ? undefined : escapeSearch(text);
        break;
      }
      case 'token': searchValue = tokenValue(value); break;
      case 'reference': searchValue = referenceValue(value, entry.targetType); break;
      case 'date': searchValue = dateValue(value); break;
      case 'number': searchValue = typeof value === 'number' ? String(value) : undefined; break;
      case 'quantity': searchValue = quantityValue(value); break;
      case 'uri': searchValue = typeof value === 'string' ? escapeSearch(value) : undefined; break;
      default: searchValue = undefined;
    }
    if (searchValue !== undefined && searchValue.length <= 500) return searchValue;
  }
  return undefined;
}
