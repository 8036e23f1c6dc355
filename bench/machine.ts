import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** What the figures were measured on. */
export const nproc = () => os.availableParallelism();
export const cpus = (): string => {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
};
export const { freemem, loadavg, totalmem, tmpdir } = os;
