import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that holds every chunk from the client for `delayMs` before passing it on
 * (answers go back at once), so each request/response round trip through it costs `delayMs` more:
 * a stand-in for the network distance to a real service (the Firestore emulator answers in ~1 ms).
 * Order is kept because every chunk waits the same time. Loopback only, in both directions.
 */
export interface DelayProxy {
  port: number;
  host: string;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startDelayProxy(target: { host: string; port: number }, delayMs: number): Promise<DelayProxy> {
  if (target.host !== '127.0.0.1') throw new Error(`delay proxy: loopback targets only, not ${target.host}`);
  let delay = delayMs;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk) => {
      if (delay <= 0) upstream.write(chunk);
      else setTimeout(() => upstream.writable && upstream.write(chunk), delay);
    });
    upstream.on('data', (chunk) => client.writable && client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  return {
    port,
    host: `127.0.0.1:${port}`,
    setDelay: (ms) => {
      delay = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
