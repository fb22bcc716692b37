// Meta's send contract at its smallest, for the bench's fake Graph APIs (servers/fake-graph.ts
// in its own process, flood.ts's in the bench's): who a send is to, and the success answer.

/** The `to` of a send's JSON body; undefined when the body is not JSON (answered 400). */
export function recipientOf(body: Buffer): string | undefined {
  try {
    return String((JSON.parse(body.toString("utf8")) as { to?: unknown }).to);
  } catch {
    return undefined;
  }
}

/** Meta's success JSON for a send to `to`, accepted under the message id `wamid`. */
export function acceptedSend(to: string, wamid: string): string {
  return JSON.stringify({
    messaging_product: "whatsapp",
    contacts: [{ input: to, wa_id: to }],
    messages: [{ id: wamid, message_status: "accepted" }],
  });
}
