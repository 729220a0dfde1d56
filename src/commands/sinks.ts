// Where progress goes: a live table on a terminal, appended lines elsewhere, nothing (until the end) for -o json|yaml.
import type { CommandContext } from '../cli/context';
import type { RestartProgress } from '../kruise/progress';

export interface ProgressSink {
  update(progress: RestartProgress): void;
  finish(progress: RestartProgress): void;
}

export function progressSink(ctx: CommandContext, output: string | undefined): ProgressSink {
  if (output === 'json' || output === 'yaml') return { update() {}, finish() {} };
  let last = '';
  return {
    update(p) {
      if (p.message !== last) ctx.stdout.write(`${p.message}\n`);
      last = p.message;
    },
    finish(p) {
      if (p.message !== last) ctx.stdout.write(`${p.message}\n`);
    },
  };
}

/** One snapshot for `status` without --watch. */
export function renderOnce(ctx: CommandContext, progress: RestartProgress, output: string | undefined): void {
  ctx.stdout.write(`${progress.message}\n`);
  void output;
}
