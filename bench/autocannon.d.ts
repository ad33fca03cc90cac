/** The part of autocannon's programmatic API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  export interface Histogram { average: number; mean: number; p50: number; p90: number; p99: number; max: number; total?: number }
  export interface Client { setBody(body: string): void }
  export interface RequestSpec { method?: string; path?: string; headers?: Record<string, string>; body?: string; setupRequest?: (request: RequestSpec, context: Record<string, unknown>) => RequestSpec }
  export interface Options {
    url: string; connections?: number; duration?: number; amount?: number; method?: string; body?: string;
    headers?: Record<string, string>; requests?: RequestSpec[]; pipelining?: number; timeout?: number;
  }
  export interface Result { requests: Histogram; latency: Histogram; throughput: Histogram; errors: number; timeouts: number; non2xx: number; '2xx': number; duration: number }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
