// Google clients pointed at local stand-ins (tests, demos): plaintext, so only ever to loopback.
// One check for every client, made before any library is loaded.

import { requireExternal } from './external.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** "127.0.0.1:PORT" → host and port; anything but a loopback host:port is refused, naming `what`. */
export function loopbackEndpoint(endpoint: string, what: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(endpoint);
  if (!m || !LOOPBACK.has(m[1]!))
    throw new Error(
      `${what} endpoint must be loopback host:port (plaintext is never sent elsewhere), got "${endpoint}"`,
    );
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * gax client options for a stand-in on loopback. Every client here resolves the one
 * @grpc/grpc-js in the tree; a second copy would fail grpc-js's instanceof check on sslCreds.
 */
export async function loopbackClientOptions(local: { host: string; port: number }) {
  const grpc = requireExternal('grpc') as typeof import('@grpc/grpc-js');
  return {
    apiEndpoint: local.host, // gax appends the port itself
    port: local.port,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com', // skips the ADC / metadata-server probe
  };
}
