import yaml from 'js-yaml';
import type { RestartProgress } from '../kruise/progress';

/** `-o json|yaml` for any plain document. */
export function formatDocument(doc: unknown, format: 'json' | 'yaml'): string {
  if (format === 'yaml') return yaml.dump(doc, { noRefs: true, lineWidth: -1 });
  // JSON.stringify leaves DEL and the C1 controls (one of them starts an escape sequence) raw; cluster text may carry
  // them, and the document is often read on a terminal. Escaped, the value is the same.
  return `${JSON.stringify(doc, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/**
 * The RestartProgress document. Both formats carry exactly the same fields: absent (undefined) fields are left out of
 * YAML as JSON leaves them out, instead of js-yaml refusing them.
 */
export function renderDocument(progress: RestartProgress, format: 'json' | 'yaml'): string {
  return formatDocument(JSON.parse(JSON.stringify(progress)) as unknown, format);
}
