import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { api, ApiError, call, setCsrfToken, whenSessionEnds } from "../api/client";
import type { paths } from "../api/schema";
import { Loading } from "../components/Loading";
import { useI18n } from "../i18n";

export type Me = paths["/api/auth/me"]["get"]["responses"]["200"]["content"]["application/json"];
export type Comune = Me["comuni"][number];

export const ME_KEY = ["me"] as const;

/** The logged-in person, or null when nobody is (401). */
export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async (): Promise<Me | null> => {
      try {
        const me = await call(api.GET("/api/auth/me"));
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** The comuni served here, by slug, for their names; their topics in the console's language. */
export function useTenants() {
  const { lang } = useI18n();
  return useQuery({
    queryKey: ["tenants", lang],
    queryFn: () => call(api.GET("/api/tenants")),
    staleTime: Infinity,
  });
}

/** Where the login sends a person back to: the page they were on. */
export function loginPath(next: string, reason?: "expired"): string {
  const params = new URLSearchParams({ next });
  if (reason) params.set("reason", reason);
  return `/login?${params.toString()}`;
}

/**
 * Pages for logged-in staff: while /api/auth/me loads, a placeholder of the page's height; with
 * no session, the login, which comes back here. A session that ends meanwhile (an API call
 * answers 401) does the same.
 */
export function RequireSession({ children }: { children: (me: Me) => ReactNode }) {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  useEffect(() => {
    whenSessionEnds(() => {
      queryClient.setQueryData(ME_KEY, null);
      void navigate(loginPath(location.pathname + location.search, "expired"));
    });
  }, [location, navigate, queryClient]);
  if (me.isPending) return <Loading />;
  if (me.isError) throw me.error;
  if (me.data === null)
    return <Navigate to={loginPath(location.pathname + location.search)} replace />;
  return <>{children(me.data)}</>;
}

export function can(comune: Comune | undefined, permission: string): boolean {
  return comune?.permissions.includes(permission) ?? false;
}
