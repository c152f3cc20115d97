// Structured logging as Cloud Logging reads it from stdout: one JSON object per line with
// `severity` and `message`; labels become indexed log labels. Nothing here may hold a secret:
// services are never logged, and env values were redacted at normalization anyway.

export type LogSeverity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL' | 'ALERT';

export interface LogLine {
  severity: LogSeverity;
  message: string;
  /** What kind of line: decision, skip, malformed, duplicate, transient, alert… */
  event: string;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

export type Logger = (line: LogLine) => void;

export const stdoutLogger: Logger = ({ labels, ...line }) => {
  const out = labels ? { ...line, 'logging.googleapis.com/labels': { component: 'runguard', ...labels } } : line;
  process.stdout.write(`${JSON.stringify(out)}\n`);
};
