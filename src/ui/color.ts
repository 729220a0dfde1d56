// When the output may carry escape codes. Colour and in-place redraw are separate questions: NO_COLOR turns colour off
// but a terminal can still redraw a table in place.

export interface ColorOptions {
  /** `--no-color`. */
  noColor?: boolean;
  env?: Record<string, string | undefined>;
}

/** False when NO_COLOR is set (any value, even empty), with `--no-color`, with TERM=dumb, or off a terminal. */
export function colorEnabled(stream: { isTTY?: boolean }, options: ColorOptions = {}): boolean {
  const env = options.env ?? process.env;
  if (options.noColor === true) return false;
  if (Object.prototype.hasOwnProperty.call(env, 'NO_COLOR') && env.NO_COLOR !== undefined) return false;
  if (env.TERM === 'dumb') return false;
  return stream?.isTTY === true;
}

/** Whether the live view (cursor movement) can run: a terminal that understands escapes. Else use LineReporter. */
export function liveViewSupported(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  return stream?.isTTY === true && env.TERM !== 'dumb';
}
