// Shell completion, in Cobra's `__complete` protocol: kubectl (>= 1.26) runs `kubectl_complete-kruise_restart <words> ''`
// and reads one candidate per line ("value<TAB>description"), then a last line `:<directive>`. The same engine serves
// the bash/zsh/fish scripts of `completion`. Deciding what to complete is pure and needs no cluster; only CloneSet,
// container, run, pod and namespace names come from the lazily loaded runtime (`completionCandidates`).
import type { CompletionLookup, LookupKind } from '../commands/context';
import type { ConnectionFlags } from '../kube/config';
import { COMMANDS, findFlag, flagsOf, type FlagSpec } from './options';
import { cloneSetTarget } from './target';

/** Cobra's ShellCompDirective bits. */
export const DIRECTIVE = { default: 0, error: 1, noSpace: 2, noFileComp: 4, keepOrder: 32 } as const;

export type { LookupKind };
export { COMMANDS };

export type { CompletionLookup };

export interface CompletionPlan {
  /** "value" or "value\tdescription", not yet filtered by the typed prefix. */
  candidates: string[];
  lookup?: CompletionLookup;
  /** The part of the word being completed that candidates must start with. */
  prefix: string;
  directive: number;
}

const CONNECTION_KEYS: Record<string, keyof ConnectionFlags> = {
  kubeconfig: 'kubeconfig',
  context: 'context',
  cluster: 'cluster',
  user: 'user',
  namespace: 'namespace',
  'request-timeout': 'requestTimeout',
  as: 'as',
};

const describe = (value: string, text: string) => `${value}\t${text}`;

/** cloneset/web completes like web; another kind has no containers or runs to offer. */
function targetName(word: string): string | undefined {
  try {
    return cloneSetTarget(word);
  } catch {
    return undefined;
  }
}

/**
 * `words`: what follows the program name, the last one being the word under the cursor ('' for a new word).
 */
export function planCompletion(words: string[]): CompletionPlan {
  const typed = words.slice(0, -1);
  const current = words.length ? words[words.length - 1] : '';
  let command: string | undefined;
  let cloneSet: string | undefined;
  let positionalDone = false;
  let afterDashes = false;
  let pendingValue: FlagSpec | undefined;
  const used = new Set<string>();
  const connection: ConnectionFlags = {};

  const remember = (flag: FlagSpec, value: string) => {
    const key = CONNECTION_KEYS[flag.name];
    if (key && key !== 'asGroup') (connection as Record<string, string>)[key] = value;
  };

  // Flags may come before the command (global ones) or after it, as with kubectl.
  for (const word of typed) {
    if (pendingValue) {
      remember(pendingValue, word);
      pendingValue = undefined;
      continue;
    }
    if (!afterDashes && word === '--') {
      afterDashes = true;
      continue;
    }
    if (!afterDashes && word.startsWith('-') && word.length > 1) {
      const [head, inline] = word.split(/=(.*)/s, 2);
      const flag = findFlag(flagsOf(command), head);
      if (!flag) continue;
      used.add(flag.name);
      if (flag.value && inline === undefined) pendingValue = flag;
      else if (flag.value && inline !== undefined) remember(flag, inline);
      continue;
    }
    if (!command) command = word;
    else if (!positionalDone) {
      cloneSet = targetName(word);
      positionalDone = true;
    }
  }

  const spec = command ? COMMANDS[command] : undefined;
  const lookup = (kind: LookupKind, prefix: string): CompletionPlan => {
    const needsCloneSet = kind === 'containers' || kind === 'runs' || kind === 'resumableRuns' || kind === 'pods';
    if (needsCloneSet && !(spec?.positional === 'clonesets' && cloneSet)) return { candidates: [], prefix, directive: DIRECTIVE.noFileComp };
    return { candidates: [], prefix, directive: DIRECTIVE.noFileComp, lookup: { kind, cloneSet: needsCloneSet ? cloneSet : undefined, connection } };
  };
  const valuesOf = (flag: FlagSpec, prefix: string): CompletionPlan => {
    if (Array.isArray(flag.value)) return { candidates: [...flag.value], prefix, directive: DIRECTIVE.noFileComp };
    if (flag.value === 'file') return { candidates: [], prefix, directive: DIRECTIVE.default };
    if (flag.value === 'free' || flag.value === 'number' || flag.value === undefined) return { candidates: [], prefix, directive: DIRECTIVE.noFileComp };
    return lookup(flag.value as LookupKind, prefix);
  };

  if (pendingValue) return valuesOf(pendingValue, current);
  if (command && !spec) return { candidates: [], prefix: current, directive: DIRECTIVE.noFileComp };

  if (!afterDashes && current.startsWith('-')) {
    const [head, inline] = current.split(/=(.*)/s, 2);
    if (inline !== undefined) {
      const flag = findFlag(flagsOf(command), head);
      return flag?.value ? valuesOf(flag, inline) : { candidates: [], prefix: inline, directive: DIRECTIVE.noFileComp };
    }
    const candidates: string[] = [];
    for (const flag of flagsOf(command)) {
      if (used.has(flag.name) && !flag.repeatable) continue;
      candidates.push(describe(`--${flag.name}`, flag.describe));
      if (flag.negatable) candidates.push(describe(`--no-${flag.name}`, `Not: ${flag.describe.toLowerCase()}`));
      if (flag.short && current.length <= 2 && !current.startsWith('--')) candidates.push(describe(`-${flag.short}`, flag.describe));
    }
    return { candidates, prefix: current, directive: DIRECTIVE.noFileComp };
  }

  if (!command) {
    return { candidates: Object.entries(COMMANDS).map(([name, c]) => describe(name, c.describe)), prefix: current, directive: DIRECTIVE.noFileComp };
  }
  if (positionalDone || !spec?.positional) return { candidates: [], prefix: current, directive: DIRECTIVE.noFileComp };
  if (spec.positional === 'clonesets') return lookup('clonesets', current);
  return { candidates: [...spec.positional], prefix: current, directive: DIRECTIVE.noFileComp };
}

/** Candidates starting with the typed prefix (descriptions aside), the directive last: what `__complete` prints. */
export function formatCompletion(candidates: string[], prefix: string, directive: number, descriptions = true): string {
  const kept = candidates.filter((c) => c.split('\t')[0].startsWith(prefix)).map((c) => (descriptions ? c : c.split('\t')[0]));
  return [...kept, `:${directive}`].join('\n') + '\n';
}

export type CandidateSource = (lookup: CompletionLookup) => Promise<string[]>;

/** Whatever goes wrong (no kubeconfig, cluster down, forbidden), completion just offers nothing: never an error. */
export async function complete(words: string[], source: CandidateSource, opts: { descriptions?: boolean; deadlineMs?: number; debug?: (line: string) => void } = {}): Promise<string> {
  const descriptions = opts.descriptions ?? true;
  let plan: CompletionPlan;
  try {
    plan = planCompletion(words);
  } catch {
    return formatCompletion([], '', DIRECTIVE.noFileComp, descriptions);
  }
  let candidates = plan.candidates;
  if (plan.lookup) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), opts.deadlineMs ?? 5_000)));
    try {
      candidates = await Promise.race([source(plan.lookup), deadline]);
    } catch (err) {
      opts.debug?.(`completion lookup of ${plan.lookup.kind} failed: ${err instanceof Error ? err.message : String(err)}`);
      candidates = [];
    } finally {
      clearTimeout(timer);
    }
  }
  return formatCompletion(candidates, plan.prefix, plan.directive, descriptions);
}
