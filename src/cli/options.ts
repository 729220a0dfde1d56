// The flags of every command, as data: the command-line check (argv.ts) and completion (complete.ts) read them, and
// test/unit/options.test.ts keeps them in step with the yargs definitions in program.ts.

import type { LookupKind } from '../commands/context';

/** Where completion finds values: names from the cluster or the kubeconfig. */
export type { LookupKind };

/** `number`: checked as a number before any command runs; `free`: text the command validates itself. */
export type ValueKind = LookupKind | 'file' | 'free' | 'number';

export interface FlagSpec {
  name: string;
  short?: string;
  /** Other long spellings (`--v` for `--verbosity`, as kubectl writes it). */
  aliases?: string[];
  describe: string;
  /** Absent: a boolean flag. A list: the only values allowed. */
  value?: ValueKind | readonly string[];
  /** A typical value, shown when the value is missing: "e.g. -n shop". */
  example?: string;
  /** The value a bare flag means (kubectl's --dry-run is --dry-run=client); any other value needs `=`. */
  bare?: string;
  /** May be given more than once, so it stays offered after use. */
  repeatable?: boolean;
  /** Offer `--no-<name>` too. */
  negatable?: boolean;
  /** What the command gets when the flag is not typed (yargs' default in program.ts: test/unit/parse.test.ts compares). */
  default?: string | number | boolean;
}

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', describe: 'Path to the kubeconfig file', value: 'file', example: '~/.kube/config' },
  { name: 'context', describe: 'The kubeconfig context to use', value: 'contexts', example: 'prod' },
  { name: 'cluster', describe: 'The kubeconfig cluster to use', value: 'clusters', example: 'prod' },
  { name: 'user', describe: 'The kubeconfig user to use', value: 'users', example: 'admin' },
  { name: 'namespace', short: 'n', describe: 'Namespace', value: 'namespaces', example: 'shop' },
  { name: 'request-timeout', describe: 'Time to wait for one API request', value: 'free', example: '10s' },
  { name: 'as', describe: 'Username to impersonate', value: 'free', example: 'jane' },
  { name: 'as-group', describe: 'Group to impersonate', value: 'free', example: 'ops', repeatable: true },
  { name: 'verbosity', short: 'v', aliases: ['v'], describe: 'Log level', value: 'number', example: '6', default: 0 },
  { name: 'color', describe: 'Colour on a terminal', negatable: true, default: true },
  { name: 'help', short: 'h', describe: 'Show help' },
];

const output = (choices: string[]): FlagSpec => ({ name: 'output', short: 'o', describe: 'Output format', value: choices });
const DRY_RUN: FlagSpec = { name: 'dry-run', describe: 'Print the plan, change nothing', value: ['none', 'client', 'server'], bare: 'client' };
const FIELD_MANAGER: FlagSpec = { name: 'field-manager', describe: 'Name our writes carry in managedFields and audit logs', value: 'free', example: 'kubectl-kruise-restart' };
const TIMEOUT: FlagSpec = { name: 'timeout', describe: 'Stop waiting after this long', value: 'free', example: '10m', default: '0' };
const KIND: FlagSpec = { name: 'kind', describe: 'Kind for -l/--all: cloneset, asts or ads (default cloneset)', value: 'free', example: 'asts' };
const ALL: FlagSpec = { name: 'all', describe: 'Every workload of the kind in the namespace' };

export interface CommandSpec {
  describe: string;
  /** What the positional argument is. */
  positional?: 'clonesets' | readonly string[];
  /** Several workloads: more than one target, or -l/--selector, --all (with the kind as --kind or a TYPE word). */
  many?: boolean;
  flags: FlagSpec[];
}

export const COMMANDS: Record<string, CommandSpec> = {
  inplace: {
    describe: 'Restart the containers of every pod in place',
    positional: 'clonesets',
    many: true,
    flags: [
      output(['json', 'yaml', 'wide', 'name']),
      { name: 'selector', short: 'l', describe: 'Restart every workload of the kind matching this label selector', value: 'free', example: 'tier=web' },
      KIND,
      ALL,
      { name: 'skip-refused', describe: 'With several workloads: go on with the others when some are refused' },
      { name: 'parallel', describe: 'With several workloads: restart this many at once (default 1)', value: 'number', example: '2' },
      TIMEOUT,
      { name: 'wait', describe: 'Follow the restart to the end', negatable: true, default: true },
      { name: 'container', short: 'c', describe: 'Restart only these wired containers', value: 'containers', example: 'app', repeatable: true },
      { name: 'setup', describe: 'Add the trigger env var first (recreates every pod once)', default: false },
      { name: 'env-name', describe: 'Env var name for --setup', value: 'free', example: 'KRUISE_RESTARTED_AT' },
      { name: 'annotation', describe: 'Trigger annotation key for --setup', value: 'free', example: 'kruise-restart.dev/restarted-at' },
      { name: 'yes', short: 'y', describe: 'Do not ask for confirmation', default: false },
      { name: 'allow-recreate', describe: 'Under ReCreate, accept a rolling recreate', default: false },
      { name: 'force', describe: 'Start although a rollout is in progress', default: false },
      { name: 'ignore-owner', describe: 'Restart a CloneSet another controller owns (it may revert the change)', default: false },
      { name: 'reason', describe: 'Why: recorded on the CloneSet and in the Event', value: 'free', example: '"rotated secret"' },
      DRY_RUN,
      { name: 'pause-on-failure', describe: 'Pause the CloneSet if a pod does not become ready again', default: false },
      { name: 'ready-timeout', describe: 'A pod not Ready again within this long fails the restart', value: 'free', example: '10m', default: '10m' },
      FIELD_MANAGER,
      { name: 'canary', describe: 'Restart this many pods first, then hold', value: 'free', example: '1' },
      { name: 'canary-wait', describe: 'Go on once the canary stayed Ready this long', value: 'free', example: '5m' },
      { name: 'batches', describe: 'Restart in this many batches', value: 'free', example: '3' },
      { name: 'batch-size', describe: 'Restart in batches of this many pods', value: 'free', example: '2' },
      { name: 'pause', describe: 'Wait this long between batches', value: 'free', example: '1m' },
      { name: 'continue', describe: 'Go on with the staged restart on the CloneSet' },
    ],
  },
  crr: {
    describe: 'Restart chosen containers with ContainerRecreateRequests',
    positional: 'clonesets',
    many: true,
    flags: [
      output(['json', 'yaml', 'wide', 'name']),
      KIND,
      ALL,
      { name: 'yes', short: 'y', describe: 'Do not ask for confirmation' },
      { name: 'skip-refused', describe: 'With several workloads: go on with the others when some are refused' },
      { name: 'parallel', describe: 'With several workloads: restart this many at once (default 1)', value: 'number', example: '2' },
      TIMEOUT,
      { name: 'container', short: 'c', describe: 'Container to restart', value: 'containers', example: 'app', repeatable: true },
      { name: 'all-containers', describe: 'Restart every container of each pod' },
      { name: 'selector', short: 'l', describe: 'Pods of the workloads named, or the workloads when none is named', value: 'free', example: 'zone=a' },
      { name: 'pod', describe: 'Only these pods', value: 'pods', example: 'web-x7k2p', repeatable: true },
      { name: 'max-unavailable', describe: 'Pods restarting at once: number or percent', value: 'free', example: '2' },
      { name: 'min-ready-seconds', describe: 'Ready this long to count as available', value: 'number', example: '10' },
      { name: 'ready-timeout', describe: 'A pod not Ready again within this long fails the run', value: 'free', example: '5m' },
      { name: 'max-failures', describe: 'Failed pods tolerated before no more requests start', value: 'number', example: '1' },
      { name: 'failure-policy', describe: 'CRR failurePolicy', value: ['Fail', 'Ignore'] },
      { name: 'ordered', describe: 'Restart the containers of a pod one after another' },
      { name: 'force-recreate', describe: 'Restart even containers that restarted on their own' },
      { name: 'grace-period', describe: 'terminationGracePeriodSeconds for the killed containers', value: 'number', example: '30' },
      { name: 'unready-grace-period', describe: 'Mark the pod NotReady this many seconds before the kill', value: 'number', example: '5' },
      { name: 'min-started-seconds', describe: 'A new container must run this long to count', value: 'number', example: '5' },
      { name: 'active-deadline', describe: 'Seconds before Kruise gives up on one request', value: 'number', example: '300' },
      { name: 'ttl', describe: 'Seconds Kruise keeps finished requests', value: 'number', example: '86400' },
      { name: 'canary', describe: 'Restart this many pods first, then hold', value: 'free', example: '1' },
      { name: 'batches', describe: 'Restart in this many batches', value: 'free', example: '3' },
      { name: 'batch-size', describe: 'Restart in batches of this many pods', value: 'free', example: '2' },
      { name: 'pause', describe: 'Wait this long between batches', value: 'free', example: '1m' },
      { name: 'continue', describe: 'Go on with the staged run on the CloneSet' },
      { name: 'resume', describe: 'Finish an interrupted or failed run', value: 'resumableRuns', example: '20261126-101500-abcd', repeatable: true },
      { name: 'new', describe: 'Start a new run, abandoning an interrupted one' },
      { name: 'force', describe: 'Start while another restart is unfinished (both run at once)' },
      { name: 'ignore-pdb', describe: 'Do not honour PodDisruptionBudgets and PodUnavailableBudgets (loudly)' },
      DRY_RUN,
      FIELD_MANAGER,
    ],
  },
  status: {
    describe: 'Show where the latest restart of a CloneSet stands',
    positional: 'clonesets',
    many: true,
    flags: [
      output(['json', 'yaml', 'wide', 'name']),
      { name: 'selector', short: 'l', describe: 'Every workload of the kind matching this label selector', value: 'free', example: 'tier=web' },
      KIND,
      ALL,
      { name: 'all-namespaces', short: 'A', describe: 'With -l or --all: in every namespace' },
      { name: 'watch', short: 'w', describe: 'Follow until the restart completes or fails', default: false },
      TIMEOUT,
      { name: 'run', describe: 'Show this CRR run instead of the latest restart', value: 'runs', example: '20261126-101500-abcd' },
    ],
  },
  version: { describe: 'Print the plugin version, commit and Node runtime', flags: [output(['json', 'yaml'])] },
  completion: { describe: 'Print a shell completion script', positional: ['bash', 'zsh', 'fish', 'kubectl'], flags: [] },
};

/** Flags of the program itself, before (or without) a command. */
export const ROOT_FLAGS: FlagSpec[] = [{ name: 'version', describe: 'Print the version and exit' }];

export function flagsOf(command: string | undefined): FlagSpec[] {
  return [...GLOBAL_FLAGS, ...(command && COMMANDS[command] ? COMMANDS[command].flags : ROOT_FLAGS)];
}

/** `word` as typed: `--name`, `--no-name`, `-n` (one letter) or `-name` (completion's leniency). */
export function findFlag(flags: FlagSpec[], word: string): FlagSpec | undefined {
  if (word.startsWith('--')) {
    const name = word.slice(2);
    return flags.find((f) => f.name === name || f.aliases?.includes(name) || (f.negatable && name === `no-${f.name}`));
  }
  return flags.find((f) => f.short === word.slice(1) || f.name === word.slice(1));
}
