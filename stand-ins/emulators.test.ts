// Starts the real Java emulators as child processes and proves stop() leaves no process behind.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { sdkRoot, startFirestoreEmulator, startPubSubEmulator, type EmulatorHandle } from './emulators.js';
import { isAlive } from './kill-tree.js';

process.env.METADATA_SERVER_DETECTION = 'none';

function comm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

/** Stops the emulator and checks every process of its tree, java included, has exited. */
async function stopAndExpectGone(handle: EmulatorHandle): Promise<void> {
  const tree = handle.treePids();
  const java = tree.filter((pid) => comm(pid) === 'java');
  expect(java).toHaveLength(1);
  await handle.stop();
  expect(tree.filter(isAlive)).toEqual([]);
  // Not even a zombie: the tree is killed bottom-up so each parent reaps its child.
  const signalable = tree.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(signalable.map((pid) => `${pid} ${readFileSync(`/proc/${pid}/stat`, 'utf8')}`)).toEqual([]);
  await expect(fetch(`http://${handle.host}/`)).rejects.toThrow();
}

function hasSdk(): boolean {
  try {
    return sdkRoot() !== '';
  } catch {
    return false;
  }
}

// The emulators come with the Google Cloud SDK and need Java; machines without them skip, not fail.
describe.skipIf(!hasSdk())('emulators', () => {
  it('Pub/Sub (direct launcher): create topic + subscription, publish and pull one message, stop', async () => {
    const emu = await startPubSubEmulator({ project: 'p1' });
    try {
      // emulatorMode forces insecure credentials; no ADC lookup happens for the emulator.
      const pubsub = new PubSub({ projectId: 'p1', apiEndpoint: emu.host, emulatorMode: true });
      const [topic] = await pubsub.createTopic('run-audit');
      const [sub] = await topic.createSubscription('run-audit-pull');
      const id = await topic.publishMessage({ data: Buffer.from('{"hello":"world"}'), attributes: { a: '1' } });
      const msg = await new Promise<Message>((resolve, reject) => {
        sub.once('message', resolve);
        sub.once('error', reject);
      });
      msg.ack();
      expect(msg.id).toBe(id);
      expect(msg.data.toString()).toBe('{"hello":"world"}');
      expect(msg.attributes).toEqual({ a: '1' });
      await sub.close();
      await pubsub.close();
    } finally {
      await stopAndExpectGone(emu);
    }
  }, 60_000);

  it('Pub/Sub through gcloud: python → java tree is stopped', async () => {
    const emu = await startPubSubEmulator({ project: 'p1', launcher: 'gcloud' });
    await stopAndExpectGone(emu);
  }, 60_000);

  it('Firestore through gcloud: ready on GET /, python → bash → java tree is stopped', async () => {
    const emu = await startFirestoreEmulator({ project: 'p1' });
    try {
      const res = await fetch(`http://${emu.host}/`);
      expect((await res.text()).trim()).toBe('Ok');
      expect(emu.treePids().length).toBeGreaterThanOrEqual(3);
    } finally {
      await stopAndExpectGone(emu);
    }
  }, 60_000);
});
