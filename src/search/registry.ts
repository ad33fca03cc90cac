/**
 * Search parameters per resource type, FHIRPath compiled once. OWNER: search helper.
 */
import type { IndexEntries } from './index-entries.js';
import type { Resource } from '../fhir/types.js';

export type SearchParamType = 'string' | 'token' | 'reference' | 'date' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';

export interface SearchParamDef {
  code: string;
  url: string;
  type: SearchParamType;
  /** resource types this parameter applies to */
  base: string[];
  expression?: string;
  /** reference targets */
  targets: string[];
  components?: { definition: string; expression: string }[];
}

export interface SearchParameterRegistry {
  /** parameters of one type, including the common ones (_id, _lastUpdated, _tag, _profile, _security, _source, _text?) */
  forType(resourceType: string): ReadonlyMap<string, SearchParamDef>;
  get(resourceType: string, code: string): SearchParamDef | undefined;
  /** index entries for every parameter of the resource's type */
  extract(resource: Resource): IndexEntries;
}
