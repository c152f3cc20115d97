import { describe, expect, it } from 'vitest';
import { useSlackStandIn } from './use.js';

// The external upload as Slack documents it: a URL per file, the bytes to it, then completion.
const slack = useSlackStandIn();

async function call(method: string, body: Record<string, string>) {
  const res = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: 'Bearer xoxb-test-token', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('the Slack stand-in: files', () => {
  it('hands out an upload URL on 127.0.0.1, keeps the bytes, and shares them when completed', async () => {
    const got = await call('files.getUploadURLExternal', { filename: 'a.bin', length: '3' });
    expect(got.ok).toBe(true);
    const url = new URL(String(got.upload_url));
    expect(url.hostname).toBe('127.0.0.1');
    // Not uploaded yet: it cannot be completed.
    const early = await call('files.completeUploadExternal', { files: JSON.stringify([{ id: got.file_id }]) });
    expect(early).toMatchObject({ ok: false, error: 'file_not_found' });
    const up = await fetch(url, { method: 'POST', body: new Uint8Array([1, 2, 3]) });
    expect(up.status).toBe(200);
    const done = await call('files.completeUploadExternal', {
      files: JSON.stringify([{ id: got.file_id, title: 'three bytes' }]),
      channel_id: 'C0RUNGUARD1',
      initial_comment: 'here',
    });
    expect(done.ok).toBe(true);
    const file = slack.files.get(String(got.file_id))!;
    expect([...file.bytes!]).toEqual([1, 2, 3]);
    expect(file.title).toBe('three bytes');
    expect(slack.messages('C0RUNGUARD1').map((m) => m.text)).toEqual(['here']);
  });

  it('refuses an upload URL request without a filename or length, and an unknown channel', async () => {
    expect(await call('files.getUploadURLExternal', { length: '3' })).toMatchObject({ ok: false });
    expect(await call('files.getUploadURLExternal', { filename: 'x' })).toMatchObject({ ok: false });
    const got = await call('files.getUploadURLExternal', { filename: 'a.bin', length: '1' });
    await fetch(String(got.upload_url), { method: 'POST', body: new Uint8Array([9]) });
    const done = await call('files.completeUploadExternal', {
      files: JSON.stringify([{ id: got.file_id }]),
      channel_id: 'C0NOWHERE99',
    });
    expect(done).toMatchObject({ ok: false, error: 'channel_not_found' });
  });
});
