import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { FetchFunction, FetchResponse } from '@slack/web-api/dist/WebClient.js';

// The WebClient's transport over node:http(s) (its documented `fetch` option) instead of the global
// fetch. Node builds its fetch on a bundled undici that it compiles on first use: ~40 ms of CPU, the
// largest single cost of a cold IAM alert after the framework itself (node --cpu-prof), spent to send
// one POST. The client needs only the FetchFunction it declares: a string body, the status, headers
// and the body as text. Slack's Web API answers in place (no redirects) and, asked for no encoding,
// uncompressed. A body that is not a string (the weekly report's file upload, multipart) goes through
// the global fetch: that path is not cold-start critical and needs fetch's own body encoding.

export const httpFetch: FetchFunction = async (url, init = {}) => {
  const target = new URL(url);
  if (init.body !== undefined && typeof init.body !== 'string')
    return (await globalThis.fetch(url, init as RequestInit)) as unknown as FetchResponse;
  const request =
    target.protocol === 'https:'
      ? // Loaded when first needed (TLS costs a cold start that never posts), and without import(): the
        // artifact's bundles run under vm.Script, which has no dynamic import (clients/compile-cache.ts).
        process.getBuiltinModule('node:https').request
      : target.protocol === 'http:'
        ? httpRequest
        : undefined;
  if (!request) throw new TypeError(`httpFetch: unsupported protocol ${target.protocol}`);
  init.signal?.throwIfAborted();
  const body = init.body;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      target,
      {
        method: init.method ?? 'GET',
        headers: { ...init.headers, ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) },
        ...(init.signal ? { signal: init.signal } : {}),
      },
      resolve,
    );
    req.once('error', reject);
    req.end(body);
  });
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('the response was cut off')));
  });
  const status = res.statusCode ?? 0;
  // fetch follows redirects or, with redirect: 'error' (what the WebClient asks), fails; this one never follows.
  if (status >= 300 && status < 400 && init.redirect !== 'manual')
    throw new TypeError(`fetch failed: unexpected redirect (${status}) from ${target.origin}`);
  const header = (name: string): string | null => {
    const v = res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  const response: FetchResponse = {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    url: target.href,
    headers: {
      get: header,
      entries: () => Object.keys(res.headers).map((k): [string, string] => [k, header(k) ?? '']),
    },
    arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    json: async () => JSON.parse(bytes.toString('utf8')),
    text: async () => bytes.toString('utf8'),
  };
  return response;
};
