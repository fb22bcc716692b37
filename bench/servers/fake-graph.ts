// The smallest server that speaks the Cloud API's send contract: node:http, reads and parses the
// JSON body, answers Meta's success JSON with a unique wamid (docs/performance-baseline.md §2.2's
// fake Graph API). No rules, no webhooks, no limits: the unthrottled dispatch bench measures the
// dispatcher, and the full sandbox would be the bottleneck long before it.
import { createServer } from "node:http";

let served = 0;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    let to: string;
    try {
      to = String((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { to?: unknown }).to);
    } catch {
      response.writeHead(400).end();
      return;
    }
    served += 1;
    const body = JSON.stringify({
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: `wamid.bench${served}`, message_status: "accepted" }],
    });
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("not listening on TCP");
  process.send?.({ port: address.port });
});
process.once("disconnect", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
