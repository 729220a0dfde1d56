// Where progress goes: a live table on a terminal, appended lines elsewhere, nothing (until the end) for -o json|yaml.
import type { CommandContext } from './context';
import type { RestartProgress } from '../kruise/progress';
import { colorEnabled, LineReporter, LiveView, liveViewSupported, renderFrame } from '../ui/index';

export interface ProgressSink {
  update(progress: RestartProgress): void;
  finish(progress: RestartProgress): void;
}

function useColor(ctx: CommandContext): boolean {
  return colorEnabled(ctx.stdout, { noColor: !ctx.args.color, env: ctx.env });
}

export function progressSink(ctx: CommandContext, output: string | undefined): ProgressSink {
  if (output === 'json' || output === 'yaml') return { update() {}, finish() {} };
  if (liveViewSupported(ctx.stdout, ctx.env)) {
    const view = new LiveView(ctx.stdout, { color: useColor(ctx), wide: output === 'wide' });
    return { update: (p) => view.update(p), finish: (p) => view.stop(p) };
  }
  const lines = new LineReporter(ctx.stdout);
  return { update: (p) => lines.update(p, ctx.now()), finish: (p) => lines.finish(p, ctx.now()) };
}

/** One snapshot for `status` without --watch: the table, sized to the terminal when there is one. */
export function renderOnce(ctx: CommandContext, progress: RestartProgress, output: string | undefined): void {
  const tty = Boolean(ctx.stdout.isTTY);
  const frame = renderFrame(progress, {
    columns: tty ? (ctx.stdout.columns ?? 120) : 200,
    rows: tty ? Math.max(10, (ctx.stdout.rows ?? 40) - 1) : 100_000,
    color: useColor(ctx),
    wide: output === 'wide',
    now: ctx.now(),
  });
  ctx.stdout.write(frame.endsWith('\n') ? frame : `${frame}\n`);
}
