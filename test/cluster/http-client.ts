// A tiny HTTPS client for the simulator's own tests: raw status codes, headers and bodies, no retries.

import { request } from 'node:https';
import type { Cluster } from './index';

export interface Reply<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export function call<T = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
  c: Pick<Cluster, 'url' | 'token' | 'caPem'>,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; contentType?: string; accept?: string } = {},
): Promise<Reply<T>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    const token = opts.token === undefined ? c.token : opts.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    const req = request(`${c.url}${path}`, { method, headers, ca: c.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* plain text bodies (404 page not found) stay strings */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, text });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface WatchEvent {
  type: string;
  object: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Opens a watch and collects events; `events` fills as lines arrive, `ended` resolves when the server closes. */
export function watch(c: Pick<Cluster, 'url' | 'token' | 'caPem'>, path: string) {
  const events: WatchEvent[] = [];
  let status = 0;
  let close: () => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    const req = request(`${c.url}${path}`, { headers: { Authorization: `Bearer ${c.token}`, Accept: 'application/json' }, ca: c.caPem }, (res) => {
      status = res.statusCode ?? 0;
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
      res.on('close', () => resolve());
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
    req.end();
    close = () => req.destroy();
  });
  return { events, ended, close: () => close(), status: () => status };
}
