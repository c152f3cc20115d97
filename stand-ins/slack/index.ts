export { startSlackStandIn, type SlackStandIn, type SlackStandInOptions, type RecordedRequest } from './server.js';
export type { StoredFile } from './files.js';
export { signSlackRequest, slackSignatureHeaders } from './sign.js';
export {
  DEFAULT_CHANNELS,
  DEFAULT_IDENTITY,
  cmpTs,
  type ChannelSpec,
  type HistoryEntry,
  type Identity,
  type RateLimit,
  type StoredMessage,
  type StoredView,
  type ThreadedMessage,
  type UserSpec,
} from './state.js';
