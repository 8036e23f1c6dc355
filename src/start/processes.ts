import cluster, { type Worker } from 'node:cluster';
import { ConfigError, type Config } from '../config.js';
import { createSandboxMerchantOnce, logStart, openRuntime, prepareDatabase, type ServeOptions } from './serve.js';

/** A process that exits this often within CRASH_WINDOW_MS means something is wrong for good. */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1_000;
/** Each process forces its own exit after 30 s of shutdown; the parent waits a little longer. */
const SHUTDOWN_LIMIT_MS = 35_000;

/**
 * `latipay serve --processes N` (or PROCESSES=N) on PostgreSQL: N gateway processes share
 * one port (node:cluster; the parent accepts connections and hands them out in turn), so a
 * box with more than one core runs more than one event loop. Each process is a complete
 * instance, as in a scale-out behind a load balancer: its own pool, callback delivery and
 * expiry sweep, coordinated through the database.
 *
 * The parent migrates the database, seeds the rates and creates the sandbox merchant once,
 * then only supervises: a process that dies is started again after a second (a crash loop,
 * CRASH_LIMIT exits within a minute, stops everything with exit code 1), and SIGTERM/SIGINT
 * are passed on to every process, each finishing its requests in flight, before the parent
 * exits.
 *
 * SQLite is refused: it has one writer, and its group commit and WAL sync live in one
 * process.
 */
export async function serveProcesses(config: Config, options: ServeOptions): Promise<void> {
  // Refused before anything is opened or created.
  if (config.databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError('PROCESSES', 'more than one process needs PostgreSQL (DATABASE_URL is SQLite, which has one writer); use 1');
  }
  const { log, secrets, store } = await openRuntime(config);
  try {
    logStart(config, log, store.kind);
    await prepareDatabase(config, store);
  } catch (error) {
    await store.close();
    throw error;
  }
  // The sandbox merchant is made (and shown) once a process listens; then the parent's
  // connection is no longer needed.
  cluster.once('listening', () => {
    const made = options.api ? createSandboxMerchantOnce(config, log, store, secrets) : Promise.resolve();
    void made
      .catch((error: unknown) => log.error({ err: error }, 'could not create the sandbox merchant'))
      .finally(() => store.close());
  });

  let stopping = false;
  const exits: number[] = [];
  const start = (): Worker => {
    const worker = cluster.fork();
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const now = Date.now();
      exits.push(now);
      while (exits.length > 0 && exits[0] < now - CRASH_WINDOW_MS) exits.shift();
      if (exits.length >= CRASH_LIMIT) {
        log.fatal({ code, signal, exits: exits.length }, 'gateway processes keep exiting; stopping');
        void stop(1);
        return;
      }
      log.error({ processPid: worker.process.pid, code, signal }, 'a gateway process exited; starting another');
      setTimeout(() => {
        if (!stopping) start();
      }, RESTART_DELAY_MS);
    });
    return worker;
  };

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      log.error('gateway processes took too long to stop; exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const codes = await Promise.all(
      running.map(
        (worker) =>
          new Promise<number>((resolve) => {
            // One still starting dies of the signal itself: that is a clean stop too.
            worker.once('exit', (code, signal) => resolve(signal === 'SIGTERM' ? 0 : (code ?? 1)));
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    log.info({ processes: running.length }, 'stopped');
    process.exit(exitCode !== 0 ? exitCode : codes.every((code) => code === 0) ? 0 : 1);
  };

  for (let i = 0; i < config.processes; i++) start();
  log.info({ processes: config.processes, port: config.port }, 'latipay gateway starting its processes');
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
}
