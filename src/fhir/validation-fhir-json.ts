/**
 * The rules of R4 JSON that fhir.schema.json does not state, added to the prepared schema as keywords both
 * validators implement (validation-acceptor.ts says yes or no, ajv in validation.ts says why):
 *  - json.html: objects and arrays are never empty; null appears only in the arrays of a repeating primitive, padding
 *    the value array and its `_` array so that each position has a value, an id/extensions, or both
 *  - ele-1 (element.html): every element has a value or children other than `id`
 *  - formats.html#choice: a choice element appears as one of its variants
 *  - datatypes.html: integer is a whole 32-bit number, unsignedInt >= 0, positiveInt >= 1, decimal a finite number;
 *    date, dateTime and instant are days of the calendar (the regexes allow February 31)
 *  - a nesting depth limit (a server limit, not R4's) that keeps every recursive step of a write within the stack
 */
import r4Model from 'fhirpath/fhir-context/r4/index.js';

/**
 * Objects and arrays nested deeper than this are refused (the resource object is level 1). Pristine examples reach
 * 22 levels, Synthea 8. Past ~1,000 levels the first recursive step of a write runs out of stack (ajv's explanation
 * of a rejection; then structuredClone at ~2,400 and JSON.stringify at ~4,100); 128 keeps a wide margin for the
 * stack a request already uses. .NET's System.Text.Json stops at 64 by default, Jackson at 1,000.
 */
export const MAX_NESTING_DEPTH = 128;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** keyword values on object definitions (key `fhirObject`) */
export interface ObjectRules {
  /** ele-1 applies: false for resources (they have resourceType) and for a primitive's `_` object (its value may be beside it) */
  element: boolean;
  /** property (and its `_` twin) -> the choice element it is a variant of, e.g. deceasedBoolean -> deceased[x] */
  choices?: Record<string, string>;
  /** primitive elements that have a `_` twin: name -> whether it repeats */
  primitives?: Record<string, boolean>;
}

export interface RuleProblem {
  /** JSON pointer segments below the object checked */
  at: (string | number)[];
  rule: 'ele-1' | 'choice' | 'null';
  message: string;
}

type SchemaNode = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Adds the keywords to the schema's definitions in place: `type: object` on complex types (fhir.schema.json leaves it
 * out, so `name: [null]` passed), `minItems: 1` on arrays, null allowed in the arrays of repeating primitives (the
 * `fhirObject` rules decide where), integer ranges, `fhirCalendarDate` on date, dateTime and instant values, and the
 * `fhirObject` rules. `typeByPattern` names the primitive type of a pattern (choice variants inline their primitive).
 */
export function addFhirJsonRules(definitions: Record<string, SchemaNode>, typeByPattern: ReadonlyMap<string, string>): void {
  const primitiveNodes: SchemaNode[] = [];
  const visit = (node: SchemaNode) => {
    if (typeof node.pattern === 'string') primitiveNodes.push(node);
    if (node.type === 'array') node.minItems = 1;
    if (isObject(node.items)) visit(node.items);
    if (isObject(node.properties)) for (const child of Object.values(node.properties)) if (isObject(child)) visit(child);
  };
  for (const node of Object.values(definitions)) visit(node);
  for (const node of primitiveNodes) addPrimitiveRange(node, typeByPattern.get(node.pattern as string));

  // json.html: the narrative's div is one string of XHTML (the schema leaves it unconstrained); never empty, XML characters only
  definitions.xhtml = { type: 'string', pattern: definitions.string!.pattern };

  const choiceOf = choiceVariants(definitions);
  for (const [name, definition] of Object.entries(definitions)) {
    const properties = definition.properties as Record<string, SchemaNode> | undefined;
    if (!properties) continue;
    definition.type = 'object';
    const rules: ObjectRules = { element: properties.resourceType === undefined && name !== 'Element' };
    for (const [property, child] of Object.entries(properties)) {
      if (property.startsWith('_') && properties[property.slice(1)]) (rules.primitives ??= {})[property.slice(1)] = child.type === 'array';
    }
    const choices = choiceOf.get(name);
    if (choices) rules.choices = choices;
    definition.fhirObject = rules;
  }
  // after the loop above, so that the copies of Element carry its rules
  const nullableElement = { ...definitions.Element, type: ['object', 'null'] };
  for (const definition of Object.values(definitions)) {
    const properties = definition.properties as Record<string, SchemaNode> | undefined;
    const primitives = (definition.fhirObject as ObjectRules | undefined)?.primitives;
    for (const name in primitives) {
      if (!primitives[name]) continue;
      properties![name] = nullableArray(properties![name]!, definitions);
      properties![`_${name}`] = { ...properties![`_${name}`], items: nullableElement };
    }
  }
}

/** datatypes.html: integer is signed 32-bit, unsignedInt 0 or more, positiveInt 1 or more (fhir.schema.json: any number) */
function addPrimitiveRange(node: SchemaNode, primitiveType: string | undefined): void {
  switch (primitiveType) {
    case 'integer': return void Object.assign(node, { type: 'integer', minimum: INT32_MIN, maximum: INT32_MAX });
    case 'unsignedInt': return void Object.assign(node, { type: 'integer', minimum: 0, maximum: INT32_MAX });
    case 'positiveInt': return void Object.assign(node, { type: 'integer', minimum: 1, maximum: INT32_MAX });
    case 'date': case 'dateTime': case 'instant': return void (node.fhirCalendarDate = true);
  }
}

/** The items of a repeating primitive may be null (the `fhirObject` rules check each null has its `_` entry). */
function nullableArray(array: SchemaNode, definitions: Record<string, SchemaNode>): SchemaNode {
  const items = array.items as SchemaNode;
  const primitive = typeof items.$ref === 'string' ? definitions[items.$ref.slice('#/definitions/'.length)]! : items;
  const nullable = Array.isArray(primitive.enum)
    ? { ...primitive, enum: [...primitive.enum, null] }
    : { ...primitive, type: [primitive.type, 'null'] };
  return { ...array, items: nullable };
}

/**
 * definition name -> its choice variants (and their `_` twins) -> the choice element. The R4 model of fhirpath.js
 * lists each choice element's types by path; a definition holding every variant of one is where it lives.
 */
function choiceVariants(definitions: Record<string, SchemaNode>): Map<string, Record<string, string>> {
  const model = r4Model as unknown as { choiceTypePaths: Record<string, string[]> };
  const definitionsByProperty = new Map<string, string[]>();
  for (const [name, definition] of Object.entries(definitions)) {
    for (const property of Object.keys((definition.properties ?? {}) as object)) {
      const holders = definitionsByProperty.get(property);
      if (holders) holders.push(name);
      else definitionsByProperty.set(property, [name]);
    }
  }
  const byDefinition = new Map<string, Record<string, string>>();
  for (const [path, types] of Object.entries(model.choiceTypePaths)) {
    const stem = path.slice(path.lastIndexOf('.') + 1);
    const variants = types.map((type) => stem + type);
    for (const name of definitionsByProperty.get(variants[0]!) ?? []) {
      const properties = definitions[name]!.properties as Record<string, unknown>;
      if (!variants.every((variant) => properties[variant] !== undefined)) continue;
      const choices = byDefinition.get(name) ?? {};
      for (const variant of variants) choices[variant] = choices[`_${variant}`] = `${stem}[x]`;
      byDefinition.set(name, choices);
    }
  }
  return byDefinition;
}

/** ele-1 for an object: a child other than `id` (an empty object breaks json.html as well) */
export function hasChildren(data: Record<string, unknown>): boolean {
  for (const key in data) if (key !== 'id') return true;
  return false;
}

/** Two variants of one choice element, e.g. deceasedBoolean and deceasedDateTime (their `_` twins count as them). */
export function choiceConflict(choices: Record<string, string>, data: Record<string, unknown>): RuleProblem | undefined {
  const variantByChoice = new Map<string, string>();
  for (const key in data) {
    const choice = choices[key];
    if (choice === undefined) continue;
    const variant = key.startsWith('_') ? key.slice(1) : key;
    const seen = variantByChoice.get(choice);
    if (seen === undefined) variantByChoice.set(choice, variant);
    else if (seen !== variant) {
      return { at: [variant], rule: 'choice', message: `cannot be present beside ${seen}: ${choice} is a choice element, only one of its variants may be present (formats.html#choice)` };
    }
  }
  return undefined;
}

/**
 * json.html#primitive and ele-1 for primitive `name` of `data` and its `_name` twin: each position needs a value, or an
 * id plus extensions; a null in either array pads a position the other array fills; both arrays have the same length.
 * Other shapes (a string where an array belongs, ...) are left to the schema.
 */
export function primitiveProblem(data: Record<string, unknown>, name: string, repeats: boolean): RuleProblem | undefined {
  const values = data[name];
  const twins = data[`_${name}`];
  if (!repeats) return values === undefined && isObject(twins) && !hasChildren(twins) ? elementWithoutValue([name], `_${name}`) : undefined;
  if (!Array.isArray(twins)) {
    if (twins !== undefined || !Array.isArray(values)) return undefined;
    const index = values.indexOf(null);
    return index < 0 ? undefined : {
      at: [name, index], rule: 'null',
      message: `is null, but there is no _${name} array: null only pads ${name} where _${name} has an id or extensions at the same position (json.html#primitive)`,
    };
  }
  if (values !== undefined && !Array.isArray(values)) return undefined;
  if (values !== undefined && values.length !== twins.length) {
    return { at: [name], rule: 'null', message: `has ${values.length} values but _${name} has ${twins.length} entries: the two arrays are aligned position by position (json.html#primitive)` };
  }
  for (let index = 0; index < twins.length; index++) {
    if (values !== undefined && values[index] !== null) continue;
    const twin = twins[index];
    if (twin === null) {
      const message = values === undefined
        ? `has neither a value nor extensions: _${name}[${index}] is null and there is no ${name} array (json.html#primitive)`
        : `is null and so is _${name}[${index}]: a position needs a value, or extensions (json.html#primitive)`;
      return { at: [name, index], rule: 'null', message };
    }
    if (isObject(twin) && !hasChildren(twin)) return elementWithoutValue([name, index], `_${name}[${index}]`);
  }
  return undefined;
}

function elementWithoutValue(at: (string | number)[], twin: string): RuleProblem {
  return { at, rule: 'ele-1', message: `has no value, and ${twin} has no extensions (an id alone does not count): ele-1, all FHIR elements must have a @value or children` };
}

/** json.html, ele-1 and formats.html#choice for one object: every problem, for ajv (the acceptor stops at the first) */
export function objectRuleProblems(rules: ObjectRules, data: Record<string, unknown>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (!hasChildren(data) && (rules.element || data.id === undefined)) {
    problems.push({ at: [], rule: 'ele-1', message: 'is empty (or has only an id): ele-1, all FHIR elements must have a @value or children; json.html: objects are never empty' });
  }
  const conflict = rules.choices && choiceConflict(rules.choices, data);
  if (conflict) problems.push(conflict);
  for (const name in rules.primitives) {
    const problem = primitiveProblem(data, name, rules.primitives[name]!);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** What is wrong with a date, dateTime or instant that its regex took: a day past the end of its month. */
export function calendarDateProblem(value: string): string | undefined {
  if (value.length < 10 || value.charCodeAt(4) !== 45 /* - */ || value.charCodeAt(7) !== 45) return undefined;
  const day = twoDigits(value, 8);
  if (day <= 28) return undefined;
  const year = twoDigits(value, 0) * 100 + twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const days = daysInMonth(year, month);
  return day > days ? `${MONTHS[month - 1]} ${year} has ${days} days` : undefined;
}

function twoDigits(value: string, at: number): number {
  return (value.charCodeAt(at) - 48) * 10 + value.charCodeAt(at + 1) - 48;
}

export function isCalendarDate(value: string): boolean {
  return calendarDateProblem(value) === undefined;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The JSON pointer of the first object or array nested deeper than MAX_NESTING_DEPTH, if any. Recursion here stops
 * at that depth, so it is safe on any input.
 */
export function tooDeepAt(value: unknown, depth = 1, pointer = ''): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_NESTING_DEPTH) return pointer;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = tooDeepAt(value[index], depth + 1, `${pointer}/${index}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const found = tooDeepAt((value as Record<string, unknown>)[key], depth + 1, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
