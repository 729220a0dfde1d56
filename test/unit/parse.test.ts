// The everyday path reads a checked line without yargs (src/cli/parse.ts). A command must not be able to tell which
// parser read its line: every flag of every command, in each form the check takes, is read both ways and the
// arguments the command receives are compared whole (defaults, camel-case copies, lists and numbers included).
import assert from 'node:assert/strict';
import { checkCommandLine } from '../../src/cli/argv';
import { dispatch, type BaseContext } from '../../src/cli/dispatch';
import { COMMANDS, GLOBAL_FLAGS, type FlagSpec } from '../../src/cli/options';
import { readCanonicalLine } from '../../src/cli/parse';
import { buildProgram } from '../../src/cli/program';
import type { CommandArgs, CommandRunner } from '../../src/commands/context';

const ctx: BaseContext = {
  stdout: Object.assign(process.stdout, {}),
  stderr: process.stderr,
  env: {},
  interrupted: new AbortController().signal,
  now: Date.now,
  random: Math.random,
  log: () => undefined,
};

interface Received {
  command: string;
  args: CommandArgs;
}

function capture(into: Received[]): (name: string) => Promise<CommandRunner> {
  return async (name) => async (_ctx, args) => {
    into.push({ command: name, args });
    return 0;
  };
}

async function byYargs(argv: string[]): Promise<Received> {
  const got: Received[] = [];
  const program = buildProgram(checkCommandLine(argv).argv, ctx, capture(got), () => undefined).exitProcess(false);
  try {
    await program.parseAsync();
  } catch (err) {
    assert.fail(`yargs refused ${JSON.stringify(argv)}: ${(err as Error).message}`);
  }
  assert.equal(got.length, 1, `yargs ran no command for ${argv.join(' ')}`);
  return got[0];
}

async function byTable(argv: string[]): Promise<Received | undefined> {
  const parsed = readCanonicalLine(checkCommandLine(argv));
  if (!parsed) return undefined;
  const got: Received[] = [];
  await dispatch(parsed.command, parsed.raw, ctx, capture(got));
  return got[0];
}

async function same(argv: string[]): Promise<void> {
  const table = await byTable(argv);
  assert.ok(table, `left to yargs: ${argv.join(' ')}`);
  assert.deepEqual(table, await byYargs(argv), argv.join(' '));
}

/** A value the check accepts for the flag. */
function sample(flag: FlagSpec): string {
  if (Array.isArray(flag.value)) return flag.value[flag.value.length - 1];
  if (flag.value === 'number') return '3';
  return (flag.example ?? 'x').replace(/^"|"$/g, '');
}

/** Each form of a flag the check takes: long, `=`, short, glued short, negated, explicit booleans. */
function forms(flag: FlagSpec): string[][] {
  if (flag.name === 'help') return [];
  if (flag.value === undefined) {
    return [[`--${flag.name}`], [`--no-${flag.name}`], [`--${flag.name}=false`], [`--${flag.name}=true`], ...(flag.short ? [[`-${flag.short}`]] : [])];
  }
  const v = sample(flag);
  const out = [[`--${flag.name}`, v], [`--${flag.name}=${v}`]];
  if (flag.short) out.push([`-${flag.short}`, v], [`-${flag.short}${v}`], [`-${flag.short}=${v}`]);
  if (flag.bare) out.push([`--${flag.name}`]);
  return out;
}

describe('reading a checked line without yargs', () => {
  for (const [command, spec] of Object.entries(COMMANDS)) {
    if (command === 'completion') continue;
    const head = spec.positional === 'clonesets' ? [command, 'web'] : [command];
    it(`${command}: every flag in every form gives the command what yargs gives it`, async () => {
      await same(head);
      for (const flag of [...GLOBAL_FLAGS, ...spec.flags]) {
        // -l/--all select by kind and --kind only goes with them: their own test below.
        if (spec.many && ['selector', 'all', 'all-namespaces', 'kind'].includes(flag.name)) continue;
        for (const form of forms(flag)) {
          await same([...head, ...form]);
          // Global flags go before the command too, as in kubectl.
          if (GLOBAL_FLAGS.includes(flag)) await same([...form, ...head]);
        }
      }
    });
  }

  it('a repeatable flag before the command takes neither the command nor the target (yargs took both once)', async () => {
    await same(['--as-group', 'ops', 'status', 'web']);
    await same(['--as-group=ops', '--as-group', 'dev', 'inplace', 'web', 'api']);
    assert.deepEqual((await byTable(['--as-group', 'ops', 'status', 'web']))?.args.asGroup, ['ops']);
  });

  it('reads lists, numbers and several targets as yargs does', async () => {
    await same(['crr', 'web', '-c', 'app', '-c', 'sidecar', '--pod', 'a', '--pod', 'b', '--max-failures', '2', '--grace-period=0.5']);
    await same(['inplace', 'cs/web', 'asts/db', 'ads/agent', '--parallel', '2', '-yc', 'app', '--as-group', 'a', '--as-group=b']);
    await same(['status', 'web', 'api', '-v6', '--request-timeout=5s', '-n', 'shop', '--context', 'prod', '--as', 'jane', '--no-color']);
    await same(['crr', 'web', '--max-unavailable', '-1', '--min-ready-seconds', '-3', '--ttl', '+7', '--active-deadline', '.5']);
    await same(['status', 'web', '--timeout', '10']);
    await same(['status', '123', '-o', 'json']);
  });

  it('reads -l, --all, -A and the kind as yargs does', async () => {
    for (const command of ['inplace', 'status']) {
      await same([command, '-l', 'tier=web']);
      await same([command, 'asts', '-l', 'tier=db,zone in (a,b)']);
      await same([command, '--all', '--kind', 'ads']);
    }
    await same(['status', '-A', '-l', 'tier=web', '-o', 'name']);
    await same(['status', 'ads', '--all', '--all-namespaces', '-w']);
  });

  it('leaves help, --version, completion and flags given twice to yargs', () => {
    for (const argv of [
      ['status', 'web', '--help'],
      ['inplace', '-h'],
      ['--version'],
      ['completion', 'bash'],
      ['status', 'web', '-n', 'a', '-n', 'b'],
      ['inplace', 'web', '--no-wait', '--wait'],
    ]) {
      assert.equal(readCanonicalLine(checkCommandLine(argv)), undefined, argv.join(' '));
    }
  });

  it('a flag given twice is a list to yargs, which is why it stays with yargs', async () => {
    const { args } = await byYargs(['status', 'web', '-n', 'a', '-n', 'b']);
    assert.deepEqual(args.namespace, ['a', 'b']);
  });
});
