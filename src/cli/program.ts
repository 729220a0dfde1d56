import yargs, { type Argv } from 'yargs';
import type { CommandRunner } from '../commands/context';
import { EXIT, UsageError } from '../errors';
import { PROGRAM } from '../version';
import { completionScript, SHELLS } from './completion-scripts';
import { dispatch, type BaseContext } from './dispatch';

const EXIT_CODES = `Exit codes:
  0    done (status: the latest restart is complete, or still in progress without --watch)
  1    failed: a restart failed, or the API refused (forbidden, not found, unreachable)
  2    usage error or refused precondition: nothing was changed
  3    timed out while waiting: the cluster carries on
  130  interrupted (Ctrl-C): the cluster carries on; the command printed how to resume`;

function globalFlags(y: Argv): Argv {
  return y
    .option('kubeconfig', { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)', global: true })
    .option('context', { type: 'string', describe: 'The kubeconfig context to use', global: true })
    .option('cluster', { type: 'string', describe: 'The kubeconfig cluster to use', global: true })
    .option('user', { type: 'string', describe: 'The kubeconfig user to use', global: true })
    .option('namespace', { alias: 'n', type: 'string', describe: "Namespace (default: the context's, else default)", global: true })
    .option('request-timeout', { type: 'string', describe: 'Time to wait for one API request, e.g. 10s, 1m (default 30s)', global: true })
    .option('as', { type: 'string', describe: 'Username to impersonate', global: true })
    .option('as-group', { type: 'string', array: true, describe: 'Group to impersonate (repeatable)', global: true })
    .option('v', { alias: ['verbosity'], type: 'number', default: 0, describe: 'Log level: 2 retries, 6 API requests, 9 stack traces', global: true })
    .option('color', { type: 'boolean', default: true, describe: 'Colour on a terminal (--no-color or NO_COLOR turn it off)', global: true });
}

function outputFlag(y: Argv, choices: string[]): Argv {
  return y.option('output', { alias: 'o', type: 'string', choices, describe: `Output format: ${choices.join('|')}` });
}

const waitFlags = (y: Argv): Argv =>
  y
    .option('timeout', { type: 'string', default: '0', describe: 'Stop waiting after this long, e.g. 10m (0: wait until done); exit 3' })
    .option('wait', { type: 'boolean', default: true, describe: 'Follow the restart to the end (--no-wait returns after starting it)' });

/**
 * Builds the yargs program: help, and the lines parse.ts leaves to yargs. `run` resolves the implementation of a
 * subcommand lazily so that --help stays fast.
 */
export function buildProgram(argv: string[], ctx: BaseContext, run: (name: string) => Promise<CommandRunner>, setExit: (code: number) => void): Argv {
  const handler = (name: string) => async (raw: Record<string, unknown>) => {
    setExit(await dispatch(name, raw, ctx, run));
  };

  const y = yargs(argv)
    .scriptName(PROGRAM)
    .usage(
      `Restart every pod of an OpenKruise CloneSet without recreating it: in place through a Downward-API
trigger annotation, or with ContainerRecreateRequests paced by the plugin. Follow the progress live.

Usage:
  ${PROGRAM} <command> <cloneset> [flags]`,
    )
    .version(false)
    .option('version', { type: 'boolean', describe: 'Print the version and exit' })
    .help('help')
    .alias('help', 'h')
    .strict()
    .wrap(Math.min(120, ctx.stdout.columns ?? 120))
    .parserConfiguration({ 'strip-aliased': true })
    .epilog(EXIT_CODES);

  globalFlags(y);

  const manyFlags = (c: Argv, verb: string): Argv =>
    c
      .option('selector', { alias: 'l', type: 'string', describe: `${verb} every workload of the kind (--kind or a TYPE word; default CloneSets) matching this label selector` })
      .option('kind', { type: 'string', describe: 'The kind for -l/--all: cloneset, asts (Advanced StatefulSet) or ads (Advanced DaemonSet)' })
      .option('all', { type: 'boolean', describe: `${verb} every workload of the kind in the namespace` });

  y.command(
    'inplace [cloneset..]',
    'Restart the containers of every pod in place (Kruise rolls it within maxUnavailable)',
    (c) =>
      outputFlag(manyFlags(waitFlags(c), 'Restart'), ['json', 'yaml', 'wide', 'name'])
        .option('skip-refused', { type: 'boolean', describe: 'With several workloads: go on with the others when some are refused (default: refuse the whole command)' })
        .option('parallel', { type: 'number', describe: 'With several workloads: restart this many at once (default 1: one after another)' })
        .usage(`${PROGRAM} inplace <cloneset>... [flags]

Bumps a pod-template annotation that the containers read as an env var through the Downward API. Under
InPlaceIfPossible/InPlaceOnly, OpenKruise then restarts those containers in place, batch by batch within
maxUnavailable: pods keep their name, IP, node and volumes.`)
        .positional('cloneset', { type: 'string', array: true, describe: 'The workloads: NAME (a CloneSet), cloneset/NAME, asts/NAME, ads/NAME; or a TYPE with -l/--all' })
        .option('container', { alias: 'c', type: 'string', array: true, describe: 'Restart only these wired containers (repeatable)' })
        .option('setup', { type: 'boolean', default: false, describe: 'Add the trigger env var first (one-time: recreates every pod under InPlaceIfPossible)' })
        .option('env-name', { type: 'string', describe: 'Env var name for --setup (default KRUISE_RESTARTED_AT)' })
        .option('annotation', { type: 'string', describe: 'Trigger annotation key for --setup (default kruise-restart.dev/restarted-at)' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Do not ask for confirmation (needed for --setup off a terminal)' })
        .option('allow-recreate', { type: 'boolean', default: false, describe: 'Under ReCreate, go ahead with a rolling recreate of every pod' })
        .option('force', { type: 'boolean', default: false, describe: 'Start even though a rollout or another restart is in progress (both run at once)' })
        .option('ignore-owner', { type: 'boolean', default: false, describe: 'Restart a CloneSet that another controller (a UnitedDeployment) owns, although it may revert the change and restart the pods again' })
        .option('reason', { type: 'string', describe: 'Why: recorded on the CloneSet and in the Event' })
        .option('dry-run', { type: 'string', choices: ['none', 'client', 'server'], describe: 'Print the plan and patch without changing anything' })
        .option('pause-on-failure', { type: 'boolean', default: false, describe: 'Pause the CloneSet if a pod does not become ready again' })
        .option('ready-timeout', { type: 'string', default: '10m', describe: 'A pod restarting longer than this fails the restart (exit 1)' })
        .option('field-manager', { type: 'string', describe: 'Name our writes carry in managedFields and audit logs (default kubectl-kruise-restart)' })
        .option('canary', { type: 'string', describe: 'Restart this many pods (N or P%, counted as Kruise counts a partition) first, then hold until --continue' })
        .option('canary-wait', { type: 'string', describe: 'Go on by itself once the canary stayed Ready this long, e.g. 5m' })
        .option('batches', { type: 'string', describe: 'Restart in this many batches, each followed to the end before the next' })
        .option('batch-size', { type: 'string', describe: 'Restart in batches of this many pods (N or P%)' })
        .option('pause', { type: 'string', describe: 'Wait this long between batches, e.g. 1m' })
        .option('continue', { type: 'boolean', describe: 'Go on with the staged restart recorded on the CloneSet (after the canary, or after an interruption)' })
        .example(`${PROGRAM} inplace web`, 'Restart every wired container of CloneSet web and follow it')
        .example(`${PROGRAM} inplace web -c app --reason "pick up rotated secret"`, 'Only the app container')
        .example(`${PROGRAM} inplace web --setup --yes`, 'Add the trigger wiring (one-time recreate), then restart in place')
        .example(`${PROGRAM} inplace web --dry-run=server -o yaml`, 'Show the plan; prove permissions and webhooks')
        .example(`${PROGRAM} inplace web --canary 1 --batches 3 --pause 1m`, 'One pod first; then --continue restarts the rest in 3 batches')
        .example(`${PROGRAM} inplace asts/db ads/agent`, 'An Advanced StatefulSet, then an Advanced DaemonSet')
        .example(`${PROGRAM} inplace -l tier=web`, 'Every CloneSet labelled tier=web, one after another'),
    handler('inplace'),
  );

  y.command(
    'crr [cloneset..]',
    'Restart chosen containers with ContainerRecreateRequests, paced by the plugin',
    (c) =>
      outputFlag(c.option('timeout', { type: 'string', default: '0', describe: 'Stop creating requests after this long (exit 3)' }), ['json', 'yaml', 'wide', 'name'])
        .option('kind', { type: 'string', describe: 'The kind for -l/--all: cloneset, asts (Advanced StatefulSet) or ads (Advanced DaemonSet)' })
        .option('all', { type: 'boolean', describe: 'Restart every workload of the kind in the namespace' })
        .option('yes', { alias: 'y', type: 'boolean', describe: 'Do not ask for confirmation (needed for --all off a terminal)' })
        .option('skip-refused', { type: 'boolean', describe: 'With several workloads: go on with the others when some are refused (default: refuse the whole command)' })
        .option('parallel', { type: 'number', describe: 'With several workloads: restart this many at once (default 1: one after another)' })
        .usage(`${PROGRAM} crr <cloneset>... [flags]

Creates one ContainerRecreateRequest per pod, at most --max-unavailable pods at a time (CRRs bypass maxUnavailable
and PodDisruptionBudgets, so the plugin paces them, within the smallest of --max-unavailable and every covering
PodDisruptionBudget and PodUnavailableBudget), stops on the first failure, and can be resumed. With workloads named,
-l picks pods of each; without a name (a TYPE alone, or none) it picks the workloads, as with --all.`)
        .positional('cloneset', { type: 'string', array: true, describe: 'The workloads: NAME (a CloneSet), cloneset/NAME, asts/NAME, ads/NAME; or a TYPE with -l/--all' })
        .option('container', { alias: 'c', type: 'string', array: true, describe: 'Container to restart (repeatable)' })
        .option('all-containers', { type: 'boolean', describe: 'Restart every container of each pod' })
        .option('selector', { alias: 'l', type: 'string', describe: 'With workloads named: only their pods matching this label selector; without: every workload of the kind matching it' })
        .option('pod', { type: 'string', array: true, describe: 'Only these pods (repeatable)' })
        .option('max-unavailable', { type: 'string', describe: "Pods restarting at once: number or percent (default: the CloneSet's maxUnavailable)" })
        .option('min-ready-seconds', { type: 'number', describe: 'A pod counts as available again after being Ready this long (default 0)' })
        .option('ready-timeout', { type: 'string', describe: 'A pod not Ready again within this long after its containers restarted fails the run (default 5m)' })
        .option('max-failures', { type: 'number', describe: 'Failed pods tolerated before no more requests start (default 0); any failure still exits 1' })
        .option('failure-policy', { type: 'string', choices: ['Fail', 'Ignore'], describe: 'CRR failurePolicy (default Fail)' })
        .option('ordered', { type: 'boolean', describe: 'Restart the containers of a pod one after another' })
        .option('force-recreate', { type: 'boolean', describe: 'Restart even containers that restarted on their own meanwhile' })
        .option('grace-period', { type: 'number', describe: 'terminationGracePeriodSeconds for the killed containers' })
        .option('unready-grace-period', { type: 'number', describe: 'Mark the pod NotReady this many seconds before the kill' })
        .option('min-started-seconds', { type: 'number', describe: 'A new container must run this long to count (default 0)' })
        .option('active-deadline', { type: 'number', describe: 'Seconds before Kruise gives up on one request (>= 3)' })
        .option('ttl', { type: 'number', describe: 'Seconds Kruise keeps finished requests (default 86400); a run can be resumed within this time' })
        .option('canary', { type: 'string', describe: 'Restart this many of the pods (N or P%) first, then hold until --continue' })
        .option('batches', { type: 'string', describe: 'Restart the pods in this many batches, each finished before the next' })
        .option('batch-size', { type: 'string', describe: 'Restart the pods in batches of this many (N or P%)' })
        .option('pause', { type: 'string', describe: 'Wait this long between batches, e.g. 1m' })
        .option('continue', { type: 'boolean', describe: 'Go on with the staged run recorded on the CloneSet' })
        .option('resume', { type: 'string', array: true, describe: 'Finish an interrupted or failed run (its id; a failed run retries its failed pods); takes pods, containers and strategy from the run; with several workloads, once per run' })
        .option('new', { type: 'boolean', describe: 'Start a new run, abandoning an interrupted one (never while another restart is being driven)' })
        .option('force', { type: 'boolean', describe: 'Start even while another restart of the CloneSet is unfinished (both run at once)' })
        .option('ignore-pdb', { type: 'boolean', describe: 'Do not honour PodDisruptionBudgets and PodUnavailableBudgets covering the pods (said loudly)' })
        // A bare --dry-run means client, as in kubectl.
        .option('dry-run', { type: 'string', choices: ['none', 'client', 'server'], coerce: (v: string) => (v === '' ? 'client' : v), describe: 'Print the plan (pods, containers, skipped pods, batches) without creating anything' })
        .option('field-manager', { type: 'string', describe: 'Name our writes carry in managedFields and audit logs (default kubectl-kruise-restart)' })
        .example(`${PROGRAM} crr web -c app`, 'Restart container app in every pod, within the CloneSet maxUnavailable')
        .example(`${PROGRAM} crr web --all-containers --max-unavailable 1`, 'One pod at a time')
        .example(`${PROGRAM} crr web --resume 20261126-101500-abcd`, 'Finish an interrupted run')
        .example(`${PROGRAM} crr -l tier=web -c app`, 'Every CloneSet labelled tier=web, one after another, each within its own budget')
        .example(`${PROGRAM} crr web api --resume 20261126-101500-abcd --resume 20261126-101612-efgh`, 'Finish the runs of an interrupted several-workload crr'),
    handler('crr'),
  );

  y.command(
    'status [cloneset..]',
    'Show where the latest restart of a CloneSet stands',
    (c) =>
      outputFlag(manyFlags(c, 'Show'), ['json', 'yaml', 'wide', 'name'])
        .option('all-namespaces', { alias: 'A', type: 'boolean', describe: 'With -l or --all: in every namespace' })
        .usage(`${PROGRAM} status <cloneset>... [flags]

Shows the latest restart made by this plugin: per pod state, counts, budget, ETA and diagnoses. On a terminal with
--watch it is a live table; otherwise one line per change, like kubectl rollout status.`)
        .positional('cloneset', { type: 'string', array: true, describe: 'The workloads: NAME (a CloneSet), cloneset/NAME, asts/NAME, ads/NAME; or a TYPE with -l/--all' })
        .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'Follow until the restart completes or fails' })
        .option('timeout', { type: 'string', default: '0', describe: 'With --watch: stop after this long (exit 3)' })
        .option('run', { type: 'string', describe: 'Show this CRR run instead of the latest restart' })
        .example(`${PROGRAM} status web`, 'Print once')
        .example(`${PROGRAM} status web -w`, 'Follow live until done')
        .example(`${PROGRAM} status web -o json | jq .summary`, 'For scripts'),
    handler('status'),
  );

  y.command(
    'version',
    'Print the plugin version, commit and Node runtime',
    (c) => outputFlag(c, ['json', 'yaml']).example(`${PROGRAM} version -o json`, 'Machine-readable'),
    handler('version'),
  );

  y.command(
    'completion <shell>',
    'Print a shell completion script (bash, zsh, fish; kubectl: the helper for kubectl kruise-restart <Tab>)',
    (c) =>
      c
        .usage(`${PROGRAM} completion <shell>

Prints a completion script. bash, zsh and fish complete kubectl-kruise_restart itself; "kubectl" prints
kubectl_complete-kruise_restart, which kubectl 1.26 and later runs to complete "kubectl kruise-restart ...".
CloneSet, container and run names come from the cluster of the current (or typed) context and namespace.`)
        .positional('shell', { type: 'string', choices: [...SHELLS], describe: 'bash, zsh, fish or kubectl' })
        .example(`source <(kubectl-kruise_restart completion bash)`, 'bash, in ~/.bashrc')
        .example(`kubectl-kruise_restart completion fish | source`, 'fish, in ~/.config/fish/config.fish')
        .example(
          `kubectl-kruise_restart completion kubectl > ~/.krew/bin/kubectl_complete-kruise_restart && chmod +x ~/.krew/bin/kubectl_complete-kruise_restart`,
          'kubectl kruise-restart <Tab> (with kubectl completion set up)',
        ),
    (raw) => {
      ctx.stdout.write(completionScript(String(raw.shell)));
      setExit(EXIT.ok);
    },
  );

  return y
    .demandCommand(1, 'a command is required: inplace, crr, status, version or completion')
    .fail((message, err) => {
      if (err) throw err;
      ctx.log(2, `yargs refused the checked command line: ${message}`);
      // Unreachable while argv.ts checks every line first; if yargs still objects, its wording is not ours to print.
      throw new UsageError('cannot read this command line', `see ${PROGRAM} --help`);
    });
}
