import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch } from '../../functions/slack/http-fetch.js';

// The WebClient's transport: what it sends and what the client reads back, against a local server.

let base = '';
const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c));
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    if (req.url === '/limited') {
      res.writeHead(429, { 'retry-after': '3' }).end();
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/elsewhere' }).end();
    } else if (req.url === '/slow') {
      setTimeout(() => res.writeHead(200).end('{}'), 2_000);
    } else {
      res.setHeader('x-oauth-scopes', 'chat:write');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, 'Fine', { 'content-type': 'application/json; charset=utf-8' }).end('{"ok":true,"ts":"1.2"}');
    }
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('httpFetch', () => {
  it('POSTs the string body with its headers and reads status, headers and body', async () => {
    const res = await httpFetch(`${base}/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-1', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'channel=C1&text=h%C3%A9',
      redirect: 'error',
    });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/api/chat.postMessage',
      body: 'channel=C1&text=h%C3%A9',
      headers: { authorization: 'Bearer xoxb-1', 'content-length': '23' },
    });
    expect([res.ok, res.status, res.statusText, res.url]).toEqual([true, 200, 'Fine', `${base}/api/chat.postMessage`]);
    expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-oauth-scopes')).toBe('chat:write');
    expect(res.headers.get('retry-after')).toBeNull();
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({ 'set-cookie': 'a=1, b=2' });
    expect(await res.text()).toBe('{"ok":true,"ts":"1.2"}');
    expect(await res.json()).toEqual({ ok: true, ts: '1.2' });
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe('{"ok":true,"ts":"1.2"}');
  });

  it('hands a 429 and its Retry-After to the client, which waits it out', async () => {
    const res = await httpFetch(`${base}/limited`, { method: 'POST', body: '' });
    expect([res.ok, res.status, res.headers.get('retry-after')]).toEqual([false, 429, '3']);
  });

  it('never follows a redirect', async () => {
    await expect(httpFetch(`${base}/moved`, { method: 'POST', body: '', redirect: 'error' })).rejects.toThrow(
      /redirect/,
    );
  });

  it('stops at the abort signal (the interactive client’s timeout)', async () => {
    const t = performance.now();
    await expect(
      httpFetch(`${base}/slow`, { method: 'POST', body: '', signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    expect(performance.now() - t).toBeLessThan(1_500);
  });

  it('hands a body that is not a string (a file upload) to the global fetch, and speaks only http(s)', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('PNG bytes')]), 'report.png');
    const res = await httpFetch(`${base}/upload`, { method: 'POST', body: form as never });
    expect(res.status).toBe(200);
    const sent = seen.find((s) => s.url === '/upload')!;
    expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.body).toContain('PNG bytes');
    await expect(httpFetch('ftp://127.0.0.1/x')).rejects.toThrow(/unsupported protocol/);
  });
});
