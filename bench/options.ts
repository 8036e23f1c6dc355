/**
 * `npm run bench` options: parsed once, checked, and refused when unknown (a mistyped
 * option used to start the full bench silently). Pure: run.ts and test/bench/ use it.
 */

/** Every scenario `--only=` accepts, in the order they run. */
export const SCENARIOS = ['create', 'query', 'callback', 'outage', 'paypage', 'longpoll', 'processes', 'portal'] as const;
export const DATABASES = ['sqlite', 'postgres'] as const;
export const LOAD_GENERATORS = ['wrk', 'autocannon'] as const;

export interface BenchOptions {
  help: boolean;
  quick: boolean;
  dbs: string[];
  /** Undefined: every scenario of the mode. */
  only: string[] | undefined;
  /** Measured seconds per run; undefined: the mode's. */
  duration: number | undefined;
  /** Settlements asked per second; undefined: the mode's. */
  settleRate: number | undefined;
  outageSeconds: number;
  /** The gateway's NOTIFY_RETRY_SECONDS in the bench. */
  retryCap: number;
  /** Gateway (and ceiling) processes on PostgreSQL. */
  processes: number;
  profile: boolean;
  /** Undefined: wrk when it is on PATH, else autocannon. */
  load: (typeof LOAD_GENERATORS)[number] | undefined;
  /** Interleaved gateway/ceiling pairs per compared scenario. */
  rounds: number;
  /** Long-polls held at once in the longpoll scenario. */
  longPolls: number;
  /** Settlements per second that end them. */
  longPollRate: number;
  /** Orders of the portal scenario's organisation (bench/portal.ts). */
  portalOrders: number;
}

interface OptionSpec {
  name: string;
  /** The value's placeholder; absent for a flag. */
  value?: string;
  help: string;
}

const OPTIONS: readonly OptionSpec[] = [
  { name: 'help', help: 'print these options and exit' },
  { name: 'quick', help: 'short runs on a 100,000-order table (3 s each, settlements at 500/s), no outage' },
  { name: 'db', value: 'sqlite,postgres', help: 'the databases to run on (default both; PostgreSQL is skipped when not reachable)' },
  { name: 'only', value: SCENARIOS.join(','), help: 'the scenarios to run (default all; the outage only in full runs)' },
  { name: 'duration', value: 'N', help: 'measured seconds per run (default 30, quick 3)' },
  { name: 'settle-rate', value: 'N', help: 'settlements asked per second in callback and outage (default 2000, quick 500)' },
  { name: 'outage-seconds', value: 'N', help: 'how long the merchant is down in the outage scenario (default 30)' },
  { name: 'retry-cap', value: 'N', help: "the gateway's NOTIFY_RETRY_SECONDS (default 1 in the bench)" },
  { name: 'processes', value: 'N', help: 'gateway and ceiling processes on PostgreSQL (default 1; SQLite has one)' },
  { name: 'profile', help: 'the gateway and the ceiling run with --cpu-prof into bench/results/profiles/{gateway,ceiling}/' },
  { name: 'load', value: LOAD_GENERATORS.join('|'), help: 'the load generator (default wrk when on PATH; settlements always autocannon)' },
  { name: 'rounds', value: 'N', help: 'gateway/ceiling pairs, interleaved, per compared scenario (default 2)' },
  { name: 'long-polls', value: 'N', help: 'is_block=1 queries held at once in the longpoll scenario (default 10000)' },
  { name: 'long-poll-rate', value: 'N', help: 'settlements per second that end them (default 2000)' },
  { name: 'portal-orders', value: 'N', help: "orders of the portal scenario's organisation (default 1000000, --quick too)" },
];

export class OptionError extends Error {}

/** The options of `argv` (what follows `npm run bench --`); throws OptionError on anything it does not know. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const given = new Map<string, string | true>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new OptionError(`${JSON.stringify(arg)} is not an option (options look like --name or --name=value)`);
    const [, name, value] = match;
    const spec = OPTIONS.find((o) => o.name === name);
    if (!spec) throw new OptionError(`unknown option --${name}`);
    if (given.has(name)) throw new OptionError(`--${name} is given twice`);
    if (spec.value === undefined && value !== undefined) throw new OptionError(`--${name} takes no value`);
    if (spec.value !== undefined && (value === undefined || value === '')) throw new OptionError(`--${name} needs a value: --${name}=${spec.value}`);
    given.set(name, value ?? true);
  }
  const text = (name: string) => {
    const value = given.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const whole = (name: string, min: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min) throw new OptionError(`--${name}=${value}: a whole number from ${min}`);
    return Number(value);
  };
  const list = <T extends string>(name: string, allowed: readonly T[]): T[] | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const items = value.split(',');
    const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (unknown.length > 0) throw new OptionError(`--${name}: unknown ${unknown.join(', ')} (known: ${allowed.join(', ')})`);
    return items as T[];
  };
  const load = text('load');
  if (load !== undefined && !(LOAD_GENERATORS as readonly string[]).includes(load)) throw new OptionError(`--load=${load}: wrk or autocannon`);
  return {
    help: given.has('help'),
    quick: given.has('quick'),
    dbs: list('db', DATABASES) ?? [...DATABASES],
    only: list('only', SCENARIOS),
    duration: whole('duration', 1),
    settleRate: whole('settle-rate', 1),
    outageSeconds: whole('outage-seconds', 1) ?? 30,
    retryCap: whole('retry-cap', 1) ?? 1,
    processes: whole('processes', 1) ?? 1,
    profile: given.has('profile'),
    load: load as BenchOptions['load'],
    rounds: whole('rounds', 1) ?? 2,
    longPolls: whole('long-polls', 1) ?? 10_000,
    longPollRate: whole('long-poll-rate', 1) ?? 2_000,
    portalOrders: whole('portal-orders', 1) ?? 1_000_000,
  };
}

/** What `--help` prints. */
export function formatBenchHelp(): string {
  return [
    'usage: npm run bench [-- OPTIONS]',
    '',
    ...OPTIONS.flatMap((o) => [`  --${o.name}${o.value === undefined ? '' : `=${o.value}`}`, `      ${o.help}`]),
    '',
    'Full runs take several minutes; --quick about one per database. See docs/performance.md.',
  ].join('\n');
}
