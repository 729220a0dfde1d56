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
