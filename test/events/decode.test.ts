import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeInput, decodeItem } from '../../functions/events/decode.js';

const FIXTURES = new URL('../fixtures/auditlogs/real/', import.meta.url);
const raw = readFileSync(new URL('run-v1-replaceservice-console-ingress-all.json', FIXTURES), 'utf8');
const entry = JSON.parse(raw);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const push = (data: string, messageId = 'm-1') => ({
  subscription: 'projects/p/subscriptions/s',
  message: {
    data,
    messageId,
    publishTime: '2024-05-06T22:58:05.000Z',
    attributes: { 'logging.googleapis.com/timestamp': entry.timestamp },
  },
});

describe('decodeInput', () => {
  it('reads a bare LogEntry as one entry', () => {
    const [d, ...rest] = decodeInput(raw);
    expect(rest).toHaveLength(0);
    expect(d).toMatchObject({ index: 1, envelope: 'log-entry' });
    expect(d!.entry!.insertId).toBe('qd23mgd4u3f');
  });

  it('unwraps the base64 data of a Pub/Sub push body and keeps the message id', () => {
    const [d] = decodeInput(JSON.stringify(push(b64(entry), '4242')));
    expect(d).toMatchObject({ envelope: 'pubsub-push', messageId: '4242' });
    expect(d!.entry!.protoPayload!.methodName).toBe('google.cloud.run.v1.Services.ReplaceService');
  });

  it('unwraps a structured CloudEvent whose data is the push body (2nd-gen functions)', () => {
    const ce = {
      specversion: '1.0',
      id: 'ce-7',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/p/topics/t',
      data: push(b64(entry), '7'),
    };
    const [d] = decodeInput(JSON.stringify(ce));
    expect(d).toMatchObject({ envelope: 'cloudevent', messageId: '7' });
    expect(d!.entry!.insertId).toBe('qd23mgd4u3f');
  });

  it('reads a bare PubsubMessage as a 1st-gen background function receives it', () => {
    const msg = { '@type': 'type.googleapis.com/google.pubsub.v1.PubsubMessage', attributes: {}, data: b64(entry) };
    expect(decodeInput(JSON.stringify(msg))[0]).toMatchObject({ envelope: 'pubsub-message' });
  });

  it('reads a JSON array of mixed envelopes, numbering entries from 1', () => {
    const items = [entry, push(b64(entry), 'a'), { nope: true }];
    const out = decodeInput(JSON.stringify(items));
    expect(out.map((d) => d.index)).toEqual([1, 2, 3]);
    expect(out[0]!.entry).toBeDefined();
    expect(out[1]!.entry).toBeDefined();
    expect(out[2]!.error).toMatch(/not a LogEntry, Pub\/Sub message or CloudEvent \(keys: nope\)/);
  });

  it('reads JSON Lines and keeps going past a broken line', () => {
    const text = [JSON.stringify(entry), '{"broken": ', '', JSON.stringify(push(b64(entry)))].join('\n');
    const out = decodeInput(text);
    expect(out).toHaveLength(3);
    expect(out[0]!.entry).toBeDefined();
    expect(out[1]).toMatchObject({ index: 2 });
    expect(out[1]!.error).toMatch(/^line 2: not JSON/);
    expect(out[2]!.entry).toBeDefined();
  });

  it('says once that a broken pretty-printed document is not JSON', () => {
    const out = decodeInput(JSON.stringify(entry, null, 2).slice(0, -3));
    expect(out).toHaveLength(1);
    expect(out[0]!.error).toMatch(/^not JSON/);
  });

  it('returns nothing for empty input, so the caller can say the input was empty', () => {
    expect(decodeInput('  \n\n ')).toEqual([]);
  });

  it.each([
    ['data that is not base64', push('***not base64***'), /message\.data: not base64/],
    ['base64 that is not JSON', push(b64('hello')), /message\.data: decoded base64 is not JSON/],
    ['base64 JSON that is not an object', push(b64('[1,2]')), /expected a LogEntry object, got an array/],
    ['an empty data field', push(''), /message\.data missing or empty/],
    ['a push body whose message is a string', { message: 'x' }, /message missing or not an object/],
    ['a CloudEvent without data', { specversion: '1.0', id: 'e1' }, /cloudevent e1: data missing/],
    ['a number', 42, /expected a JSON object, got number/],
    ['null', null, /expected a JSON object, got null/],
  ])('reports %s with a reason and keeps the message id', (_, item, reason) => {
    const d = decodeItem(item, 5);
    expect(d.entry).toBeUndefined();
    expect(d.index).toBe(5);
    expect(d.error).toMatch(reason);
  });

  it('keeps the message id of a message it could not decode, so the log line can name it', () => {
    expect(decodeItem(push(b64('nope'), '991'))).toMatchObject({ messageId: '991', error: expect.any(String) });
  });
});
