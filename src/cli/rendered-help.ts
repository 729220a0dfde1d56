// Help text rendered at build time (scripts/build.mjs runs the parser once per help line and stores what it printed),
// so `--help` and `<command> --help` print without loading yargs. From source there is none and yargs renders it.
/** Filled by the build: each help line (`--help`, `inplace -h`, ...) and the index of its text. */
declare const __RENDERED_HELP__: { lines: Record<string, number>; texts: string[] } | undefined;

/** yargs wraps help at min(120, terminal width): the stored text is the 120-column rendering. */
export const RENDERED_HELP_COLUMNS = 120;

/** The stored help for this exact command line, when it was rendered at the width this terminal gets. */
export function renderedHelp(argv: string[], columns: number | undefined): string | undefined {
  if (typeof __RENDERED_HELP__ === 'undefined') return undefined;
  if (columns !== undefined && columns < RENDERED_HELP_COLUMNS) return undefined;
  const index = __RENDERED_HELP__.lines[argv.join(' ')];
  return index === undefined ? undefined : __RENDERED_HELP__.texts[index];
}
