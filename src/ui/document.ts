import yaml from 'js-yaml';

/**
 * `-o json|yaml` for any plain document (the RestartProgress among them). Both formats carry exactly the same fields:
 * YAML is dumped from the JSON form, so what JSON drops or turns into null (undefined, functions) YAML does too.
 */
export function formatDocument(doc: unknown, format: 'json' | 'yaml'): string {
  if (format === 'yaml') return yaml.dump(JSON.parse(JSON.stringify(doc) ?? 'null') as unknown, { noRefs: true, lineWidth: -1 });
  // JSON.stringify leaves DEL and the C1 controls (one of them starts an escape sequence) raw; cluster text may carry
  // them, and the document is often read on a terminal. Escaped, the value is the same.
  return `${JSON.stringify(doc, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
