// Slack's external file upload, as `files.uploadV2` of @slack/web-api drives it:
// files.getUploadURLExternal hands out an upload URL (here on 127.0.0.1), the client POSTs the bytes
// there, and files.completeUploadExternal shares the files into a channel, with blocks or a comment.
import { type Args, err, ok, type Reply } from './methods.js';
import type { Workspace } from './state.js';

export interface StoredFile {
  id: string;
  /** As given to getUploadURLExternal. */
  filename: string;
  /** The length getUploadURLExternal was told; `bytes` holds what really arrived. */
  length: number;
  altText?: string;
  title?: string;
  bytes: Buffer | null;
  /** Set once completed: where it was shared and the message that carries it. */
  channel?: string;
  ts?: string;
  blocks?: unknown[];
  initialComment?: string;
}

export class FileUploads {
  readonly files = new Map<string, StoredFile>();
  private seq = 0;
  /** The stand-in's own origin, known once it listens: upload URLs point back at it. */
  origin = 'http://127.0.0.1:0';

  getUploadURLExternal = (args: Args): Reply => {
    const filename = typeof args.filename === 'string' ? args.filename : '';
    const length = Number(args.length);
    if (!filename) return err('invalid_arguments', { response_metadata: { messages: ['filename is required'] } });
    if (!Number.isInteger(length) || length <= 0) return err('invalid_arguments');
    const id = `F${String(++this.seq).padStart(9, '0')}`;
    this.files.set(id, {
      id,
      filename,
      length,
      bytes: null,
      ...(typeof args.alt_txt === 'string' ? { altText: args.alt_txt } : {}),
    });
    return ok({ file_id: id, upload_url: `${this.origin}/upload/${id}` });
  };

  /** The POST of the bytes to an upload URL: a multipart form with one file part (what the client sends), or raw. */
  receive(id: string, body: Buffer, contentType: string): { status: number; text: string } {
    const file = this.files.get(id);
    if (!file) return { status: 404, text: 'unknown upload' };
    const bytes = filePart(body, contentType);
    if (!bytes) return { status: 400, text: 'no file part' };
    file.bytes = bytes;
    return { status: 200, text: `OK - ${bytes.length}` };
  }

  completeUploadExternal = (args: Args, ws: Workspace): Reply => {
    let listed: Array<{ id?: unknown; title?: unknown }>;
    try {
      listed = typeof args.files === 'string' ? JSON.parse(args.files) : (args.files as typeof listed);
    } catch {
      return err('invalid_arguments');
    }
    if (!Array.isArray(listed) || listed.length === 0) return err('invalid_arguments');
    const files = listed.map((f) => this.files.get(String(f.id)));
    if (files.some((f) => !f?.bytes)) return err('file_not_found');
    const channelId = typeof args.channel_id === 'string' ? args.channel_id : undefined;
    const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
    const comment = typeof args.initial_comment === 'string' ? args.initial_comment : undefined;
    let shared: { channel: string; ts: string } | undefined;
    if (channelId !== undefined) {
      const c = ws.channel(channelId);
      if (!c) return err('channel_not_found');
      if (c.member === false) return err('not_in_channel');
      // As Slack: with a comment the blocks are ignored.
      const msg = ws.post(c.id, {
        text: comment ?? '',
        ...(comment === undefined && blocks ? { blocks } : {}),
        ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
      });
      shared = { channel: c.id, ts: msg.ts };
    }
    listed.forEach((f, i) => {
      const file = files[i]!;
      if (typeof f.title === 'string') file.title = f.title;
      if (shared) Object.assign(file, shared);
      if (blocks) file.blocks = blocks;
      if (comment !== undefined) file.initialComment = comment;
    });
    return ok({ files: files.map((f) => ({ id: f!.id, title: f!.title ?? f!.filename, name: f!.filename })) });
  };

  clear(): void {
    this.files.clear();
  }
}

/** The first part of a multipart/form-data body that carries a filename, else the body itself. */
function filePart(body: Buffer, contentType: string): Buffer | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!contentType.startsWith('multipart/form-data') || !boundary) return body.length > 0 ? body : null;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  for (let at = body.indexOf(delimiter); at >= 0; ) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(at + delimiter.length + 2, next - 2); // past CRLF, before the CRLF of the next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0 && /filename=/i.test(part.subarray(0, headerEnd).toString('utf8')))
      return Buffer.from(part.subarray(headerEnd + 4));
    at = next;
  }
  return null;
}
