/**
 * A loopback HTTP proxy in front of the simulator that can hold one answer back: the request reaches
 * the simulator at once (and is applied there), and its answer is sent only after `ms`, long after
 * the client gave up. The simulator's own `latency` fault waits before it handles the request, so
 * the request lands late; this is the other case, the request applied on time and the answer late.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface LateAnswerProxy {
  /** The URL to point the client at. */
  readonly url: string;
  /** Holds back the answer of the next request by `ms`. */
  delayNextAnswer(ms: number): void;
  /** Answers held back so far. */
  delayed(): number;
  close(): Promise<void>;
}

export async function startLateAnswerProxy(target: string): Promise<LateAnswerProxy> {
  const to = new URL(target);
  let nextDelayMs: number | undefined;
  let delayed = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const holdMs = nextDelayMs;
      nextDelayMs = undefined;
      if (holdMs !== undefined) delayed++;
      const upstream = http.request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host, connection: "close" } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (c: Buffer) => body.push(c));
          answer.on("end", () => {
            const send = () => {
              if (res.destroyed) return;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            };
            if (holdMs === undefined) return send();
            const t = setTimeout(() => {
              timers.delete(t);
              send();
            }, holdMs);
            timers.add(t);
          });
        },
      );
      upstream.on("error", () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
    // A client that gave up closes its end; nothing is left to answer.
    res.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    delayNextAnswer: (ms) => {
      nextDelayMs = ms;
    },
    delayed: () => delayed,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
