// The smallest server that speaks the Cloud API's send contract: node:http, reads and parses the
// JSON body, answers Meta's success JSON with a unique wamid (docs/performance-baseline.md §2.2's
// fake Graph API). No rules, no webhooks, no limits: the unthrottled dispatch bench measures the
// dispatcher, and the full sandbox would be the bottleneck long before it.
import { createServer } from "node:http";
import { acceptedSend, recipientOf } from "../lib/graph-answers.js";
import { announcePort, listeningPort } from "../lib/ipc-server.js";

let served = 0;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const to = recipientOf(Buffer.concat(chunks));
    if (to === undefined) {
      response.writeHead(400).end();
      return;
    }
    served += 1;
    const body = acceptedSend(to, `wamid.bench${served}`);
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  announcePort(
    listeningPort(server.address()),
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
});
