// The restart record on the CloneSet's metadata: how `status` finds the latest restart in another process.
import { PLUGIN, type CloneSet, type RestartRecord } from './types';

/** Never throws: a hand-edited or foreign annotation just means "no restart we know of". */
export function readRecord(cloneSet: CloneSet): RestartRecord | undefined {
  const raw = cloneSet.metadata.annotations?.[PLUGIN.lastRestartAnnotation];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<RestartRecord>;
    if ((parsed.mode !== 'inplace' && parsed.mode !== 'crr') || typeof parsed.run !== 'string' || typeof parsed.startedAt !== 'string') {
      return undefined;
    }
    return { ...parsed, containers: Array.isArray(parsed.containers) ? parsed.containers.map(String) : [] } as RestartRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(record: RestartRecord): string {
  return JSON.stringify(record);
}

// Escape sequences whole (CSI, OSC, and the 8-bit CSI), so no parameters are left behind as text.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u009b[0-?]*[ -/]*[@-~]|\u001b[@-_]/g;
// C0 and C1 controls and DEL, Unicode line/paragraph separators, and bidi overrides that reorder what is shown.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the cluster (messages, names) or the user, made safe for a terminal: nothing in it can move the cursor,
 * recolor, retitle the window or reorder the line. Newlines are kept; callers that need one line fold them.
 */
export function printable(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(UNPRINTABLE, ' ');
}

/** Free text from the user that ends up in the cluster: one line, printable, bounded. */
export function sanitizeReason(reason: string): string {
  const text = printable(reason).replace(/\s+/g, ' ').trim();
  // Cut on code points: half a surrogate pair is not valid text for the API server or the next reader.
  return [...text].slice(0, 512).join('').trim();
}

/**
 * A running `crr` renews `heartbeatAt` in its record this often, so another process can tell a run that is being
 * driven from one whose process is gone (killed, laptop closed, network lost).
 */
export const HEARTBEAT_EVERY_MS = 5_000;
/**
 * No heartbeat for this long (API server clock) and the run is interrupted. Generous against a slow API server and
 * missed beats; the clocks are the server's (from its Date header) on both sides, so machines' clocks do not matter.
 */
export const HEARTBEAT_STALE_MS = 30_000;

/**
 * An unfinished crr run that no process drives any more: its process said it stopped, or its heartbeat is stale.
 * Records without a heartbeat are judged by their start.
 */
export function crrRunAbandoned(record: RestartRecord, serverNow: number): boolean {
  if (record.mode !== 'crr' || record.finished) return false;
  if (typeof record.stoppedAt === 'string') return true;
  const beat = Date.parse(typeof record.heartbeatAt === 'string' ? record.heartbeatAt : record.startedAt);
  return !Number.isFinite(beat) || serverNow - beat > HEARTBEAT_STALE_MS;
}
