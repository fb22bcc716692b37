import { expect } from "vitest";
import { until } from "./dispatch-harness.js";

/*
 * A comune's broadcast API over real HTTP, for tests that run the whole server
 * (startInProcessServer) and act as its office: every call carries a staff session's headers
 * (seedOffice) and must succeed. Not used by the running service.
 */

export type StaffHeaders = Record<string, string>;

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
