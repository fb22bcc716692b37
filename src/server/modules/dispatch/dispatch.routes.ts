import { z } from "zod";
import { localized } from "../../platform/http/locale.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { Dispatch } from "./dispatch.service.js";

const params = tenantParams.extend({
  id: z.coerce
    .number()
    .int()
    .positive(
      localized({ it: "deve essere l'id di una comunicazione", en: "must be a broadcast id" }),
    ),
});

/**
 * Following a broadcast's sending: its counters and tier plan, once or live (server-sent
 * events, one `progress` event a second until it is sent or cancelled). Read-only: pause, resume
 * and cancel come with the broadcasts API. Under the comune's path (broadcasts.read), and a
 * broadcast of another comune is not found there.
 */
export function dispatchRoutes(deps: { dispatch: Dispatch }) {
  return zodRoutes((r) => {
    // Open event streams end when the server closes, or they would hold it open.
    const streams = new Set<() => void>();
    r.addHook("preClose", (done) => {
      for (const stop of streams) stop();
      done();
    });
    const { dispatch } = deps;

    r.get(
      "/api/tenants/:tenant/broadcasts/:id/progress",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary: "A broadcast's delivery counters and messaging-limit plan",
          params,
        },
      },
      async (request) => dispatch.progress(request.params.id, request.params.tenant),
    );

    r.get(
      "/api/tenants/:tenant/broadcasts/:id/events",
      {
        config: { permission: "broadcasts.read" },
        schema: {
          tags: ["broadcasts"],
          summary:
            "Live progress of a broadcast (text/event-stream, one `progress` event a second)",
          params,
        },
      },
      async (request, reply) => {
        const { id, tenant } = request.params;
        const first = await dispatch.progress(id, tenant);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        let closed = false;
        const send = (data: unknown) =>
          raw.write(`event: progress\ndata: ${JSON.stringify(data)}\n\n`);
        send(first);
        const finished = (status: string) => status === "sent" || status === "cancelled";
        if (finished(first.broadcast.status)) {
          raw.end();
          return;
        }
        const timer = setInterval(() => {
          void dispatch.progress(id, tenant).then(
            (progress) => {
              if (closed) return;
              send(progress);
              if (finished(progress.broadcast.status)) stop();
            },
            () => stop(),
          );
        }, 1_000);
        const stop = () => {
          if (closed) return;
          closed = true;
          streams.delete(stop);
          clearInterval(timer);
          raw.end();
        };
        streams.add(stop);
        request.raw.on("close", stop);
      },
    );
  });
}
