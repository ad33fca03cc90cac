/** Rounding, ratios and the load average, shared by workloads and reports. */
import os from 'node:os';

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** value / floor to three decimals, or undefined without a floor. */
export function ratio(value: number, floor: number | undefined): number | undefined {
  return floor ? round(value / floor, 3) : undefined;
}

/** The machine's 1-minute load average (the build host is shared: figures are read beside it). */
export function loadAverageNow(): number {
  return round(os.loadavg()[0]!);
}
