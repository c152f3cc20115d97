import { range } from './chart-svg.js';
import type { WeeklyReport } from './model.js';
import { reportBlocks } from './slack-blocks.js';

// Posts the report to Slack: the chart uploaded with files.uploadV2 (getUploadURLExternal, the bytes
// to the upload URL, completeUploadExternal), shared with the summary blocks in one message. The
// upload needs a channel id: a `#name` is posted to first (chat.postMessage answers with the id) and
// the chart goes into that message's thread.

/** The two Web API calls the report makes (a WebClient has both); bot scopes chat:write and files:write. */
export interface ReportSlackApi {
  chat: {
    postMessage(args: { channel: string; text: string; blocks: unknown[] }): Promise<{ channel?: string; ts?: string }>;
  };
  filesUploadV2(args: {
    channel_id: string;
    file: Buffer;
    filename: string;
    title: string;
    alt_text?: string;
    blocks?: unknown[];
    initial_comment?: string;
    thread_ts?: string;
  }): Promise<unknown>;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/;

export async function postReport(
  api: ReportSlackApi,
  channel: string,
  report: WeeklyReport,
  png: Buffer,
): Promise<{ channel: string; threadTs?: string }> {
  const { text, blocks } = reportBlocks(report);
  const file = {
    file: png,
    filename: `runguard-week-${new Date(report.until).toISOString().slice(0, 10)}.png`,
    title: `runguard: findings, reverts and exemptions per day, ${range(report)}`,
    alt_text: `Stacked bars per day and rule: ${text}`,
  };
  if (CHANNEL_ID.test(channel)) {
    await api.filesUploadV2({ channel_id: channel, ...file, blocks });
    return { channel };
  }
  const posted = await api.chat.postMessage({ channel, text, blocks });
  if (!posted.channel || !posted.ts) throw new Error(`Slack did not say where the report was posted in ${channel}`);
  await api.filesUploadV2({
    channel_id: posted.channel,
    thread_ts: posted.ts,
    ...file,
    initial_comment: 'The week per day and rule.',
  });
  return { channel: posted.channel, threadTs: posted.ts };
}
