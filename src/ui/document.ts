import yaml from 'js-yaml';
import type { RestartProgress } from '../kruise/progress';

/** `-o json|yaml` for any plain document. */
export function formatDocument(doc: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

/**
 * The RestartProgress document. Both formats carry exactly the same fields: absent (undefined) fields are left out of
 * YAML as JSON leaves them out, instead of js-yaml refusing them.
 */
export function renderDocument(progress: RestartProgress, format: 'json' | 'yaml'): string {
  return formatDocument(JSON.parse(JSON.stringify(progress)) as unknown, format);
}
