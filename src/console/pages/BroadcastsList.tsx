import { useInfiniteQuery } from "@tanstack/react-query";
import { Badge, Button } from "design-react-kit";
import { Link, useSearchParams } from "react-router";
import { api, call } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { Loading } from "../components/Loading";
import { useI18n, type MessageKey } from "../i18n";
import { can, type Comune } from "../lib/session";
import { StatusBadge } from "./StatusBadge";

export const STATUSES = [
  "draft",
  "submitted",
  "approved",
  "scheduled",
  "sending",
  "paused",
  "needs_attention",
  "sent",
  "cancelled",
  "rejected",
] as const;

const PAGE = 20;

export function BroadcastsList({ tenant, comune }: { tenant: string; comune: Comune }) {
  const { t, date } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const list = useInfiniteQuery({
    queryKey: ["broadcasts", tenant, status],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      call(
        api.GET("/api/tenants/{tenant}/broadcasts", {
          params: {
            path: { tenant },
            query: {
              limit: PAGE,
              ...(status ? { status } : {}),
              ...(pageParam !== undefined ? { before: pageParam } : {}),
            },
          },
        }),
      ),
    // Paged by id, newest first: the next page starts below the last one shown.
    getNextPageParam: (last) =>
      last.broadcasts.length === PAGE ? last.broadcasts[last.broadcasts.length - 1]?.id : undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.broadcasts) ?? [];
  return (
    <>
      <div className="d-flex flex-wrap align-items-center justify-content-between gap-3 mb-4">
        <h1 className="h2 mb-0">{t("broadcasts.title")}</h1>
        {can(comune, "broadcasts.write") ? (
          <Link className="btn btn-primary" to={`/${tenant}/broadcasts/new`}>
            {t("broadcasts.new")}
          </Link>
        ) : null}
      </div>
      <div className="row mb-3">
        <div className="col-12 col-md-5 col-lg-4">
          <div className="select-wrapper">
            <label htmlFor="status-filter">{t("broadcasts.filterStatus")}</label>
            <select
              id="status-filter"
              value={status}
              onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
            >
              <option value="">{t("broadcasts.allStatuses")}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`broadcasts.statuses.${s}` as MessageKey)}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <Loading minHeight="40vh" />
      ) : rows.length === 0 ? (
        <p>{t("broadcasts.empty")}</p>
      ) : (
        <>
          <div className="table-responsive">
            <table className="table">
              <caption className="visually-hidden">
                {t("broadcasts.countShown", { count: rows.length })}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{t("broadcasts.columns.title")}</th>
                  <th scope="col">{t("broadcasts.columns.status")}</th>
                  <th scope="col" className="d-none d-md-table-cell">
                    {t("broadcasts.columns.updated")}
                  </th>
                  <th scope="col" className="d-none d-md-table-cell">
                    {t("broadcasts.columns.flags")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((b) => (
                  <tr key={b.id}>
                    <td>
                      <Link to={`/${tenant}/broadcasts/${b.id}`}>{b.title}</Link>
                    </td>
                    <td>
                      <StatusBadge status={b.status} label={b.statusLabel} />
                    </td>
                    <td className="d-none d-md-table-cell">{date(b.updatedAt)}</td>
                    <td className="d-none d-md-table-cell">
                      {b.urgent ? (
                        <Badge color="danger" className="me-1">
                          {t("broadcasts.urgent")}
                        </Badge>
                      ) : null}
                      {b.public ? <Badge color="secondary">{t("broadcasts.public")}</Badge> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.hasNextPage ? (
            <Button
              color="primary"
              outline
              disabled={list.isFetchingNextPage}
              onClick={() => void list.fetchNextPage()}
            >
              {t("broadcasts.more")}
            </Button>
          ) : null}
        </>
      )}
    </>
  );
}
