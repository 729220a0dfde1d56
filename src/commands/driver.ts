// Which process drives a crr run, recorded so that a resume on the same machine can prove it dead (after kill -9)
// instead of waiting for its heartbeat to go stale. Linux only (/proc): elsewhere nothing is recorded and nothing is
// proved, and the heartbeat alone decides, as before.
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { DriverIdentity } from '../kruise/types';

/** Field 22 of /proc/<pid>/stat (clock ticks after boot); the command name before it may hold spaces and ')'. */
export function startTicksOf(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields counted from 3 (state) once pid and comm are cut off.
  const ticks = fields[22 - 3];
  return ticks && /^\d+$/.test(ticks) ? ticks : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * This process, as a later process on the same machine can check it: host name, boot id, PID namespace (two
 * containers may share a host name and a kernel, not a PID namespace), pid and the pid's start time.
 */
export function thisProcess(): DriverIdentity | undefined {
  try {
    const bootId = read('/proc/sys/kernel/random/boot_id')?.trim();
    const startTicks = startTicksOf(read(`/proc/${process.pid}/stat`) ?? '');
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    if (!bootId || !startTicks) return undefined;
    return { host: hostname(), bootId, pidNamespace, pid: process.pid, startTicks };
  } catch {
    return undefined;
  }
}

/** What /proc says now about the recorded pid: gone, another process under the same pid, or the very one. */
export function processNow(pid: number): 'gone' | { startTicks: string | undefined } {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return 'gone';
  return { startTicks: startTicksOf(stat) };
}
