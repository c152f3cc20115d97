import { requireExternal } from './external.js';
import { encodeRevertRequest, type RevertRequest } from '../core/revert-request.js';

// The port slackInteractions publishes revert requests through, and its Pub/Sub adapter. The
// client library is loaded on first use (a cold start that only verifies a signature never pays
// for it); PUBSUB_EMULATOR_HOST points it at the emulator in tests and `npm start`.

export interface RevertRequests {
  /** Resolves with the message id once Pub/Sub has the request. */
  publish(request: RevertRequest): Promise<string>;
  /** Starts loading the client (about a second on a new instance) while other checks run. */
  warm?(): void;
}

/** `projects/P/topics/T`. */
export const TOPIC = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/topics\/[A-Za-z][\w.~+%-]{2,254}$/;

export function pubsubRevertRequests(topic: string, opts: { apiEndpoint?: string } = {}): RevertRequests {
  if (!TOPIC.test(topic)) throw new Error(`not a Pub/Sub topic name (projects/P/topics/T): ${topic}`);
  const project = topic.split('/')[1]!;
  let publisher: Promise<{ publishMessage(m: { data: Buffer; attributes: Record<string, string> }): Promise<string> }>;
  const get = () =>
    (publisher ??= Promise.resolve().then(() => {
      const { PubSub } = requireExternal('pubsub') as typeof import('@google-cloud/pubsub');
      return new PubSub({
        projectId: project,
        ...(opts.apiEndpoint ? { apiEndpoint: opts.apiEndpoint, emulatorMode: true } : {}),
      }).topic(topic, { batching: { maxMessages: 1, maxMilliseconds: 0 } });
    }));
  return {
    async publish(request) {
      return (await get()).publishMessage(encodeRevertRequest(request));
    },
    warm() {
      get().catch(() => undefined);
    },
  };
}
