// A loopback proxy in front of the simulator that can rewrite an EnOS answer's JSON, for shapes the simulator's
// fault kinds do not produce (a field missing). Requests pass through byte for byte, so signatures still verify
// and the simulator's request log still records every call.
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Returns the body to send instead (a JSON value), or undefined to pass the answer through. */
export type Rewrite = (path: string, body: unknown) => unknown;

export interface RewritingProxy {
  readonly url: string;
  close(): Promise<void>;
}

export async function startRewritingProxy(target: string, rewrite: Rewrite): Promise<RewritingProxy> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => parts.push(chunk));
          answer.on("end", () => {
            let text = Buffer.concat(parts).toString("utf8");
            try {
              const replaced = rewrite(new URL(req.url ?? "/", target).pathname, JSON.parse(text));
              if (replaced !== undefined) text = JSON.stringify(replaced);
            } catch {
              // Not JSON: pass it through as it came.
            }
            res.writeHead(answer.statusCode ?? 502, {
              "content-type": answer.headers["content-type"] ?? "application/json",
              "content-length": String(Buffer.byteLength(text)),
            });
            res.end(text);
          });
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
