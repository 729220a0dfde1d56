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

/** Free text from the user that ends up in the cluster: one line, printable, bounded. */
export function sanitizeReason(reason: string): string {
  // eslint-disable-next-line no-control-regex
  return reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 512);
}
