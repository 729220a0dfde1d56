// The command-line check, driven by the option table: every flag that takes a value, of every command.
import assert from 'node:assert/strict';
import { checkCommandLine, closest, editDistance, requestedDocument } from '../../src/cli/argv';
import { COMMANDS, GLOBAL_FLAGS, type FlagSpec } from '../../src/cli/options';
import { cloneSetTarget, parseTarget } from '../../src/cli/target';

const refuses = (argv: string[], message: RegExp) =>
  assert.throws(() => checkCommandLine(argv), (err: Error & { exitCode?: number }) => {
    const said = `${err.message}: ${(err as { hint?: string }).hint ?? ''}`;
    assert.equal(err.exitCode, 2, `${argv.join(' ')}: exit ${err.exitCode}: ${said}`);
    assert.match(said, message, `${argv.join(' ')}: ${said}`);
    return true;
  });

const canonical = (argv: string[]) => checkCommandLine(argv).argv;

const takesValue = (f: FlagSpec) => f.value !== undefined && f.bare === undefined;

describe('command line: flags that take a value', () => {
  for (const [command, spec] of Object.entries(COMMANDS)) {
    const head = spec.positional === 'clonesets' ? [command, 'web'] : spec.positional ? [command, spec.positional[0]] : [command];
    for (const flag of [...GLOBAL_FLAGS, ...spec.flags].filter(takesValue)) {
      const forms = [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : [])];
      it(`${command}: ${forms.join(', ')} refuse a missing or empty value`, () => {
        for (const typed of forms) {
          const needs = new RegExp(`^flag needs an argument: ${typed} `);
          refuses([...head, typed], needs);
          refuses([...head, typed, '--dry-run=client'], needs);
          refuses([...head, typed, '-w'], needs);
          if (GLOBAL_FLAGS.includes(flag)) refuses([typed], needs);
          refuses([...head, typed, ''], needs);
        }
        refuses([...head, `--${flag.name}=`], /flag needs an argument: .* is empty/);
        if (flag.short) refuses([...head, `-${flag.short}=`], /flag needs an argument: .* is empty/);
      });
    }
  }

  it('reads a value in every kubectl form', () => {
    for (const form of [['-n', 'shop'], ['-nshop'], ['-n=shop'], ['--namespace', 'shop'], ['--namespace=shop']]) {
      assert.deepEqual(canonical(['status', 'web', ...form]), ['status', 'web', '--namespace=shop'], form.join(' '));
    }
    for (const form of [['-v', '9'], ['-v9'], ['-v=9'], ['--v=9'], ['--verbosity', '9']]) {
      assert.deepEqual(canonical([...form, 'status', 'web']), ['status', 'web', '--verbosity=9'], form.join(' '));
    }
  });

  it('takes a negative number as a value, so the command can say what is wrong with it', () => {
    assert.deepEqual(canonical(['crr', 'web', '--max-unavailable', '-1']), ['crr', 'web', '--max-unavailable=-1']);
    assert.deepEqual(canonical(['status', 'web', '--timeout', '-5s']), ['status', 'web', '--timeout=-5s']);
  });

  it('keeps repeated flags, grouped booleans and negations', () => {
    assert.deepEqual(canonical(['crr', 'web', '-c', 'app', '-c', 'sidecar']), ['crr', 'web', '--container=app', '--container=sidecar']);
    assert.deepEqual(canonical(['inplace', '-yc', 'app', 'web']), ['inplace', 'web', '--yes', '--container=app']);
    assert.deepEqual(canonical(['inplace', 'web', '--no-wait', '--no-color', '--force=false']), ['inplace', 'web', '--no-wait', '--no-color', '--force=false']);
  });

  it('--dry-run alone means client, as in kubectl; a value after it only when it is one of the choices', () => {
    assert.deepEqual(canonical(['inplace', 'web', '--dry-run']), ['inplace', 'web', '--dry-run=client']);
    assert.deepEqual(canonical(['crr', '--dry-run', 'web']), ['crr', 'web', '--dry-run=client']);
    assert.deepEqual(canonical(['crr', 'web', '--dry-run', 'server']), ['crr', 'web', '--dry-run=server']);
    refuses(['inplace', 'web', '--dry-run=maybe'], /invalid --dry-run "maybe": use one of none, client, server/);
  });
});

describe('command line: everything else a user can get wrong', () => {
  it('numbers and choices quote what was typed', () => {
    refuses(['crr', 'web', '--min-ready-seconds', 'abc'], /--min-ready-seconds needs a number, got "abc"/);
    refuses(['status', 'web', '-v', 'lots'], /-v needs a number, got "lots"/);
    refuses(['status', 'web', '-o', 'table'], /invalid -o "table": use one of json, yaml, wide, name/);
    refuses(['version', '--output=wide'], /invalid --output "wide": use one of json, yaml$/);
    refuses(['crr', 'web', '--failure-policy', 'Sometimes'], /use one of Fail, Ignore/);
    refuses(['completion', 'tcsh'], /unknown shell "tcsh": use one of bash, zsh, fish, kubectl/);
  });

  it('unknown flags: did you mean, or whose flag it is', () => {
    refuses(['status', 'web', '--requst-timeout', '5s'], /unknown flag --requst-timeout for status: did you mean --request-timeout\?/);
    refuses(['inplace', 'web', '--dryrun'], /did you mean --dry-run\?/);
    refuses(['inplace', 'web', '--namespcae=x'], /did you mean --namespace\?/);
    refuses(['status', 'web', '--frobnicate'], /unknown flag --frobnicate for status: see kubectl kruise-restart status --help/);
    refuses(['status', 'web', '-c', 'app'], /unknown flag -c for status: it is a flag of inplace and crr/);
    refuses(['--reason', 'x', 'inplace', 'web'], /unknown flag --reason before a command: it is a flag of inplace/);
    refuses(['status', 'web', '-namespace', 'shop'], /unknown flag -namespace for status: did you mean --namespace\?/);
    refuses(['status', 'web', '-wx'], /unknown flag -x for status/);
    refuses(['status', 'web', '--watch=yes'], /--watch takes no value, got "yes"/);
    refuses(['inplace', 'web', '--no-reason'], /unknown flag --no-reason/);
  });

  it('commands and arguments', () => {
    refuses([], /^a command is required: use inplace, crr, status, version or completion/);
    refuses(['-n', 'shop'], /a command is required/);
    refuses(['restart', 'web'], /unknown command "restart": use inplace/);
    refuses(['stauts', 'web'], /unknown command "stauts": did you mean status\?/);
    refuses(['status'], /status needs the name of a CloneSet: e.g. kubectl kruise-restart status web/);
    refuses(['crr', '-c', 'app'], /crr needs the name of a CloneSet/);
    refuses(['completion'], /completion needs one of bash, zsh, fish, kubectl/);
    refuses(['completion', 'bash', 'zsh'], /unexpected argument "zsh": completion takes one argument/);
    refuses(['version', 'extra'], /unexpected argument "extra": version takes no argument/);
  });

  it('asks for no argument when help or the version is wanted', () => {
    assert.deepEqual(canonical(['status', '--help']), ['status', '--help']);
    assert.deepEqual(canonical(['-h']), ['--help']);
    assert.deepEqual(canonical(['--version']), ['--version']);
  });

  it('puts the command first and the CloneSet right after it, where an array flag cannot take either for one of its values', () => {
    assert.deepEqual(canonical(['--kubeconfig', '/k', 'crr', '-c', 'app', 'web']), ['crr', 'web', '--kubeconfig=/k', '--container=app']);
    assert.deepEqual(canonical(['--as-group', 'ops', 'status', 'web']), ['status', 'web', '--as-group=ops']);
  });

  it('passes the CloneSet of TYPE/NAME on as its name, right after the command', () => {
    assert.deepEqual(canonical(['status', 'cloneset/web', '-w']), ['status', 'web', '--watch']);
    assert.deepEqual(canonical(['status', '--', 'web']), ['status', 'web']);
  });
});

describe('several workloads on one line', () => {
  it('passes each TYPE/NAME on canonically: NAME for a CloneSet, the qualified resource otherwise', () => {
    assert.deepEqual(canonical(['inplace', 'web', 'asts/db', 'statefulset.apps.kruise.io/db2', 'ads/agent', 'daemonsets.apps.kruise.io/a2']), [
      'inplace',
      'web',
      'statefulsets.apps.kruise.io/db',
      'statefulsets.apps.kruise.io/db2',
      'daemonsets.apps.kruise.io/agent',
      'daemonsets.apps.kruise.io/a2',
    ]);
  });

  it('reads a TYPE word with -l/--all as the kind (CloneSets by default), and refuses what cannot mean one thing', () => {
    assert.deepEqual(canonical(['inplace', '-l', 'tier=web']), ['inplace', '--selector=tier=web', '--kind=CloneSet']);
    assert.deepEqual(canonical(['inplace', 'asts', '-l', 'tier=db']), ['inplace', '--selector=tier=db', '--kind=StatefulSet']);
    assert.deepEqual(canonical(['status', '--all', '--kind', 'ads', '-A']), ['status', '--all', '--all-namespaces', '--kind=DaemonSet']);
    refuses(['inplace', 'asts', 'ads', '-l', 'a=b'], /with -l\/--selector or --all, give at most one TYPE/);
    refuses(['inplace', 'asts/db', '-l', 'a=b'], /"asts\/db" names one workload/);
    refuses(['inplace', 'web', '--kind', 'asts'], /--kind only applies with -l\/--selector or --all/);
    refuses(['inplace', 'deploy', '-l', 'a=b'], /--kind "deploy" is not a kind this plugin restarts/);
    refuses(['status', '-A'], /-A\/--all-namespaces needs -l\/--selector or --all/);
    refuses(['inplace', '-l', 'a=b', '--all'], /-l\/--selector and --all cannot be combined/);
  });

  it("crr: -l picks pods of the workloads named, and the workloads when none is named (a TYPE alone, or --kind)", () => {
    assert.deepEqual(canonical(['crr', 'web', '-l', 'zone=a']), ['crr', 'web', '--selector=zone=a']);
    assert.deepEqual(canonical(['crr', 'web', 'asts/db', '-l', 'zone=a']), ['crr', 'web', 'statefulsets.apps.kruise.io/db', '--selector=zone=a']);
    assert.deepEqual(canonical(['crr', '-l', 'tier=web', '-c', 'app']), ['crr', '--selector=tier=web', '--container=app', '--kind=CloneSet']);
    assert.deepEqual(canonical(['crr', 'asts', '-l', 'tier=db']), ['crr', '--selector=tier=db', '--kind=StatefulSet']);
    assert.deepEqual(canonical(['crr', '--kind', 'ads', '-l', 'tier=db']), ['crr', '--selector=tier=db', '--kind=DaemonSet']);
    assert.deepEqual(canonical(['crr', '--all', '--yes']), ['crr', '--all', '--yes', '--kind=CloneSet']);
    // A CloneSet named like a kind is written cloneset/NAME, as with inplace.
    assert.deepEqual(canonical(['crr', 'cloneset/asts', '-l', 'zone=a']), ['crr', 'asts', '--selector=zone=a']);
    assert.deepEqual(canonical(['crr', 'web', 'api', '--resume', 'a', '--resume', 'b']), ['crr', 'web', 'api', '--resume=a', '--resume=b']);
    refuses(['crr', 'web', '--kind', 'asts'], /--kind only applies with -l\/--selector or --all/);
    refuses(['crr', '-A', '-l', 'a=b'], /unknown flag -A for crr/);
  });
});

describe('TYPE/NAME', () => {
  it('accepts Advanced StatefulSets and DaemonSets as kubectl names them', () => {
    for (const word of ['asts/db', 'statefulset.apps.kruise.io/db', 'statefulsets.apps.kruise.io/db', 'statefulset.v1beta1.apps.kruise.io/db']) assert.deepEqual(parseTarget(word), { kind: 'StatefulSet', name: 'db' }, word);
    for (const word of ['ads/agent', 'daemon/agent', 'daemonset.apps.kruise.io/agent', 'daemonsets.apps.kruise.io/agent']) assert.deepEqual(parseTarget(word), { kind: 'DaemonSet', name: 'agent' }, word);
    assert.deepEqual(parseTarget('web'), { kind: 'CloneSet', name: 'web' });
  });

  it('accepts CloneSets as kubectl names them', () => {
    for (const word of ['web', 'cloneset/web', 'clonesets/web', 'CloneSet/web', 'clone/web', 'cs/web', 'cloneset.apps.kruise.io/web', 'clonesets.apps.kruise.io/web', 'cloneset.v1alpha1.apps.kruise.io/web']) {
      assert.equal(cloneSetTarget(word), 'web', word);
    }
  });

  const refused = (word: string, message: RegExp) =>
    assert.throws(() => cloneSetTarget(word), (err: Error & { hint?: string }) => {
      assert.match(`${err.message}: ${err.hint}`, message, word);
      assert.match(err.hint ?? '', /supported: CloneSet \(use NAME or cloneset\/NAME\)|cloneset\/web/, word);
      return true;
    });

  it('refuses every other kind in one line that names the supported one', () => {
    refused('deploy/web', /Deployment "web": Deployments are not supported: use kubectl rollout restart deployment\/web/);
    refused('deployments.apps/web', /Deployments are not supported/);
    refused('statefulset/x', /StatefulSets are not supported: for an apps\/v1 StatefulSet use kubectl rollout restart statefulset\/x; for an Advanced StatefulSet type asts\/x/);
    refused('sts/x', /rollout restart statefulset\/x/);
    refused('ds/x', /rollout restart daemonset\/x/);
    refused('pods/web', /unknown kind "pods" in "pods\/web"/);
    refused('clonesets.apps/web', /unknown kind "clonesets.apps"/);
    refused('cloneset/', /"cloneset\/" is neither NAME nor TYPE\/NAME/);
    refused('/web', /neither NAME nor TYPE\/NAME/);
    refused('cloneset/a/b', /neither NAME nor TYPE\/NAME/);
  });
});

describe('did you mean', () => {
  it('counts a swapped pair of letters as one typo, and suggests only what is close', () => {
    assert.equal(editDistance('stauts', 'status'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(closest('--requst-timeout', ['--request-timeout', '--timeout']), '--request-timeout');
    assert.equal(closest('--frobnicate', ['--force', '--reason']), undefined);
    assert.equal(closest('x', ['crr']), undefined);
  });
});

describe('a document for a refused line', () => {
  it('is wanted when -o json|yaml was typed in any form', () => {
    for (const form of [['-o', 'json'], ['-ojson'], ['-o=json'], ['--output', 'json'], ['--output=json']]) assert.equal(requestedDocument(['inplace', 'web', ...form, '-n']), 'json', form.join(' '));
    assert.equal(requestedDocument(['status', '-o', 'yaml', '--bogus']), 'yaml');
    assert.equal(requestedDocument(['status', '-o', 'wide', '-n']), undefined);
    assert.equal(requestedDocument(['status', '-o']), undefined);
    assert.equal(requestedDocument(['status', '--', '-o', 'json']), undefined);
  });
});
