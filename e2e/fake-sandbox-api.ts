import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { sandboxPageRoutes } from "../src/server/modules/sandbox/page.routes.js";

/**
 * An in-memory stand-in for the sandbox's JSON API (/sandbox/api), written from the contract
 * in issue #3, plus the real page routes: the browser test drives the page against it while the
 * real API is being built. The test steers it (statuses, incoming messages, blocking) directly.
 */

export interface ComuneNumber {
  tenant: string;
  name: string;
  serviceName: string;
  displayNumber: string;
  phoneNumberId: string;
}

export interface PhoneMessage {
  id: string;
  direction: "from_phone" | "to_phone";
  number: string;
  tenant: string;
  type: string;
  text?: string;
  media?: {
    kind: "image" | "video" | "document" | "audio" | "sticker";
    url?: string;
    filename?: string;
    mimeType?: string;
  };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  interactive?: {
    kind: "buttons" | "list";
    header?: string;
    footer?: string;
    buttonLabel?: string;
    options: { id: string; title: string; description?: string; section?: string }[];
  };
  template?: { name: string; language: string; category: string };
  status: "sent" | "delivered" | "read" | "failed";
  error?: { code: number; title: string };
  at: number;
}

interface Phone {
  waId: string;
  name: string;
  messages: PhoneMessage[];
  blocked: boolean;
}

export interface SentByPhone {
  waId: string;
  body: {
    to?: string;
    text?: string;
    name?: string;
    tap?: string;
    location?: { latitude: number; longitude: number; name?: string; address?: string };
  };
}

export const DEMO_NUMBERS: readonly ComuneNumber[] = [
  {
    tenant: "concorezzo",
    name: "Comune di Concorezzo",
    serviceName: "WhatsConcorezzo",
    displayNumber: "393665784663",
    phoneNumberId: "100000000000001",
  },
  {
    tenant: "casale-marittimo",
    name: "Comune di Casale Marittimo",
    serviceName: "WhatsApp del Comune di Casale Marittimo",
    displayNumber: "393760088777",
    phoneNumberId: "100000000000002",
  },
];

/** A small poster, served as the one piece of "uploaded media". */
const POSTER_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">
<rect width="640" height="400" fill="#0066cc"/>
<circle cx="540" cy="90" r="150" fill="#004d99"/>
<text x="40" y="170" font-family="sans-serif" font-size="56" font-weight="700" fill="#fff">Festa del paese</text>
<text x="40" y="240" font-family="sans-serif" font-size="34" fill="#fff">Sabato 12 dicembre · Piazza della Pace</text>
<text x="40" y="330" font-family="sans-serif" font-size="26" fill="#cfe3f7">Comune di Concorezzo</text>
</svg>`;

const PDF_BYTES = Buffer.from(
  "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
);

type ApiErrorBody = {
  error: { code: string; message: string; details?: { field: string; problem: string }[] };
};

function fail(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  details?: { field: string; problem: string }[],
) {
  const body: ApiErrorBody = { error: { code, message, ...(details ? { details } : {}) } };
  return reply.status(status).send(body);
}

export interface FakeSandboxApi {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every accepted POST /phones/:waId/messages body, in order. */
  sent: SentByPhone[];
  /** Every POST /phones/:waId/read. */
  reads: { waId: string; to?: string }[];
  /** How many times a conversation was fetched (the page polls). */
  stats: { conversationFetches: number };
  phone(waId: string): Phone | undefined;
  /** Moves a message to a status, as the real sandbox does when the webhooks report it. */
  setStatus(messageId: string, status: PhoneMessage["status"], error?: PhoneMessage["error"]): void;
  /** A message from a comune to the phone, as if the service had sent it. */
  addToPhone(
    waId: string,
    to: string,
    message: Omit<PhoneMessage, "id" | "direction" | "number" | "tenant" | "status" | "at"> &
      Partial<Pick<PhoneMessage, "status" | "at">>,
  ): PhoneMessage;
  block(waId: string): void;
  /** The next POST /phones fails with these field problems (what only the server can know). */
  failNextCreate(details: { field: string; problem: string }[]): void;
  close(): Promise<void>;
}

export async function startFakeSandboxApi(): Promise<FakeSandboxApi> {
  const phones = new Map<string, Phone>();
  const sent: SentByPhone[] = [];
  const reads: { waId: string; to?: string }[] = [];
  const stats = { conversationFetches: 0 };
  let nextId = 1;
  let createFailure: { field: string; problem: string }[] | null = null;
  const newId = () => `wamid.FAKE${String(nextId++).padStart(6, "0")}`;

  const numberFor = (to: string | undefined) =>
    to === undefined ? DEMO_NUMBERS[0] : DEMO_NUMBERS.find((n) => n.displayNumber === to);

  const app = Fastify({ logger: false });
  sandboxPageRoutes(app);

  app.get("/sandbox/api/numbers", () => ({ numbers: DEMO_NUMBERS }));

  app.get("/sandbox/api/phones", () => ({
    phones: [...phones.values()].map((p) => ({
      waId: p.waId,
      name: p.name,
      lastMessageAt: p.messages.length ? Math.max(...p.messages.map((m) => m.at)) : null,
    })),
  }));

  app.post("/sandbox/api/phones", (request, reply) => {
    const body = (request.body ?? {}) as { waId?: unknown; name?: unknown };
    const details: { field: string; problem: string }[] = [];
    if (typeof body.waId !== "string" || !/^[1-9]\d{7,14}$/.test(body.waId)) {
      details.push({ field: "body.waId", problem: "8–15 cifre, prefisso del paese all'inizio" });
    }
    if (typeof body.name !== "string" || body.name.length < 1 || body.name.length > 60) {
      details.push({ field: "body.name", problem: "da 1 a 60 caratteri" });
    }
    if (!details.length && createFailure) {
      details.push(...createFailure);
      createFailure = null;
    }
    if (details.length)
      return fail(reply, 400, "VALIDATION_FAILED", "Richiesta non valida", details);
    const waId = body.waId as string;
    const name = body.name as string;
    const existing = phones.get(waId);
    if (existing) {
      existing.name = name;
      return reply.status(200).send({ phone: { waId, name } });
    }
    phones.set(waId, { waId, name, messages: [], blocked: false });
    return reply.status(201).send({ phone: { waId, name } });
  });

  app.get<{ Params: { waId: string }; Querystring: { to?: string } }>(
    "/sandbox/api/phones/:waId/messages",
    (request, reply) => {
      stats.conversationFetches++;
      const phone = phones.get(request.params.waId);
      if (!phone) return fail(reply, 404, "NOT_FOUND", "Telefono non trovato");
      const number = numberFor(request.query.to);
      if (!number) {
        return fail(reply, 400, "VALIDATION_FAILED", "Richiesta non valida", [
          { field: "querystring.to", problem: "non è il numero di un Comune" },
        ]);
      }
      return {
        phone: { waId: phone.waId, name: phone.name },
        messages: phone.messages.filter((m) => m.number === number.displayNumber),
      };
    },
  );

  app.post<{ Params: { waId: string }; Body: SentByPhone["body"] }>(
    "/sandbox/api/phones/:waId/messages",
    (request, reply) => {
      const phone = phones.get(request.params.waId);
      if (!phone) return fail(reply, 404, "NOT_FOUND", "Telefono non trovato");
      const body = request.body ?? {};
      const number = numberFor(body.to);
      if (!number) {
        return fail(reply, 400, "VALIDATION_FAILED", "Richiesta non valida", [
          { field: "body.to", problem: "non è il numero di un Comune" },
        ]);
      }
      const kinds = [body.text, body.tap, body.location].filter((v) => v !== undefined);
      if (kinds.length !== 1) {
        return fail(reply, 400, "VALIDATION_FAILED", "Richiesta non valida", [
          { field: "body", problem: "serve esattamente uno tra text, tap e location" },
        ]);
      }
      if (phone.blocked) {
        return fail(reply, 403, "PHONE_BLOCKED", "Il Comune ha bloccato questo numero");
      }
      if (body.name) phone.name = body.name;
      const base = {
        id: newId(),
        direction: "from_phone" as const,
        number: number.displayNumber,
        tenant: number.tenant,
        status: "sent" as const,
        at: Date.now(),
      };
      let message: PhoneMessage;
      if (body.tap !== undefined) {
        const latest = [...phone.messages]
          .reverse()
          .find(
            (m) => m.direction === "to_phone" && m.number === number.displayNumber && m.interactive,
          );
        const option = latest?.interactive?.options.find(
          (o) => o.id === body.tap || o.title === body.tap,
        );
        if (!latest?.interactive || !option) {
          return fail(reply, 409, "NOTHING_TO_TAP", "Nessun pulsante con questo nome da toccare");
        }
        message = {
          ...base,
          type: "interactive",
          text: option.title,
          interactive: { kind: latest.interactive.kind, options: [option] },
        };
      } else if (body.location !== undefined) {
        message = { ...base, type: "location", location: body.location };
      } else {
        message = { ...base, type: "text", text: body.text ?? "" };
      }
      phone.messages.push(message);
      sent.push({ waId: phone.waId, body });
      return reply.status(202).send({ message, webhook: { status: 200 } });
    },
  );

  app.post<{ Params: { waId: string }; Body: { to?: string } | undefined }>(
    "/sandbox/api/phones/:waId/read",
    (request, reply) => {
      const phone = phones.get(request.params.waId);
      if (!phone) return fail(reply, 404, "NOT_FOUND", "Telefono non trovato");
      const number = numberFor(request.body?.to);
      reads.push({ waId: phone.waId, to: request.body?.to });
      for (const m of phone.messages) {
        if (
          m.direction === "to_phone" &&
          m.number === number?.displayNumber &&
          m.status !== "failed"
        ) {
          m.status = "read";
        }
      }
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string } }>("/sandbox/api/media/:id", (request, reply) => {
    if (request.params.id === "poster") return reply.type("image/svg+xml").send(POSTER_SVG);
    if (request.params.id === "delibera") return reply.type("application/pdf").send(PDF_BYTES);
    return fail(reply, 404, "NOT_FOUND", "Media non trovato");
  });

  const url = await app.listen({ host: "127.0.0.1", port: 0 });

  return {
    app,
    url,
    sent,
    reads,
    stats,
    phone: (waId) => phones.get(waId),
    setStatus(messageId, status, error) {
      for (const phone of phones.values()) {
        const message = phone.messages.find((m) => m.id === messageId);
        if (message) {
          message.status = status;
          if (error) message.error = error;
          return;
        }
      }
      throw new Error(`No message ${messageId}`);
    },
    addToPhone(waId, to, content) {
      const phone = phones.get(waId);
      const number = numberFor(to);
      if (!phone || !number) throw new Error(`No phone ${waId} or number ${to}`);
      const message: PhoneMessage = {
        id: newId(),
        direction: "to_phone",
        number: number.displayNumber,
        tenant: number.tenant,
        status: "delivered",
        at: Date.now(),
        ...content,
      };
      phone.messages.push(message);
      return message;
    },
    block(waId) {
      const phone = phones.get(waId);
      if (!phone) throw new Error(`No phone ${waId}`);
      phone.blocked = true;
    },
    failNextCreate(details) {
      createFailure = details;
    },
    close: () => app.close(),
  };
}
