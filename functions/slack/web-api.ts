// @slack/web-api's WebClient from its own module (why: clients/external-names.ts).

import { requireExternal } from '../clients/external.js';

/** WebClient and LogLevel, as `import('@slack/web-api')` gives them (through require(): clients/external.ts). */
export async function loadSlackWebApi() {
  const { WebClient } = requireExternal('slackWebClient') as typeof import('@slack/web-api/dist/WebClient.js');
  const { LogLevel } = requireExternal('slackLogger') as typeof import('@slack/web-api/dist/logger.js');
  return { WebClient, LogLevel };
}
