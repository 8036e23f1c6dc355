/**
 * The gateway against its bare ceiling (bench/ceiling/), measured in the same run as
 * interleaved pairs: what the noisy, shared bench box can compare from run to run is the
 * ratio within a pair, not an absolute figure. Pure: run.ts prints and saves what this
 * computes; test/bench/ checks it.
 */
import type { LoadResult } from './load.js';

/** What one measured run of one side contributes. */
export type RunFigures = Pick<LoadResult, 'requestsPerSecond' | 'latencyMs' | 'non2xx' | 'errors' | 'timeouts' | 'badCodes' | 'requests' | 'durationSeconds'> & {
  /**
   * CPU time (user + system) the server's processes spent during the run, in µs per answered
   * request: what one request costs, which other load on the box changes far less than it
   * changes throughput.
   */
  cpuMicrosPerRequest?: number;
  /**
   * On PostgreSQL, the CPU time of the database server's processes during the run, in µs per
   * answered request: they share the box's cores with the server, so a costlier statement
   * lowers throughput without showing in cpuMicrosPerRequest.
   */
  databaseCpuMicrosPerRequest?: number;
};

interface SideFigures extends CpuFigures {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

export interface PairedComparison {
  db: string;
  scenario: string;
  gateway: SideFigures;
  ceiling: SideFigures;
  /** gateway ÷ ceiling throughput: the median of the pairs' ratios. */
  ratio: number;
  /** Each pair's ratio, in the order run. */
  pairRatios: number[];
  /** The gateway's median p99 is no worse than the ceiling's. */
  p99WithinCeiling: boolean;
  /** Every run, as measured. */
  gatewayRuns: RunFigures[];
  ceilingRuns: RunFigures[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
const errorsOf = (r: RunFigures) => r.non2xx + r.errors + r.badCodes;
/** The CPU figures a run may carry (an older results file has none). */
const CPU_FIGURES = ['cpuMicrosPerRequest', 'databaseCpuMicrosPerRequest'] as const;
type CpuFigures = Partial<Record<(typeof CPU_FIGURES)[number], number>>;
/** Those of `CPU_FIGURES` that every run has, each `pick`ed from the runs' values. */
function cpuFigures(runs: readonly RunFigures[], pick: (values: number[]) => number): CpuFigures {
  const figures: CpuFigures = {};
  for (const key of CPU_FIGURES) {
    if (runs.every((r) => r[key] !== undefined)) figures[key] = pick(runs.map((r) => r[key]!));
  }
  return figures;
}
/** The CPU figures one run has. */
const cpuOf = (r: RunFigures) => cpuFigures([r], ([value]) => value);

/**
 * One figure per measure over several runs of one side: the median rate and the median of
 * each percentile (so with two runs, their mean); counts are summed.
 */
export function medianRun(runs: readonly RunFigures[]): RunFigures {
  if (runs.length === 0) throw new Error('no runs');
  const of = (pick: (r: RunFigures) => number) => median(runs.map(pick));
  const sum = (pick: (r: RunFigures) => number) => runs.reduce((total, r) => total + pick(r), 0);
  return {
    requests: sum((r) => r.requests),
    requestsPerSecond: of((r) => r.requestsPerSecond),
    latencyMs: {
      p50: round(of((r) => r.latencyMs.p50), 2),
      p99: round(of((r) => r.latencyMs.p99), 2),
      p99_9: round(of((r) => r.latencyMs.p99_9), 2),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    badCodes: sum((r) => r.badCodes),
    durationSeconds: sum((r) => r.durationSeconds),
    ...cpuFigures(runs, (values) => round(median(values), 1)),
  };
}

/** Pairs run i of the gateway with run i of the ceiling (run back to back). */
export function comparePairs(db: string, scenario: string, gatewayRuns: readonly RunFigures[], ceilingRuns: readonly RunFigures[]): PairedComparison {
  if (gatewayRuns.length === 0 || gatewayRuns.length !== ceilingRuns.length) {
    throw new Error(`${scenario}: ${gatewayRuns.length} gateway runs against ${ceilingRuns.length} of the ceiling`);
  }
  const pairRatios = gatewayRuns.map((g, i) => round(g.requestsPerSecond / ceilingRuns[i].requestsPerSecond, 3));
  const gateway = medianRun(gatewayRuns);
  const ceiling = medianRun(ceilingRuns);
  return {
    db,
    scenario,
    gateway: { requestsPerSecond: Math.round(gateway.requestsPerSecond), p99Ms: gateway.latencyMs.p99, errors: errorsOf(gateway), ...cpuOf(gateway) },
    ceiling: { requestsPerSecond: Math.round(ceiling.requestsPerSecond), p99Ms: ceiling.latencyMs.p99, errors: errorsOf(ceiling), ...cpuOf(ceiling) },
    ratio: round(median(pairRatios), 3),
    pairRatios,
    p99WithinCeiling: gateway.latencyMs.p99 <= ceiling.latencyMs.p99,
    gatewayRuns: [...gatewayRuns],
    ceilingRuns: [...ceilingRuns],
  };
}

/** A Markdown table, numbers right-aligned. */
export function formatTable(header: readonly string[], lines: readonly string[][], rightAligned: (column: number) => boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    '| ' + widths.map((w, i) => (rightAligned(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w))).join(' | ') + ' |';
  return [format(header), '|' + widths.map((w, i) => (rightAligned(i) ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|', ...lines.map(format)].join('\n');
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** The comparisons as printed by `npm run bench`. */
export function formatComparisons(comparisons: readonly PairedComparison[]): string {
  const header = ['db', 'scenario', 'gateway req/s', 'p99 ms', 'ceiling req/s', 'p99 ms', 'gateway / ceiling', 'p99 ≤ ceiling', 'pairs', 'CPU µs/req (g/c)', 'errors (g/c)'];
  const lines = comparisons.map((c) => [
    c.db,
    c.scenario,
    thousands(c.gateway.requestsPerSecond),
    String(c.gateway.p99Ms),
    thousands(c.ceiling.requestsPerSecond),
    String(c.ceiling.p99Ms),
    c.ratio.toFixed(2),
    c.p99WithinCeiling ? 'yes' : 'no',
    c.pairRatios.map((r) => r.toFixed(2)).join(', '),
    `${c.gateway.cpuMicrosPerRequest ?? '-'}/${c.ceiling.cpuMicrosPerRequest ?? '-'}` +
      (c.gateway.databaseCpuMicrosPerRequest === undefined && c.ceiling.databaseCpuMicrosPerRequest === undefined
        ? ''
        : ` (+PG ${c.gateway.databaseCpuMicrosPerRequest ?? '-'}/${c.ceiling.databaseCpuMicrosPerRequest ?? '-'})`),
    `${c.gateway.errors}/${c.ceiling.errors}`,
  ]);
  return formatTable(header, lines, (i) => i >= 2 && i <= 6);
}
