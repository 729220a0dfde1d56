// The everyday command line, read without yargs. argv.ts has already checked it against the option table and written
// it in canonical form (`--name=value`, `--flag`, `--no-flag`, the targets right after the command), so reading it is
// mechanical: this gives the command the very object yargs would (test/unit/parse.test.ts compares the two on every
// flag). yargs builds its usage and help text on every parse, which cost more than the whole rest of a `status`;
// it is now loaded only for help and for the rare lines left to it here.
import { PROGRAM } from '../version';
import type { CheckedLine } from './argv';
import { COMMANDS, flagsOf, type FlagSpec } from './options';

/** The parsed line, as program.ts's handlers receive it from yargs. */
export type RawArgs = Record<string, unknown>;

export interface ParsedLine {
  command: string;
  raw: RawArgs;
}

/** yargs keeps a flag under the first name it was declared with (program.ts): for the log level, `v`. */
const KEY: Record<string, string> = { verbosity: 'v' };

const keyOf = (flag: FlagSpec) => KEY[flag.name] ?? flag.name;

/** yargs' camel-case expansion: `request-timeout` is also `requestTimeout`, which the commands read. */
const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

function valueOf(flag: FlagSpec, text: string | undefined): unknown {
  if (flag.value === undefined) return text === undefined ? true : text === 'true';
  return flag.value === 'number' ? Number(text) : text;
}

/**
 * The command and its arguments, or undefined for a line yargs should read: help, --version, `completion`, a flag
 * given twice that does not repeat (yargs makes a list of it), a target after `--`. Those are never the hot path.
 */
export function readCanonicalLine(line: CheckedLine): ParsedLine | undefined {
  const { command } = line;
  if (!command || command === 'completion' || !COMMANDS[command]) return undefined;
  const spec = COMMANDS[command];
  const flags = flagsOf(command);
  const raw: RawArgs = { _: [command] };
  const given = new Set<string>();
  const targets: string[] = [];
  let seenCommand = false;
  for (const word of line.argv) {
    if (!word.startsWith('-')) {
      if (seenCommand) targets.push(word);
      else if (word === command) seenCommand = true;
      else return undefined;
      continue;
    }
    if (!word.startsWith('--') || word === '--') return undefined;
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const negated = name.startsWith('no-') ? flags.find((f) => f.value === undefined && f.name === name.slice(3)) : undefined;
    const flag = negated ?? flags.find((f) => f.name === name);
    if (!flag || flag.name === 'help' || flag.name === 'version' || (given.has(flag.name) && !flag.repeatable)) return undefined;
    given.add(flag.name);
    const value = negated ? false : valueOf(flag, eq < 0 ? undefined : word.slice(eq + 1));
    if (flag.repeatable) raw[keyOf(flag)] = [...((raw[keyOf(flag)] as unknown[] | undefined) ?? []), value];
    else raw[keyOf(flag)] = value;
  }
  if (!seenCommand) return undefined;
  if (spec.positional === 'clonesets') {
    if (spec.many) raw.cloneset = targets;
    else if (targets.length === 1) raw.cloneset = targets[0];
    else return undefined;
  } else if (targets.length) return undefined;
  for (const flag of flags) if (flag.default !== undefined && !given.has(flag.name)) raw[keyOf(flag)] = flag.default;
  for (const key of Object.keys(raw)) if (key.includes('-')) raw[camel(key)] = raw[key];
  raw.$0 = PROGRAM;
  return { command, raw };
}
