import { afterAll, beforeAll, expect } from "vitest";
import { systemClock } from "../platform/clock.js";
import { until } from "./dispatch-harness.js";
import {
  startInProcessServer,
  type InProcessOptions,
  type InProcessServer,
} from "./in-process-server.js";
import { seedOffice } from "./staff-kit.js";

/*
 * A comune's broadcast API over real HTTP, for tests that run the whole server
 * (startInProcessServer) and act as its office: every call carries a staff session's headers
 * (seedOffice) and must succeed. Not used by the running service.
 */

export type StaffHeaders = Record<string, string>;

/** The running server, and the comune's office logged in to it (seedOffice). */
export interface OfficeServer extends InProcessServer {
  office: StaffHeaders;
  mayor: StaffHeaders;
  viewer: StaffHeaders;
}

/**
 * The whole server (startInProcessServer with `options`) for the tests of the describe block
 * that calls it, with `tenant`'s office logged in; closed after them. The object is filled in
 * by the hook: use it in tests and later hooks.
 */
export function useOfficeServer(tenant: string, options: InProcessOptions = {}): OfficeServer {
  const s = {} as OfficeServer;
  beforeAll(async () => {
    Object.assign(s, await startInProcessServer(options));
    Object.assign(s, await seedOffice(s.server.database.db, systemClock, tenant));
  }, 60_000);
  afterAll(() => s.close());
  return s;
}

export interface OfficeBroadcasts {
  /** `method` on /api/tenants/{comune}/broadcasts`path`; expects a 2xx and answers its JSON. */
  call: <T = Record<string, unknown>>(
    headers: StaffHeaders,
    method: string,
    path: string,
    body?: object,
  ) => Promise<T>;
  /** A POST (create, submit, approve…), with an empty JSON body unless one is given. */
  post: (
    headers: StaffHeaders,
    path: string,
    body?: object,
  ) => Promise<{ broadcast: { id: number; status: string } }>;
  /** Waits until the broadcast `id` is sent, as `headers` sees it. */
  untilSent: (headers: StaffHeaders, id: number, timeoutMs?: number) => Promise<void>;
}

/** The broadcast API of `tenant` on the server at `baseUrl()` (a getter: servers start later). */
export function officeBroadcasts(baseUrl: () => string, tenant: string): OfficeBroadcasts {
  const call = async <T>(headers: StaffHeaders, method: string, path: string, body?: object) => {
    const response = await fetch(`${baseUrl()}/api/tenants/${tenant}/broadcasts${path}`, {
      method,
      headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
    return (await response.json()) as T;
  };
  return {
    call,
    post: (headers, path, body = {}) => call(headers, "POST", path, body),
    untilSent: async (headers, id, timeoutMs = 15_000) => {
      await until(
        "the broadcast sent",
        async () => {
          const { broadcast } = await call<{ broadcast: { status: string } }>(
            headers,
            "GET",
            `/${id}`,
          );
          return broadcast.status === "sent" ? true : undefined;
        },
        timeoutMs,
      );
    },
  };
}
