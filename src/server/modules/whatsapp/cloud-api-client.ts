import { Agent, FormData, errors as undiciErrors, type Dispatcher } from "undici";
import { buildBlockBody, buildMarkAsReadBody, buildMessageJson } from "./graph-payloads.js";
import type { JsonObject } from "./graph-payloads.js";
import { SharedDeadlines } from "./deadlines.js";
import { invalidRequest } from "./payload-checks.js";
import {
  parseBlockAnswer,
  parseGraphError,
  parseJson,
  parseMarkReadSuccess,
  parseMediaUpload,
  parseSendSuccess,
  parseTemplatesPage,
} from "./graph-responses.js";
import { badResponseError, httpError, networkError } from "./send-errors.js";
import type {
  BlockResult,
  Result,
  SendOutcome,
  SendRequest,
  TemplateInfo,
  WhatsAppClient,
  WhatsAppError,
} from "./types.js";

export interface CloudApiClientOptions {
  /** `https://graph.facebook.com`, or the sandbox, e.g. `http://127.0.0.1:8080/sandbox/graph`. */
  baseUrl: string;
  /** Pinned Graph API version (docs/whatsapp-cloud-api.md §0), e.g. `v25.0`. */
  apiVersion: string;
  accessToken: string;
  phoneNumberId: string;
  /** Needed only for templates. */
  wabaId?: string;
  /** A shared keep-alive agent: see `createGraphDispatcher`. */
  dispatcher: Dispatcher;
  /** Whole request, from the call to the last body byte, queueing for a connection included. */
  timeoutMs?: number;
  /** Media uploads carry up to 100 MB, so they get their own, longer budget. */
  uploadTimeoutMs?: number;
}

/**
 * One undici Agent per process, shared by every client: keep-alive connections are what makes
 * 1,000 msg/s cheap (docs/performance-baseline.md §3, goal D6). `connections` caps sockets per
 * origin and must be at least the dispatcher's in-flight limit, since time spent queued for a
 * socket counts against the client's timeout. The keep-alive timeout stays short of typical server
 * idle timeouts, so a socket is rarely reused just as the server closes it.
 */
export function createGraphDispatcher(
  options: { connections?: number; keepAliveTimeoutMs?: number } = {},
): Agent {
  return new Agent({
    connections: options.connections ?? 512,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    connect: { timeout: 10_000 },
  });
}

/** Graph answers at most 100 templates a page; a WABA holds at most 6,000 (§6.5). */
const TEMPLATE_FIELDS = "name,status,category,language,components";
const MAX_TEMPLATE_PAGES = 100;
const MAX_MEDIA_BYTES = 100 * 1024 * 1024;

interface HttpReply {
  status: number;
  text: string;
}

type CallResult = { ok: true; value: HttpReply } | { ok: false; error: WhatsAppError };

/**
 * The Cloud API over HTTP (docs/whatsapp-cloud-api.md §1, §1b, §2, §6.2). Every failure comes back
 * as a value: Graph errors classified by `send-errors.ts`, network faults as `backoff`. There are
 * no retries here: after a timeout the send may have been accepted (§9: no idempotency key), so
 * only the dispatcher, which can reconcile through `biz_opaque_callback_data`, decides whether to
 * send again.
 */
export class CloudApiClient implements WhatsAppClient {
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;
  readonly #uploadTimeoutMs: number;
  readonly #origin: string;
  readonly #versionRoot: string;
  readonly #phoneRoot: string;
  readonly #wabaId: string | undefined;
  readonly #authorization: string;
  /** Built once: a send's headers are the same every time (undici only reads them). */
  readonly #jsonHeaders: Readonly<Record<string, string>>;
  readonly #plainHeaders: Readonly<Record<string, string>>;
  readonly #messagesUrl: string;
  readonly #deadlines = new SharedDeadlines();

  constructor(options: CloudApiClientOptions) {
    const base = new URL(options.baseUrl); // throws at start-up on a malformed base URL
    this.#origin = base.origin;
    this.#versionRoot = `${base.href.replace(/\/+$/, "")}/${encodeURIComponent(options.apiVersion)}`;
    this.#phoneRoot = `${this.#versionRoot}/${encodeURIComponent(options.phoneNumberId)}`;
    this.#wabaId = options.wabaId;
    this.#dispatcher = options.dispatcher;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#uploadTimeoutMs = options.uploadTimeoutMs ?? 120_000;
    this.#authorization = `Bearer ${options.accessToken}`;
    this.#plainHeaders = Object.freeze({
      authorization: this.#authorization,
      accept: "application/json",
    });
    this.#jsonHeaders = Object.freeze({
      ...this.#plainHeaders,
      "content-type": "application/json",
    });
    this.#messagesUrl = `${this.#phoneRoot}/messages`;
  }

  async send(sendRequest: SendRequest, options?: { signal?: AbortSignal }): Promise<SendOutcome> {
    const body = buildMessageJson(sendRequest);
    if (!body.ok) return body;
    const reply = await this.#call(
      "POST",
      this.#messagesUrl,
      this.#jsonHeaders,
      body.value,
      undefined,
      options?.signal,
    );
    if (!reply.ok) return reply;
    const outcome = readReply(reply.value, parseSendSuccess);
    return outcome.ok ? outcome.value : outcome;
  }

  async markAsRead(messageId: string): Promise<Result<void>> {
    const body = buildMarkAsReadBody(messageId);
    if (!body.ok) return body;
    const reply = await this.#postJson(this.#messagesUrl, body.value);
    if (!reply.ok) return reply;
    const read = readReply(reply.value, parseMarkReadSuccess);
    return read.ok ? { ok: true, value: undefined } : read;
  }

  async uploadMedia(file: {
    data: Uint8Array;
    mimeType: string;
    filename: string;
  }): Promise<Result<{ id: string }>> {
    const problems: string[] = [];
    if (file.data.byteLength === 0) problems.push("file.data: empty");
    if (file.data.byteLength > MAX_MEDIA_BYTES) problems.push("file.data: larger than 100 MB");
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(file.mimeType))
      problems.push("file.mimeType: not a MIME type");
    if (file.filename.trim() === "") problems.push("file.filename: empty");
    if (problems.length > 0) return { ok: false, error: invalidRequest(problems) };

    // §2: `type` is listed as a required field and Meta's own curl puts the MIME on the file
    // part, so send both.
    const form = new FormData();
    form.append("messaging_product", "whatsapp");
    form.append("type", file.mimeType);
    form.append("file", new Blob([file.data], { type: file.mimeType }), file.filename);
    const reply = await this.#call(
      "POST",
      `${this.#phoneRoot}/media`,
      this.#plainHeaders,
      form,
      this.#uploadTimeoutMs,
    );
    return reply.ok ? readReply(reply.value, parseMediaUpload) : reply;
  }

  async listTemplates(): Promise<Result<TemplateInfo[]>> {
    if (this.#wabaId === undefined || this.#wabaId === "") {
      return { ok: false, error: invalidRequest(["wabaId: not configured"]) };
    }
    const query = `fields=${TEMPLATE_FIELDS}&limit=100`;
    let url = `${this.#versionRoot}/${encodeURIComponent(this.#wabaId)}/message_templates?${query}`;
    const templates: TemplateInfo[] = [];
    for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
      const reply = await this.#call("GET", url, this.#headers(false));
      if (!reply.ok) return reply;
      const read = readReply(reply.value, parseTemplatesPage);
      if (!read.ok) return read;
      templates.push(...read.value.templates);
      if (read.value.next === undefined) return { ok: true, value: templates };
      // The bearer token goes only where it went before: never follow a link to another host.
      if (!URL.canParse(read.value.next) || new URL(read.value.next).origin !== this.#origin) {
        const error = badResponseError("paging.next points to another host", reply.value.status);
        return { ok: false, error };
      }
      url = read.value.next;
    }
    return { ok: false, error: badResponseError("more template pages than expected", 200) };
  }

  blockUsers(users: string[]): Promise<Result<BlockResult>> {
    return this.#blockCall("POST", users);
  }

  /** Meta unblocks with the block body on DELETE (§1b). */
  unblockUsers(users: string[]): Promise<Result<BlockResult>> {
    return this.#blockCall("DELETE", users);
  }

  async #blockCall(method: "POST" | "DELETE", users: string[]): Promise<Result<BlockResult>> {
    const body = buildBlockBody(users);
    if (!body.ok) return body;
    const url = `${this.#phoneRoot}/block_users`;
    const reply = await this.#call(method, url, this.#headers(true), JSON.stringify(body.value));
    if (!reply.ok) return reply;
    // Per-user answers can come with an error status when some users failed: read them first.
    const answer = parseBlockAnswer(parseJson(reply.value.text), reply.value.status);
    if (answer) return { ok: true, value: answer };
    return readReply<BlockResult>(reply.value, () => undefined);
  }

  #headers(json: boolean): Readonly<Record<string, string>> {
    return json ? this.#jsonHeaders : this.#plainHeaders;
  }

  #postJson(url: string, body: JsonObject, signal?: AbortSignal): Promise<CallResult> {
    return this.#call("POST", url, this.#headers(true), JSON.stringify(body), undefined, signal);
  }

  /**
   * One HTTP exchange, body read to the end so the socket returns to the pool, straight to the
   * dispatcher with the origin and path already known (undici's `request(url)` parses the URL
   * again on every call), until its deadline: shared, or with a caller's signal its own.
   */
  async #call(
    method: "GET" | "POST" | "DELETE",
    url: string,
    headers: Readonly<Record<string, string>>,
    body?: string | FormData,
    timeoutMs = this.#timeoutMs,
    signal?: AbortSignal,
  ): Promise<CallResult> {
    if (!url.startsWith(`${this.#origin}/`)) throw new Error("a Graph call outside the base URL");
    if (signal?.aborted) return { ok: false, error: networkError("aborted", "before sending") };
    const stop = signal
      ? callerDeadline(signal, timeoutMs)
      : sharedDeadline(this.#deadlines, timeoutMs);
    try {
      const response = await this.#dispatcher.request({
        origin: this.#origin,
        path: url.slice(this.#origin.length),
        method,
        headers,
        body: body ?? null,
        signal: stop.signal,
      });
      const text = await response.body.text();
      return { ok: true, value: { status: response.statusCode, text } };
    } catch (error) {
      const stoppedBy = stop.stoppedBy();
      if (stoppedBy === "timeout") {
        return { ok: false, error: networkError("timeout", `no answer within ${timeoutMs} ms`) };
      }
      if (stoppedBy === "aborted") {
        return { ok: false, error: networkError("aborted", "aborted by the caller") };
      }
      // A bad argument is our bug, not the network's: let it surface.
      if (error instanceof undiciErrors.InvalidArgumentError) throw error;
      return { ok: false, error: networkError("connection", describe(error)) };
    } finally {
      stop.release();
    }
  }
}

/** What ends a request early, and why it did. */
interface Deadline {
  signal: AbortSignal;
  stoppedBy(): "timeout" | "aborted" | undefined;
  release(): void;
}

/** The usual case: the deadline shared with the sends of the same 100 ms (deadlines.ts). */
function sharedDeadline(deadlines: SharedDeadlines, timeoutMs: number): Deadline {
  const signal = deadlines.signal(timeoutMs);
  return {
    signal,
    stoppedBy: () => (signal.aborted ? "timeout" : undefined),
    release: () => undefined,
  };
}

/**
 * A caller's signal as well: a timer plus our own AbortController rather than
 * `AbortSignal.any`, which keeps listeners on a long-lived caller signal on Node 20.
 */
function callerDeadline(caller: AbortSignal, timeoutMs: number): Deadline {
  const controller = new AbortController();
  let stoppedBy: "timeout" | "aborted" | undefined;
  const stop = (why: "timeout" | "aborted") => {
    stoppedBy ??= why;
    controller.abort();
  };
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const onAbort = () => stop("aborted");
  caller.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    stoppedBy: () => stoppedBy,
    release: () => {
      clearTimeout(timer);
      caller.removeEventListener("abort", onAbort);
    },
  };
}

/** 2xx → the endpoint's own parser; otherwise a Graph error, or a plain HTTP failure. */
function readReply<T>(reply: HttpReply, parse: (json: unknown) => T | undefined): Result<T> {
  const json = parseJson(reply.text);
  if (reply.status >= 200 && reply.status < 300) {
    const value = json === undefined ? undefined : parse(json);
    if (value !== undefined) return { ok: true, value };
    return { ok: false, error: badResponseError("unreadable success body", reply.status) };
  }
  const error = parseGraphError(json, reply.status) ?? httpError(reply.status, reply.text);
  return { ok: false, error };
}

/** Error code and message only: undici's messages hold addresses, never headers or bodies. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return "unknown network error";
  const code = "code" in error && typeof error.code === "string" ? `${error.code}: ` : "";
  return `${code}${error.message}`.slice(0, 200);
}
