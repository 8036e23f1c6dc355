import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// No Docker engine runs on the development machine or in CI, so the image is never built
// here. These tests check what can be checked without one: the Dockerfile's stages and
// instructions, what the build context holds, and compose.yaml's services.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(ROOT + path, 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile's stages and their instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      assert.ok(match, `FROM ${instruction.args}`);
      stages.push({ from: match[1], name: match[2], instructions: [] });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { args, stages };
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
const execForm = (instruction: Instruction | undefined) => JSON.parse(instruction?.args ?? 'null') as string[];

describe('Dockerfile', () => {
  const { args, stages } = parseDockerfile(read('Dockerfile'));
  const build = stages.find((s) => s.name === 'build');
  const runtime = stages.at(-1) as Stage;

  test('two stages, build then runtime, on the same Node 20 base image', () => {
    assert.deepEqual(stages.map((s) => s.name), ['build', 'runtime']);
    assert.ok(build);
    assert.equal(build.from, runtime.from, 'the native module is built for the libc it runs on');
    const base = args.find((a) => a.keyword === 'ARG' && build.from === `\${${a.args.split('=')[0]}}`);
    assert.ok(base, `the base image is an ARG: ${build.from}`);
    assert.match(base.args, /=node:20(\.\d+)*-/, 'Node 20, as package.json engines');
  });

  test('the build stage installs every dependency, compiles, then drops the development ones', () => {
    assert.ok(build);
    const runs = all(build, 'RUN').map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const compile = runs.findIndex((r) => r.includes('scripts/build.mjs'));
    const prune = runs.findIndex((r) => /npm prune --omit=dev/.test(r));
    assert.ok(ci >= 0 && !/--omit=dev|--production/.test(runs[ci]), 'npm ci with the dev dependencies (TypeScript)');
    assert.ok(compile > ci && prune >= compile, 'compiled, then pruned');
  });

  test('the runtime stage: production mode, a non-root user, the data volume, port 8080, a health check and `node bin/latipay.mjs serve`', () => {
    assert.deepEqual(all(runtime, 'ENV').map((i) => i.args), ['NODE_ENV=production']);
    assert.ok(!all(runtime, 'RUN').some((i) => /npm (ci|install)/.test(i.args)), 'no install in the runtime stage: it copies the pruned node_modules');
    const user = last(runtime, 'USER')?.args;
    assert.ok(user && !['root', '0', '0:0'].includes(user), `runs as ${user}`);
    assert.deepEqual(execForm(last(runtime, 'VOLUME')), ['/app/data']);
    assert.equal(last(runtime, 'EXPOSE')?.args, '8080');
    assert.equal(last(runtime, 'WORKDIR')?.args, '/app');
    const healthcheck = last(runtime, 'HEALTHCHECK')?.args ?? '';
    assert.match(healthcheck, /--interval=\d+s/);
    assert.match(healthcheck, /CMD \["node", "-e", ".*\/healthz.*"\]$/);
    assert.deepEqual([...execForm(last(runtime, 'ENTRYPOINT')), ...execForm(last(runtime, 'CMD'))], ['node', 'bin/latipay.mjs', 'serve']);
    // What the runtime copies from the build stage: the compiled gateway, not its sources.
    const fromBuild = all(runtime, 'COPY').filter((i) => i.args.startsWith('--from=build'));
    const copied = fromBuild.map((i) => i.args.split(/\s+/).slice(1, -1)).flat();
    assert.ok(copied.includes('/app/dist') && copied.includes('/app/node_modules') && copied.includes('/app/bin'));
    assert.ok(!copied.some((path) => path === '/app/src'), 'bin/latipay.mjs runs dist/ when src/ is absent');
  });

  test('every file copied from the build context exists and is not left out by .dockerignore', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = stages
      .flatMap((s) => all(s, 'COPY'))
      .filter((i) => !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    assert.ok(sources.includes('src') && sources.includes('package-lock.json'));
    for (const source of sources) {
      assert.ok(existsSync(ROOT + source), `${source} exists`);
      assert.ok(!ignored.includes(source), `${source} is not in .dockerignore`);
    }
  });

  test('.dockerignore keeps secrets, local state and installed modules out of the build context', () => {
    const ignored = new Set(read('.dockerignore').split('\n').map((l) => l.trim()));
    for (const entry of ['.env', '.env.*', 'secrets', 'secret.key', 'data', 'node_modules', 'dist', '.git']) assert.ok(ignored.has(entry), entry);
  });
});

describe('compose.yaml', () => {
  type Service = {
    image?: string;
    build?: unknown;
    command?: string[];
    environment?: Record<string, string>;
    secrets?: string[];
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test?: string[]; disable?: boolean };
    ports?: string[];
  };
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; secrets: Record<string, { file: string }> };
  const services = compose.services;
  const gateways = ['gateway-1', 'gateway-2'];
  const ours = ['migrate', ...gateways, 'worker'];

  test('PostgreSQL, migrate, two API instances without a worker, and one worker', () => {
    assert.deepEqual(Object.keys(services).sort(), ['gateway-1', 'gateway-2', 'migrate', 'postgres', 'worker']);
    assert.deepEqual(services.migrate.command, ['migrate']);
    for (const name of gateways) assert.deepEqual(services[name].command, ['serve', '--no-worker'], name);
    assert.deepEqual(services.worker.command, ['worker']);
    for (const name of ours) assert.equal(services[name].image, 'latipay-gateway:latest', name);
    assert.match(String(services.postgres.image), /^postgres:\d+/);
  });

  test('the gateways and the worker start once PostgreSQL is healthy and migrate has finished', () => {
    assert.deepEqual(services.migrate.depends_on, { postgres: { condition: 'service_healthy' } });
    for (const name of [...gateways, 'worker']) {
      assert.deepEqual(services[name].depends_on, { postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } }, name);
    }
  });

  test('every process gets the same SECRET_KEY (one Compose secret) and the same database, in production mode', () => {
    assert.ok(compose.secrets.secret_key.file);
    for (const name of ours) {
      const environment = services[name].environment ?? {};
      assert.deepEqual(services[name].secrets, ['secret_key'], name);
      assert.equal(environment.SECRET_KEY_FILE, '/run/secrets/secret_key', name);
      assert.equal(environment.SECRET_KEY, undefined, `${name}: the key is not written into the file`);
      assert.equal(environment.NODE_ENV, 'production');
      assert.match(environment.DATABASE_URL, /^postgres:\/\/latipay:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/latipay$/);
    }
  });

  test('health checks: pg_isready, /healthz on each gateway, /healthz on the worker’s METRICS_PORT', () => {
    assert.match(services.postgres.healthcheck?.test?.join(' ') ?? '', /pg_isready/);
    for (const name of gateways) assert.match(services[name].healthcheck?.test?.join(' ') ?? '', /127\.0\.0\.1:8080\/healthz/, name);
    const port = services.worker.environment?.METRICS_PORT;
    assert.ok(port);
    assert.ok(services.worker.healthcheck?.test?.join(' ').includes(`127.0.0.1:${port}/healthz`));
    assert.equal(services.migrate.healthcheck?.disable, true);
  });

  test('every variable given to the gateway is a setting src/config.ts reads', () => {
    const config = read('src/config.ts');
    for (const name of ours) {
      for (const variable of Object.keys(services[name].environment ?? {})) {
        assert.ok(config.includes(`'${variable}'`) || config.includes(`env.${variable}`), `${name}: ${variable} is not a setting`);
      }
    }
  });
});
