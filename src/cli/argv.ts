// The command line, checked against the option table before yargs sees it. yargs would take `-n` at the end of the
// line, `-n --dry-run=client` or `--context=` as an empty value and let the kubeconfig's namespace or context win:
// a restart of the wrong target. Here every flag that takes a value gets one, every value is checked as far as it
// can be without the cluster, and every mistake is one line in the plugin's voice. yargs then receives a canonical
// line (`--namespace=shop`), so its own guessing never matters.
import { UsageError } from '../errors';
import { COMMANDS, findFlag, flagsOf, GLOBAL_FLAGS, ROOT_FLAGS, type FlagSpec } from './options';
import { canonicalTarget, kindArgument, kindOf, parseTarget } from './target';

const PROGRAM = 'kubectl kruise-restart';
const COMMAND_LIST = 'inplace, crr, status, version or completion';

/** A value may start with a dash only when it is a negative number (`--max-unavailable -1`, `--timeout -5s`). */
function looksLikeFlag(word: string): boolean {
  return word.length > 1 && word.startsWith('-') && !/^-\d/.test(word);
}

/** Optimal string alignment distance: a swapped pair of letters counts as one typo. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest of `candidates`, if it is close enough to be what was meant. */
export function closest(typed: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const distance = editDistance(typed.toLowerCase(), c.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [c, distance];
  }
  return bestDistance <= Math.max(1, Math.min(3, Math.floor(typed.length / 3))) ? best : undefined;
}

function longNames(flags: FlagSpec[]): string[] {
  return flags.flatMap((f) => [`--${f.name}`, ...(f.value === undefined ? [`--no-${f.name}`] : [])]);
}

function describeCommand(command: string | undefined): string {
  return command ? `${PROGRAM} ${command}` : PROGRAM;
}

function unknownFlag(typed: string, command: string | undefined): UsageError {
  const flags = flagsOf(command);
  const bare = typed.replace(/^-+/, '');
  const elsewhere = Object.entries(COMMANDS)
    .filter(([name, spec]) => name !== command && spec.flags.some((f) => f.name === bare || f.short === bare))
    .map(([name]) => name);
  const where = command ? `for ${command}` : 'before a command';
  if (elsewhere.length) {
    return new UsageError(`unknown flag ${typed} ${where}`, `it is a flag of ${elsewhere.join(' and ')}; see ${describeCommand(command)} --help`);
  }
  // -namespace: pflag would read -n amespace; a long name with one dash is a typo for --namespace.
  const asLong = typed.startsWith('-') && !typed.startsWith('--') ? flags.find((f) => f.name === bare) : undefined;
  const guess = asLong ? `--${asLong.name}` : closest(typed.startsWith('--') ? typed : `--${bare}`, longNames(flags));
  return new UsageError(`unknown flag ${typed} ${where}`, guess ? `did you mean ${guess}?` : `see ${describeCommand(command)} --help`);
}

function exampleOf(flag: FlagSpec, typed: string): string {
  if (Array.isArray(flag.value)) return `one of ${flag.value.join(', ')}, e.g. ${typed} ${flag.value[0]}`;
  return `e.g. ${typed} ${flag.example ?? 'VALUE'}`;
}

/** The value given to a flag, refused if it cannot be right whatever the cluster holds. */
function checkValue(flag: FlagSpec, typed: string, value: string): void {
  if (value === '') throw new UsageError(`flag needs an argument: ${typed} is empty (${exampleOf(flag, typed)})`);
  if (Array.isArray(flag.value) && !flag.value.includes(value)) {
    throw new UsageError(`invalid ${typed} "${value}"`, `use one of ${flag.value.join(', ')}`);
  }
  if (flag.value === 'number' && !/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(value)) {
    throw new UsageError(`${typed} needs a number, got "${value}" (${exampleOf(flag, typed)})`);
  }
}

/** kubectl's words, then what to type. */
function missingValue(flag: FlagSpec, typed: string, next: string | undefined): UsageError {
  const why = next === undefined ? '' : `${next} is the next flag; `;
  const dash = next === undefined ? '' : `, or --${flag.name}=VALUE for a value starting with "-"`;
  return new UsageError(`flag needs an argument: ${typed} (${why}${exampleOf(flag, typed)}${dash})`);
}

export interface CheckedLine {
  /** What yargs parses: flags in canonical long form, TYPE/NAME reduced to NAME. */
  argv: string[];
  command?: string;
}

/**
 * Checks the whole command line and returns it in canonical form. Throws a UsageError, exit 2, for any flag missing
 * its value, unknown flag, bad choice or number, unknown command, missing or extra argument, or unsupported kind.
 */
export function checkCommandLine(argv: string[]): CheckedLine {
  const out: string[] = [];
  const positionals: string[] = [];
  let command: string | undefined;
  let help = false;
  let version = false;

  const take = (flag: FlagSpec, typed: string, inline: string | undefined, i: number): number => {
    if (flag.value === undefined) {
      if (inline === undefined) out.push(`--${flag.name}`);
      else if (inline === 'true' || inline === 'false') out.push(`--${flag.name}=${inline}`);
      else throw new UsageError(`${typed} takes no value, got "${inline}"`, `use ${typed} alone, or --no-${flag.name}`);
      if (flag.name === 'help') help = true;
      if (flag.name === 'version') version = true;
      return i;
    }
    let value = inline;
    if (value === undefined && flag.bare !== undefined) {
      // kubectl's --dry-run: bare means client; the older `--dry-run server` stays understood.
      const next = argv[i + 1];
      if (next !== undefined && Array.isArray(flag.value) && flag.value.includes(next)) {
        value = next;
        i++;
      } else value = flag.bare;
    } else if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || looksLikeFlag(next)) throw missingValue(flag, typed, next);
      value = next;
      i++;
    }
    checkValue(flag, typed, value);
    out.push(`--${flag.name}=${value}`);
    return i;
  };

  const known = () => (command ? flagsOf(command) : [...GLOBAL_FLAGS, ...ROOT_FLAGS]);

  let dashes = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (dashes || !word.startsWith('-') || word === '-') {
      if (command === undefined) {
        if (!COMMANDS[word]) {
          const guess = closest(word, Object.keys(COMMANDS));
          throw new UsageError(`unknown command "${word}"`, guess ? `did you mean ${guess}? The commands are ${COMMAND_LIST}` : `use ${COMMAND_LIST}`);
        }
        command = word;
        // First, whatever was typed before it: yargs reads `--as-group=ops status web` as three groups.
        out.unshift(word);
      } else positionals.push(word);
      continue;
    }
    if (word === '--') {
      dashes = true;
      continue;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const head = eq < 0 ? word : word.slice(0, eq);
      const inline = eq < 0 ? undefined : word.slice(eq + 1);
      const negated = /^--no-(.+)$/.exec(head);
      const base = negated ? known().find((f) => f.name === negated[1] && f.value === undefined && f.name !== 'help') : undefined;
      if (base) {
        if (inline !== undefined) throw new UsageError(`${head} takes no value, got "${inline}"`, `use ${head} alone`);
        out.push(`--no-${base.name}`);
        continue;
      }
      const flag = findFlag(known(), head);
      if (!flag) throw unknownFlag(head, command);
      i = take(flag, head, inline, i);
      continue;
    }
    // Short flags: -n shop, -nshop, -n=shop, -v9, and booleans grouped as in -wy. A long name with one dash
    // (-namespace) is refused rather than read as -n amespace.
    const letters = word.slice(1);
    if (letters.split('=')[0].length > 1 && known().some((f) => f.name === letters.split('=')[0])) throw unknownFlag(word.split('=')[0], command);
    for (let j = 0; j < letters.length; j++) {
      const typed = `-${letters[j]}`;
      const flag = known().find((f) => f.short === letters[j]);
      if (!flag) throw unknownFlag(j === 0 ? word.split('=')[0] : typed, command);
      if (flag.value === undefined) {
        i = take(flag, typed, undefined, i);
        continue;
      }
      const rest = letters.slice(j + 1);
      const inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
      i = take(flag, typed, inline, i);
      break;
    }
  }

  const spec = command ? COMMANDS[command] : undefined;
  let targets = positionals;
  if (spec?.many) {
    // kubectl's forms: several TYPE/NAME (or NAME) words, or one TYPE word with -l/--selector or --all.
    const kindFlag = out.findIndex((w) => w.startsWith('--kind='));
    // crr's -l picks pods of the workloads named (`crr web -l zone=a`); with no name, or a TYPE alone, the workloads.
    const podSelector = command === 'crr' && kindFlag < 0 && positionals.length > 0 && !(positionals.length === 1 && !positionals[0].includes('/') && kindOf(positionals[0]));
    const selecting = out.some((w) => (w.startsWith('--selector=') && !podSelector) || w === '--all' || w === '--all-namespaces');
    if (out.includes('--all-namespaces') && !out.some((w) => w.startsWith('--selector=') || w === '--all')) {
      throw new UsageError('-A/--all-namespaces needs -l/--selector or --all', `e.g. ${PROGRAM} ${command} -A -l tier=web`);
    }
    if (out.some((w) => w.startsWith('--selector=')) && out.includes('--all')) throw new UsageError('-l/--selector and --all cannot be combined', 'use one of them');
    if (selecting) {
      if (positionals.length > 1) throw new UsageError(`with -l/--selector or --all, give at most one TYPE (e.g. asts), got ${positionals.join(' ')}`, `e.g. ${PROGRAM} ${command} asts -l tier=db`);
      const typed = positionals[0] ?? (kindFlag >= 0 ? out[kindFlag].slice('--kind='.length) : 'cloneset');
      if (positionals.length === 1 && kindFlag >= 0) throw new UsageError(`the kind is given twice (${positionals[0]} and ${out[kindFlag]})`, 'give it once');
      if (typed.includes('/')) throw new UsageError(`"${typed}" names one workload: with -l/--selector or --all give only its TYPE`, `e.g. ${PROGRAM} ${command} asts -l tier=db`);
      const kind = kindArgument(typed);
      if (kindFlag >= 0) out.splice(kindFlag, 1);
      out.push(`--kind=${kind}`);
      targets = [];
    } else if (kindFlag >= 0) {
      throw new UsageError('--kind only applies with -l/--selector or --all', 'give each workload as TYPE/NAME, e.g. asts/db');
    }
  }
  if (!help && !version) {
    if (!spec) throw new UsageError('a command is required', `use ${COMMAND_LIST}, e.g. ${PROGRAM} status web (see ${PROGRAM} --help)`);
    const selected = spec.many && out.some((w) => w.startsWith('--kind='));
    if (spec.positional && targets.length === 0 && !selected) {
      throw spec.positional === 'clonesets'
        ? new UsageError(`${command} needs the name of a CloneSet`, `e.g. ${PROGRAM} ${command} web (or cloneset/web, asts/db, ads/agent${spec.many ? ', or -l tier=web' : ''})`)
        : new UsageError(`${command} needs one of ${spec.positional.join(', ')}`, `e.g. ${PROGRAM} ${command} ${spec.positional[0]}`);
    }
  }
  const most = spec?.many ? Infinity : spec?.positional ? 1 : 0;
  if (spec && targets.length > most) {
    const extra = targets[most];
    const takes = spec.positional === 'clonesets' ? 'one CloneSet' : spec.positional ? 'one argument' : 'no argument';
    throw new UsageError(`unexpected argument "${extra}": ${command} takes ${takes}`, `see ${describeCommand(command)} --help`);
  }
  if (spec && targets.length) {
    const words = targets.map((t) => (spec.positional === 'clonesets' ? canonicalTarget(parseTarget(t)) : t));
    if (Array.isArray(spec.positional) && !spec.positional.includes(words[0])) throw new UsageError(`unknown shell "${words[0]}"`, `use one of ${spec.positional.join(', ')}`);
    // Right after the command: after an array flag (--container=app web), yargs would take them as more values.
    if (words.some((w) => w.startsWith('-'))) out.push('--', ...words);
    else out.splice(out.indexOf(command as string) + 1, 0, ...words);
  }
  return { argv: out, command };
}

/**
 * `-o json|yaml` as typed on a line the check refused: a script that asked for a document gets one for a usage error
 * too. Read loosely, since the line is wrong somewhere: the last well-formed -o/--output wins.
 */
export function requestedDocument(argv: string[]): 'json' | 'yaml' | undefined {
  let format: string | undefined;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const m = /^(?:-o|--output)(?:=?(.+))?$/.exec(argv[i]) ?? /^-o(.+)$/.exec(argv[i]);
    if (m) format = m[1] ?? argv[i + 1];
  }
  return format === 'json' || format === 'yaml' ? format : undefined;
}
