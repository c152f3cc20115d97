import { readFileSync } from 'node:fs';
import type { LogEntry } from '../core/types.js';
import { decodeInput } from '../events/decode.js';
import type { Io } from './io.js';

/** Where `npm start` writes the address of its local Pub/Sub emulator and topic. */
export const DEV_STATE_FILE = '.runguard/dev.json';

export interface PublishTarget {
  emulatorHost: string;
  project: string;
  topic: string;
}

/**
 * Publishes audit entries to the local loop's Pub/Sub emulator through its REST API, as a log sink
 * would: one LogEntry per message. Only an emulator on loopback is accepted; this is a local tool.
 */
export async function runPublish(
  files: string[],
  target: PublishTarget | null,
  io: Io,
  readFile = (f: string) => readFileSync(f, 'utf8'),
): Promise<number> {
  if (!target) {
    io.stderr(`runguard publish: no running local loop (${DEV_STATE_FILE} not found); start one with \`npm start\`\n`);
    return 2;
  }
  if (!/^(127\.0\.0\.1|localhost):\d+$/.test(target.emulatorHost)) {
    io.stderr(`runguard publish: ${target.emulatorHost} is not a local emulator\n`);
    return 2;
  }
  if (files.length === 0) {
    io.stderr('runguard publish: name a FILE, or - for stdin\n');
    return 2;
  }
  let failed = false;
  for (const file of files) {
    const name = file === '-' ? 'stdin' : file;
    let text: string;
    try {
      text = file === '-' ? io.readStdin() : readFile(file);
    } catch (e) {
      io.stderr(
        `runguard publish: ${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`,
      );
      failed = true;
      continue;
    }
    for (const d of decodeInput(text)) {
      if (d.entry === undefined) {
        io.stderr(`runguard publish: ${name}: entry ${d.index}: ${d.error}\n`);
        failed = true;
        continue;
      }
      try {
        const messageId = await publishEntry(target, d.entry);
        io.stdout(
          `published ${name}: entry ${d.index} (${d.entry.insertId ?? 'no insertId'}) as message ${messageId}\n`,
        );
      } catch (e) {
        io.stderr(`runguard publish: ${name}: entry ${d.index}: ${(e as Error).message}\n`);
        failed = true;
      }
    }
  }
  return failed ? 1 : 0;
}

/** Publishes one LogEntry as one message, through the emulator's REST API; returns the message id. */
export async function publishEntry(target: PublishTarget, entry: LogEntry): Promise<string> {
  const url = `http://${target.emulatorHost}/v1/projects/${target.project}/topics/${target.topic}:publish`;
  const body = JSON.stringify({ messages: [{ data: Buffer.from(JSON.stringify(entry)).toString('base64') }] });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (!res.ok) throw new Error(`the emulator answered ${res.status}`);
  const { messageIds } = (await res.json()) as { messageIds: string[] };
  return messageIds[0] ?? '';
}

export function readPublishTarget(readFile = (f: string) => readFileSync(f, 'utf8')): PublishTarget | null {
  try {
    return JSON.parse(readFile(DEV_STATE_FILE)) as PublishTarget;
  } catch {
    return null;
  }
}
