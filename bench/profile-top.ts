/**
 * `node --import tsx bench/profile-top.ts FILE.cpuprofile [N]`: the N functions with the
 * most self time in a V8 CPU profile (as written by `npm run bench -- --profile`), and
 * the same grouped by package / source folder. `--from=S` skips the first S seconds, `--to=S`
 * stops at S seconds (to read one measured run of a longer profile); `--requests=N` adds each
 * line's µs per request; `--inclusive` adds the time each function was on the stack.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [file, topText] = positional;
// --from=S skips the first S seconds (start-up: tsx compiling the sources) to see the load alone.
const fromSeconds = Number(process.argv.find((a) => a.startsWith('--from='))?.split('=')[1] ?? 0);
const toSeconds = Number(process.argv.find((a) => a.startsWith('--to='))?.split('=')[1] ?? Infinity);
// --requests=N (the answers of the run read): each line also says its µs per request.
const requests = Number(process.argv.find((a) => a.startsWith('--requests='))?.split('=')[1] ?? 0);
// --inclusive: also the time each function was on the stack (itself and what it called), idle left out.
const inclusive = process.argv.includes('--inclusive');
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [N] [--from=SECONDS] [--to=SECONDS]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const self = new Map<number, number>();
let total = 0;
let t = profile.startTime;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t - profile.startTime < fromSeconds * 1e6 || t - profile.startTime >= toSeconds * 1e6) return;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const s = /\/(src\/[^/]+)\//.exec(url);
  if (s) return s[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url ? url.replace(/^.*\//, '') : '(native/vm)';
};

const keyOf = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}  ${url ? url.replace(/^.*\/(node_modules|src)\//, '$1/') + ':' + (lineNumber + 1) : ''}`;
};
const functions = new Map<string, number>();
const groups = new Map<string, number>();
for (const [id, us] of self) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url } = node.callFrame;
  const key = keyOf(node);
  functions.set(key, (functions.get(key) ?? 0) + us);
  const group = functionName.startsWith('(') ? functionName : where(url);
  groups.set(group, (groups.get(group) ?? 0) + us);
}
const show = (title: string, map: Map<string, number>, n: number, of = total) => {
  console.log(`\n${title} (of ${(of / 1e6).toFixed(1)} s sampled${requests > 0 ? `, ${requests.toLocaleString('en-US')} requests` : ''})`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    const perRequest = requests > 0 ? `  ${(us / requests).toFixed(2).padStart(6)} µs/req` : '';
    console.log(`${((100 * us) / of).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms${perRequest}  ${key}`);
  }
};
show('self time by function', functions, Number(topText ?? 25));
show('self time by package / folder', groups, 15);

if (inclusive) {
  // Each sample counts once for every distinct function on its stack.
  const onStack = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    busy += us;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const node = byId.get(at);
      if (!node) break;
      const key = keyOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      onStack.set(key, (onStack.get(key) ?? 0) + us);
    }
  }
  show('time on the stack (inclusive) by function, idle left out', onStack, Number(topText ?? 25), busy);
}
