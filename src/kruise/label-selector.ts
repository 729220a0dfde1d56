// Label selectors as users type them after -l, matched on the client: `crr` must see every pod of the CloneSet to
// count the ones already unavailable, so it narrows its own selection locally instead of asking the server twice.

export interface SelectorRequirement {
  key: string;
  operator: '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

export type ParsedSelector = { ok: true; requirements: SelectorRequirement[] } | { ok: false; error: string };

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses: `a in (x,y),b` has two requirements. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim());
}

function parseTerm(term: string): SelectorRequirement | string {
  let m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = m[3].split(',').map((v) => v.trim());
    const bad = values.find((v) => !VALUE.test(v));
    if (bad !== undefined) return `invalid value "${bad}"`;
    return { key: m[1], operator: m[2] as 'in' | 'notin', values };
  }
  m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) {
    if (!VALUE.test(m[3])) return `invalid value "${m[3]}"`;
    return { key: m[1], operator: m[2] === '!=' ? '!=' : '=', values: [m[3]] };
  }
  m = /^(!?)\s*(\S+)$/.exec(term);
  if (m) return { key: m[2], operator: m[1] ? '!exists' : 'exists', values: [] };
  return `cannot parse "${term}"`;
}

/** Parses a Kubernetes label selector (equality- and set-based), strictly: a typo must not select nothing silently. */
export function parseLabelSelector(text: string): ParsedSelector {
  const requirements: SelectorRequirement[] = [];
  if (!text.trim()) return { ok: true, requirements };
  for (const term of splitTerms(text)) {
    if (!term) return { ok: false, error: `empty requirement in "${text}"` };
    const parsed = parseTerm(term);
    if (typeof parsed === 'string') return { ok: false, error: `${parsed} in "${text}"` };
    if (!KEY.test(parsed.key)) return { ok: false, error: `invalid label key "${parsed.key}" in "${text}"` };
    requirements.push(parsed);
  }
  return { ok: true, requirements };
}

export function matchesSelector(labels: Record<string, string> | undefined, requirements: SelectorRequirement[]): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case '=':
        return has && l[r.key] === r.values[0];
      case '!=':
        return !has || l[r.key] !== r.values[0];
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}
