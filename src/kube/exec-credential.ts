// A kubeconfig's exec credential plugin (client.authentication.k8s.io), run as kubectl runs it. The client library
// runs them too, but its failure is the plugin's whole stderr with the exit code dropped, which the plugin's caller
// then took for a network error; and without an expirationTimestamp it runs the plugin again for every request.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { FailedError } from '../errors';

/** The `exec` entry of a kubeconfig user, as written (kubectl's field names). */
export interface ExecConfig {
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  apiVersion?: string;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
  installHint?: string;
}

export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Milliseconds since the epoch; undefined: valid for as long as this process runs (kubectl: until a 401). */
  expiresAt?: number;
}

/** How the plugin process ended, for the one line the user reads. */
export interface PluginExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its stderr, when it was captured (not when it talked to the user's terminal). */
  stderr?: string;
}

const FIRST_LINE_MAX = 200;

/** The first line with something on it, bounded: a plugin may print a page of help. */
export function firstLine(text: string | undefined): string | undefined {
  const line = text
    ?.split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l);
  if (!line) return undefined;
  return line.length > FIRST_LINE_MAX ? `${line.slice(0, FIRST_LINE_MAX)}…` : line;
}

/**
 * The error for a plugin that ended without a credential: its exit code and its stderr's first line, never its
 * arguments or environment (where kubeconfigs keep secrets). The line is redacted again where every failure is.
 */
export function execFailure(user: string, exec: ExecConfig, exit: PluginExit): FailedError {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const said = firstLine(exit.stderr);
  const what = exit.stderr === undefined ? ' (its messages are above)' : said ? `: ${said}` : ' and printed nothing on stderr';
  return new FailedError(
    `the exec credential plugin of user "${user}" (${basename(exec.command ?? '')}) ${how}${what}`,
    `nothing was sent to the cluster; run ${exec.command} yourself to see what it needs (often a fresh login), then retry`,
  );
}

/** Reads what the plugin printed on stdout: an ExecCredential with a token or a client certificate and key. */
export function parseExecCredential(user: string, exec: ExecConfig, stdout: string): ExecCredential {
  let parsed: { kind?: string; status?: Record<string, unknown> } | undefined;
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const status = parsed?.status;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const token = text(status?.token);
  const cert = text(status?.clientCertificateData);
  const key = text(status?.clientKeyData);
  if (!parsed || parsed.kind !== 'ExecCredential' || (!token && !(cert && key))) {
    throw new FailedError(
      `the exec credential plugin of user "${user}" (${basename(exec.command ?? '')}) exited 0 but printed no ExecCredential with a token or a client certificate and key`,
      `check that ${exec.command} is a Kubernetes credential plugin and that its apiVersion (${exec.apiVersion ?? 'none'}) is one it speaks`,
    );
  }
  const expiry = text(status?.expirationTimestamp);
  const expiresAt = expiry ? Date.parse(expiry) : undefined;
  return { token, clientCertificateData: cert, clientKeyData: key, expiresAt: Number.isFinite(expiresAt) ? expiresAt : undefined };
}

export interface ExecOptions {
  /** Whether stdin is a terminal the plugin could prompt on. */
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs the plugin once. With a terminal and an interactiveMode that allows it, the plugin gets the terminal (stdin
 * and stderr: its prompts must be seen); otherwise its stderr is kept for the error line.
 */
export function runExecPlugin(user: string, exec: ExecConfig, opts: ExecOptions): Promise<ExecCredential> {
  if (!exec.command) return Promise.reject(new FailedError(`the exec credential plugin of user "${user}" has no command`, 'set users[].user.exec.command in the kubeconfig'));
  const mode = exec.interactiveMode ?? 'IfAvailable';
  const interactive = mode !== 'Never' && opts.stdinIsTTY;
  if (mode === 'Always' && !interactive) {
    return Promise.reject(
      new FailedError(`the exec credential plugin of user "${user}" (${basename(exec.command)}) needs a terminal (interactiveMode: Always), and stdin is not one`, 'run the command from a terminal, or log in first so the plugin need not ask'),
    );
  }
  const env: NodeJS.ProcessEnv = { ...opts.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec: { interactive } });
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command as string, exec.args ?? [], { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = exec.installHint ? firstLine(exec.installHint) : undefined;
      reject(
        new FailedError(
          `the exec credential plugin of user "${user}" could not be started: ${exec.command} (${err.code ?? err.message})`,
          hint ?? 'install it, or fix users[].user.exec.command in the kubeconfig',
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(execFailure(user, exec, { code, signal, stderr: interactive ? undefined : stderr }));
        return;
      }
      try {
        resolve(parseExecCredential(user, exec, stdout));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * The credential for each request: run at the first, kept until its expirationTimestamp (a little before, so a
 * request never leaves with a token about to lapse), shared by requests made while the plugin runs.
 */
export function execCredentialSource(user: string, exec: ExecConfig, opts: ExecOptions, now: () => number = Date.now): () => Promise<ExecCredential> {
  let pending: Promise<ExecCredential> | undefined;
  let current: ExecCredential | undefined;
  return async () => {
    if (current && (current.expiresAt === undefined || current.expiresAt - 10_000 > now())) return current;
    pending ??= runExecPlugin(user, exec, opts).finally(() => (pending = undefined));
    current = await pending;
    return current;
  };
}
