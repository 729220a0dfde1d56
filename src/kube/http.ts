// One HTTP exchange with the API server over Node's own http/https: the agent (keep-alive, TLS identity) and headers
// come from the credentials, gzip answers are inflated as they stream in. A request is aborted by its signal; the
// error is then an AbortError whatever stage it reached, so callers tell a deadline from a network failure.
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type * as Zlib from 'node:zlib';
import { builtin } from '../bundles';
import type { RequestHeaders } from './credentials';

export interface HttpInit {
  method: string;
  headers: RequestHeaders;
  agent: Agent;
  body?: string;
  signal: AbortSignal;
}

export interface HttpResponse {
  status: number;
  header(name: string): string | undefined;
  /** The body, inflated. */
  body: Readable;
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}

export function send(url: string, init: HttpInit): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (init.signal.aborted) return reject(abortError());
    const headers: RequestHeaders = { 'accept-encoding': 'gzip, deflate', ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: init.method, headers, agent: init.agent });
    const onAbort = () => request.destroy(abortError());
    init.signal.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => {
      init.signal.removeEventListener('abort', onAbort);
      reject(init.signal.aborted ? abortError() : err);
    });
    request.on('response', (response: IncomingMessage) => {
      const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
      let body: Readable = response;
      if (encoding === 'gzip' || encoding === 'deflate') {
        const zlib = builtin<typeof Zlib>('node:zlib');
        const inflate = encoding === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
        response.on('error', (err) => inflate.destroy(err));
        body = response.pipe(inflate);
      }
      // An abort while the body streams in ends the stream with the same AbortError.
      const onBodyAbort = () => body.destroy(abortError());
      init.signal.removeEventListener('abort', onAbort);
      init.signal.addEventListener('abort', onBodyAbort, { once: true });
      body.once('close', () => init.signal.removeEventListener('abort', onBodyAbort));
      resolve({
        status: response.statusCode ?? 0,
        header: (name) => {
          const value = response.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body,
      });
    });
    request.end(init.body);
  });
}

/** The whole body as text (UTF-8). */
export async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
