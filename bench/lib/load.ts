/** One autocannon run -> a measurement. */
import autocannon, { type Options } from 'autocannon';
import { loadAverageNow } from './figures.js';

export interface Measurement {
  workload: string;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** 1-minute load average of the machine when the run ended (the build host is shared) */
  loadAverage: number;
}

export async function runLoad(workload: string, options: Options): Promise<Measurement> {
  const result = await autocannon(options);
  const completed = result['2xx'] + result.non2xx;
  return {
    workload,
    connections: options.connections ?? 1,
    requestsPerSecond: Math.round(completed / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: completed,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    loadAverage: loadAverageNow(),
  };
}

/** A request list cycling through paths, one per request, each connection starting at a different offset. */
export function cyclingPaths(paths: string[], headers: Record<string, string> = {}): Options['requests'] {
  let next = 0;
  return [{
    method: 'GET',
    headers,
    setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }),
  }];
}
