// @slack/web-api's WebClient from its own module. The package's index also loads its request and
// response type modules, the chat stream and every export beside the client: ~20 ms of a cold start
// that only ever constructs a WebClient. The package has no "exports" map, so its files are its API
// surface as much as the index, and the version is pinned by the artifact's lockfile.

import { requireExternal } from '../clients/external.js';

/** WebClient and LogLevel, as `import('@slack/web-api')` gives them (through require(): clients/external.ts). */
export async function loadSlackWebApi() {
  const { WebClient } = requireExternal(
    '@slack/web-api/dist/WebClient.js',
  ) as typeof import('@slack/web-api/dist/WebClient.js');
  const { LogLevel } = requireExternal(
    '@slack/web-api/dist/logger.js',
  ) as typeof import('@slack/web-api/dist/logger.js');
  return { WebClient, LogLevel };
}
