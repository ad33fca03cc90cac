/**
 * UCUM canonical forms for quantity search (R4 search.html#quantity: "the server SHOULD ... compare the
 * quantities in canonical form", e.g. 5.4 mg matches 0.0054 g). Conversion is done by NLM's ucum-lhc,
 * the library fhirpath.js uses for the same purpose. A quantity whose unit ucum-lhc cannot read keeps
 * only its stated form.
 */
import { createRequire } from 'node:module';

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';

interface ConversionResult {
  status: string;
  magnitude?: number;
  unitToExp?: Record<string, number>;
  fromUnitIsSpecial?: boolean;
}
interface UcumUtils { convertToBaseUnits(unit: string, value: number): ConversionResult }

const require = createRequire(import.meta.url);
let utils: UcumUtils | undefined;
const ucum = (): UcumUtils =>
  (utils ??= (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance());

/** per unit: a linear factor to base units, or 'special' (affine units such as Cel), or undefined when unreadable */
const units = new Map<string, { canonicalCode: string; factor: number | 'special' } | undefined>();

function unitInfo(code: string) {
  if (units.has(code)) return units.get(code);
  let info: { canonicalCode: string; factor: number | 'special' } | undefined;
  try {
    const result = ucum().convertToBaseUnits(code, 1);
    if (result.status === 'succeeded' && result.unitToExp && typeof result.magnitude === 'number') {
      const canonicalCode = Object.entries(result.unitToExp)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([unit, exponent]) => (exponent === 1 ? unit : `${unit}${exponent}`))
        .join('.') || '1';
      info = { canonicalCode, factor: result.fromUnitIsSpecial ? 'special' : result.magnitude };
    }
  } catch {
    info = undefined;
  }
  units.set(code, info);
  return info;
}

function convert(code: string, factor: number | 'special', value: number): number {
  if (Math.abs(value) === Number.MAX_VALUE) return value;
  if (factor !== 'special') return value * factor;
  return ucum().convertToBaseUnits(code, value).magnitude ?? value;
}

/**
 * Canonical forms live under their own parameter code, `<param>:canonical`, so a search without units
 * (which matches every stated quantity of the parameter) never sees converted magnitudes.
 */
export const canonicalParam = (param: string) => `${param}:canonical`;

/**
 * The canonical form of a UCUM quantity: the base-unit code and the value and range converted to it;
 * undefined when the unit is not UCUM or ucum-lhc cannot read it.
 */
export function canonicalQuantity<T extends { value: number; low: number; high: number }>(
  system: string | null | undefined,
  code: string | null | undefined,
  quantity: T,
): (T & { code: string }) | undefined {
  if (system !== UCUM_SYSTEM || !code) return undefined;
  const info = unitInfo(code);
  if (!info) return undefined;
  return {
    ...quantity,
    code: info.canonicalCode,
    value: convert(code, info.factor, quantity.value),
    low: convert(code, info.factor, quantity.low),
    high: convert(code, info.factor, quantity.high),
  };
}
