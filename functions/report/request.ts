// Cloud Scheduler asks for the weekly report on the reconcile topic: a message whose data is
// {"report": "weekly", ...}. Anything else on that topic is a sweep, as before. No imports: the
// reconcile function reads this for every message, and a sweep should not load the report.

export interface ReportRequest {
  report: 'weekly';
  /** How far back, as the CLI's --since (default 7d). */
  since?: string;
}

export function reportRequest(cloudEventData: unknown): ReportRequest | null {
  const data = (cloudEventData as { message?: { data?: unknown } } | null)?.message?.data;
  if (typeof data !== 'string') return null;
  try {
    const body = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { report?: unknown; since?: unknown };
    if (body?.report !== 'weekly') return null;
    return { report: 'weekly', ...(typeof body.since === 'string' ? { since: body.since } : {}) };
  } catch {
    return null;
  }
}
