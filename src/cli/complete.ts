// Shell completion, in Cobra's `__complete` protocol: kubectl (>= 1.26) runs `kubectl_complete-kruise_restart <words> ''`
// and reads one candidate per line ("value<TAB>description"), then a last line `:<directive>`. The same engine serves
// the bash/zsh/fish scripts of `completion`. Deciding what to complete is pure and needs no cluster; only CloneSet,
// container, run, pod and namespace names come from the lazily loaded runtime (`completionCandidates`).
import type { ConnectionFlags } from '../kube/config';

/** Cobra's ShellCompDirective bits. */
export const DIRECTIVE = { default: 0, error: 1, noSpace: 2, noFileComp: 4, keepOrder: 32 } as const;

export type LookupKind = 'clonesets' | 'containers' | 'runs' | 'pods' | 'namespaces' | 'contexts' | 'clusters' | 'users';

export interface CompletionLookup {
  kind: LookupKind;
  /** The CloneSet named on the line, for containers, runs and pods. */
  cloneSet?: string;
  /** --kubeconfig, --context, -n ... as typed on the line: completion must look where the command would. */
  connection: ConnectionFlags;
}

export interface CompletionPlan {
  /** "value" or "value\tdescription", not yet filtered by the typed prefix. */
  candidates: string[];
  lookup?: CompletionLookup;
  /** The part of the word being completed that candidates must start with. */
  prefix: string;
  directive: number;
}

type ValueKind = LookupKind | 'file' | 'free';

interface FlagSpec {
  name: string;
  short?: string;
  describe: string;
  /** Absent: a boolean flag. */
  value?: ValueKind | readonly string[];
  /** May be given more than once, so it stays offered after use. */
  repeatable?: boolean;
  /** Offer `--no-<name>` too. */
  negatable?: boolean;
}

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', describe: 'Path to the kubeconfig file', value: 'file' },
  { name: 'context', describe: 'The kubeconfig context to use', value: 'contexts' },
  { name: 'cluster', describe: 'The kubeconfig cluster to use', value: 'clusters' },
  { name: 'user', describe: 'The kubeconfig user to use', value: 'users' },
  { name: 'namespace', short: 'n', describe: 'Namespace', value: 'namespaces' },
  { name: 'request-timeout', describe: 'Time to wait for one API request', value: 'free' },
  { name: 'as', describe: 'Username to impersonate', value: 'free' },
  { name: 'as-group', describe: 'Group to impersonate', value: 'free', repeatable: true },
  { name: 'verbosity', short: 'v', describe: 'Log level', value: 'free' },
  { name: 'color', describe: 'Colour on a terminal', negatable: true },
  { name: 'help', short: 'h', describe: 'Show help' },
];

const output = (choices: string[]): FlagSpec => ({ name: 'output', short: 'o', describe: 'Output format', value: choices });
const DRY_RUN: FlagSpec = { name: 'dry-run', describe: 'Print the plan, change nothing', value: ['none', 'client', 'server'] };
const TIMEOUT: FlagSpec = { name: 'timeout', describe: 'Stop waiting after this long', value: 'free' };

interface CommandSpec {
  describe: string;
  /** What the one positional argument is. */
  positional?: 'clonesets' | readonly string[];
  flags: FlagSpec[];
}

/** Kept in step with program.ts by test/unit/complete.test.ts, which compares it with each command's --help. */
export const COMMANDS: Record<string, CommandSpec> = {
  inplace: {
    describe: 'Restart the containers of every pod in place',
    positional: 'clonesets',
    flags: [
      output(['json', 'yaml', 'wide']),
      TIMEOUT,
      { name: 'wait', describe: 'Follow the restart to the end', negatable: true },
      { name: 'container', short: 'c', describe: 'Restart only these wired containers', value: 'containers', repeatable: true },
      { name: 'setup', describe: 'Add the trigger env var first (recreates every pod once)' },
      { name: 'env-name', describe: 'Env var name for --setup', value: 'free' },
      { name: 'annotation', describe: 'Trigger annotation key for --setup', value: 'free' },
      { name: 'yes', short: 'y', describe: 'Do not ask for confirmation' },
      { name: 'allow-recreate', describe: 'Under ReCreate, accept a rolling recreate' },
      { name: 'force', describe: 'Start although a rollout is in progress' },
      { name: 'reason', describe: 'Why: recorded on the CloneSet and in the Event', value: 'free' },
      DRY_RUN,
      { name: 'pause-on-failure', describe: 'Pause the CloneSet if a pod does not become ready again' },
      { name: 'ready-timeout', describe: 'A pod not Ready again within this long fails the restart', value: 'free' },
    ],
  },
  crr: {
    describe: 'Restart chosen containers with ContainerRecreateRequests',
    positional: 'clonesets',
    flags: [
      output(['json', 'yaml', 'wide']),
      TIMEOUT,
      { name: 'container', short: 'c', describe: 'Container to restart', value: 'containers', repeatable: true },
      { name: 'all-containers', describe: 'Restart every container of each pod' },
      { name: 'selector', short: 'l', describe: 'Only pods matching this label selector', value: 'free' },
      { name: 'pod', describe: 'Only these pods', value: 'pods', repeatable: true },
      { name: 'max-unavailable', describe: 'Pods restarting at once: number or percent', value: 'free' },
      { name: 'min-ready-seconds', describe: 'Ready this long to count as available', value: 'free' },
      { name: 'ready-timeout', describe: 'A pod not Ready again within this long fails the run', value: 'free' },
      { name: 'max-failures', describe: 'Failed pods tolerated before no more requests start', value: 'free' },
      { name: 'failure-policy', describe: 'CRR failurePolicy', value: ['Fail', 'Ignore'] },
      { name: 'ordered', describe: 'Restart the containers of a pod one after another' },
      { name: 'force-recreate', describe: 'Restart even containers that restarted on their own' },
      { name: 'grace-period', describe: 'terminationGracePeriodSeconds for the killed containers', value: 'free' },
      { name: 'unready-grace-period', describe: 'Mark the pod NotReady this many seconds before the kill', value: 'free' },
      { name: 'min-started-seconds', describe: 'A new container must run this long to count', value: 'free' },
      { name: 'active-deadline', describe: 'Seconds before Kruise gives up on one request', value: 'free' },
      { name: 'ttl', describe: 'Seconds Kruise keeps finished requests', value: 'free' },
      { name: 'resume', describe: 'Finish an interrupted run', value: 'runs' },
      { name: 'new', describe: 'Start a new run although an unfinished one exists' },
      DRY_RUN,
    ],
  },
  status: {
    describe: 'Show where the latest restart of a CloneSet stands',
    positional: 'clonesets',
    flags: [
      output(['json', 'yaml', 'wide']),
      { name: 'watch', short: 'w', describe: 'Follow until the restart completes or fails' },
      TIMEOUT,
      { name: 'run', describe: 'Show this CRR run instead of the latest restart', value: 'runs' },
    ],
  },
  version: { describe: 'Print the plugin version, commit and Node runtime', flags: [output(['json', 'yaml'])] },
  completion: { describe: 'Print a shell completion script', positional: ['bash', 'zsh', 'fish', 'kubectl'], flags: [] },
};

const ROOT_FLAGS: FlagSpec[] = [{ name: 'version', describe: 'Print the version and exit' }];

const CONNECTION_KEYS: Record<string, keyof ConnectionFlags> = {
  kubeconfig: 'kubeconfig',
  context: 'context',
  cluster: 'cluster',
  user: 'user',
  namespace: 'namespace',
  'request-timeout': 'requestTimeout',
  as: 'as',
};

function flagsOf(command: string | undefined): FlagSpec[] {
  return [...GLOBAL_FLAGS, ...(command && COMMANDS[command] ? COMMANDS[command].flags : ROOT_FLAGS)];
}

function findFlag(flags: FlagSpec[], word: string): FlagSpec | undefined {
  if (word.startsWith('--')) {
    const name = word.slice(2);
    return flags.find((f) => f.name === name || (f.negatable && name === `no-${f.name}`));
  }
  return flags.find((f) => f.short === word.slice(1) || f.name === word.slice(1));
}

const describe = (value: string, text: string) => `${value}\t${text}`;

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
      cloneSet = word;
      positionalDone = true;
    }
  }

  const spec = command ? COMMANDS[command] : undefined;
  const lookup = (kind: LookupKind, prefix: string): CompletionPlan => {
    const needsCloneSet = kind === 'containers' || kind === 'runs' || kind === 'pods';
    if (needsCloneSet && !(spec?.positional === 'clonesets' && cloneSet)) return { candidates: [], prefix, directive: DIRECTIVE.noFileComp };
    return { candidates: [], prefix, directive: DIRECTIVE.noFileComp, lookup: { kind, cloneSet: needsCloneSet ? cloneSet : undefined, connection } };
  };
  const valuesOf = (flag: FlagSpec, prefix: string): CompletionPlan => {
    if (Array.isArray(flag.value)) return { candidates: [...flag.value], prefix, directive: DIRECTIVE.noFileComp };
    if (flag.value === 'file') return { candidates: [], prefix, directive: DIRECTIVE.default };
    if (flag.value === 'free' || flag.value === undefined) return { candidates: [], prefix, directive: DIRECTIVE.noFileComp };
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
