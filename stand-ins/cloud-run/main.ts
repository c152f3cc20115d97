// Starts the Cloud Run stand-in on a free 127.0.0.1 port for manual or cross-process use:
//   npx tsx stand-ins/cloud-run/main.ts   → {"port":NNNNN,"apiEndpoint":"127.0.0.1"}
import { startCloudRunStandIn } from './server.js';

process.env.METADATA_SERVER_DETECTION ??= 'none';
const standIn = await startCloudRunStandIn({ pendingPolls: Number(process.env.PENDING_POLLS ?? 0) });
console.log(JSON.stringify({ port: standIn.port, apiEndpoint: standIn.clientOptions.apiEndpoint }));

const stop = (): void => {
  void standIn.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
