// The option table (src/cli/options.ts) is what the command line is checked against and what completion offers;
// program.ts defines the same flags for yargs and --help. A flag in one and not the other would be refused, or
// accepted unchecked: compare them through each command's help.
import assert from 'node:assert/strict';
import { COMMANDS, GLOBAL_FLAGS } from '../../src/cli/options';
import { buildProgram } from '../../src/cli/program';

function helpOf(argv: string[]): Promise<string> {
  const ctx = { stdout: process.stdout, stderr: process.stderr, env: {}, interrupted: new AbortController().signal, now: Date.now, random: Math.random, log: () => undefined };
  const program = buildProgram(argv, ctx, () => Promise.reject(new Error('no command runs here')), () => undefined).exitProcess(false);
  return new Promise((resolve, reject) => {
    void program.parse(argv, {}, (err, _args, output) => (err ? reject(err) : resolve(output)));
  });
}

/** Each flag of --help with its whole entry ("  -n, --namespace  text [string]"), wrapped lines joined. */
function entriesOf(help: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const m = /^\s+(?:-\w, )?--([a-z][\w-]*)/.exec(line);
    if (m) {
      current = m[1];
      entries.set(current, line);
    } else if (current && /^\s{8,}\S/.test(line)) entries.set(current, `${entries.get(current)} ${line.trim()}`);
    else current = undefined;
  }
  return entries;
}

describe('option table and yargs agree', () => {
  for (const [command, spec] of Object.entries(COMMANDS)) {
    it(`${command}: the same flags, short names and value-taking`, async () => {
      const entries = entriesOf(await helpOf([command, '--help']));
      const table = [...GLOBAL_FLAGS, ...spec.flags];
      // yargs adds --version to every command's help.
      assert.deepEqual([...entries.keys()].filter((f) => f !== 'version').sort(), table.map((f) => f.name).sort());
      for (const flag of table) {
        const entry = entries.get(flag.name) ?? '';
        if (flag.short) assert.match(entry, new RegExp(`-${flag.short}, --${flag.name}`), entry);
        assert.equal(flag.value === undefined, /\[boolean\]/.test(entry), `${command} --${flag.name}: ${entry}`);
        if (Array.isArray(flag.value)) assert.match(entry, new RegExp(`choices: ${flag.value.map((v) => `"${v}"`).join(', ')}`), entry);
        if (flag.value === 'number') assert.match(entry, /\[number\]/, entry);
      }
    });
  }
});
