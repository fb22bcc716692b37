import { useQuery } from "@tanstack/react-query";
import { Badge, Button } from "design-react-kit";
import { MoreButton } from "../components/MoreButton";
import { usePages } from "../components/usePages";

import { Link } from "react-router";
import { api, ApiError, call } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import {
  DateFilter,
  SelectFilter,
  useAddressFilters,
  type FilterOption,
} from "../components/Filters";
import { Loading } from "../components/Loading";
import { ColumnTable } from "../components/DataTable";
import { useI18n, type MessageKey } from "../i18n";
import { can, useTenants, type Comune } from "../lib/session";
import { StatusBadge } from "./StatusBadge";
import { TitledSection } from "../components/TitledSection";

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

/** The filters, kept in the address (a filtered list can be bookmarked and shared). */
const FILTERS = ["status", "topic", "author", "from", "to"] as const;
type Filter = (typeof FILTERS)[number];
/** The creation days' filters, after the choices. */
const DAYS = [
  ["from", "broadcasts.filterFrom"],
  ["to", "broadcasts.filterTo"],
] as const;

export function BroadcastsList({ tenant, comune }: { tenant: string; comune: Comune }) {
  const { t, date } = useI18n();
  const { values: filter, filtered, bind, clear } = useAddressFilters(FILTERS);
  const tenants = useTenants();
  const info = tenants.data?.tenants.find((x) => x.slug === tenant);
  const authors = useQuery({
    queryKey: ["broadcast-authors", tenant],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/broadcasts/authors", { params: { path: { tenant } } })),
    staleTime: 60_000,
  });
  const list = usePages({
    queryKey: ["broadcasts", tenant, filter],
    fetchPage: (start) =>
      call(
        api.GET("/api/tenants/{tenant}/broadcasts", {
          params: {
            path: { tenant },
            query: {
              limit: PAGE,
              ...(filter.status ? { status: filter.status } : {}),
              ...(filter.topic ? { topic: filter.topic } : {}),
              ...(filter.author ? { author: Number(filter.author) } : {}),
              ...(filter.from ? { from: filter.from } : {}),
              ...(filter.to ? { to: filter.to } : {}),
              ...start,
            },
          },
        }),
      ),
    // Paged by id, newest first: the server says where the next page starts.
    nextStart: (last) => last.next,
    keepPrevious: true,
  });
  const rows = list.data?.pages.flatMap((p) => p.broadcasts) ?? [];
  const shown =
    rows.length === 1
      ? t("broadcasts.countShownOne")
      : t("broadcasts.countShown", { count: rows.length });
  const refusal = list.error instanceof ApiError ? list.error : undefined;
  /** A filter's value, its change, and the server's problem with it. */
  const field = (name: Filter) => ({
    ...bind(name),
    error: refusal?.problemWith(`querystring.${name}`),
  });
  /** The choices in the order shown; `width`: the column's on a large screen. */
  const choices: {
    name: Filter;
    label: MessageKey;
    all: MessageKey;
    options: FilterOption[];
    width: string;
  }[] = [
    {
      name: "status",
      label: "broadcasts.filterStatus",
      all: "broadcasts.allStatuses",
      options: STATUSES.map((s) => ({ value: s, label: t(`broadcasts.statuses.${s}`) })),
      width: "col-lg-3",
    },
    {
      name: "topic",
      label: "broadcasts.filterTopic",
      all: "broadcasts.allTopics",
      options: (info?.topics ?? []).map((x) => ({ value: x.id, label: x.label })),
      width: "col-lg-3",
    },
    {
      name: "author",
      label: "broadcasts.filterAuthor",
      all: "broadcasts.allAuthors",
      options: (authors.data?.authors ?? []).map((a) => ({ value: String(a.id), label: a.name })),
      width: "col-lg-2",
    },
  ];
  const topicLabel = (id: string) => info?.topics.find((x) => x.id === id)?.label ?? id;
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
      <TitledSection
        id="filters-title"
        title={t("broadcasts.filters")}
        headingClassName="visually-hidden"
        className="mb-3"
      >
        <div className="row g-3">
          {choices.map((c) => (
            <div key={c.name} className={`col-12 col-sm-6 ${c.width}`}>
              <SelectFilter
                className="mb-3"
                label={t(c.label)}
                all={t(c.all)}
                options={c.options}
                {...field(c.name)}
              />
            </div>
          ))}
          {DAYS.map(([name, label]) => (
            <div key={name} className="col-6 col-lg-2">
              <DateFilter className="mb-3" label={t(label)} {...field(name)} />
            </div>
          ))}
        </div>
        {filtered ? (
          <Button color="secondary" outline size="sm" onClick={clear}>
            {t("broadcasts.clearFilters")}
          </Button>
        ) : null}
      </TitledSection>
      <ErrorAlert error={list.error} shownFields={FILTERS.map((f) => `querystring.${f}`)} />
      {list.isPending ? (
        <Loading minHeight="40vh" />
      ) : list.isError && rows.length === 0 ? null : rows.length === 0 ? (
        <p role="status">{filtered ? t("broadcasts.emptyFiltered") : t("broadcasts.empty")}</p>
      ) : (
        <>
          <p className="small text-secondary mb-2" role="status" data-testid="list-count">
            {shown}
          </p>
          <ColumnTable
            caption={t("broadcasts.title")}
            testId="broadcasts"
            rows={rows}
            rowKey={(b) => b.id}
            columns={[
              {
                header: t("broadcasts.columns.title"),
                cell: (b) => (
                  <>
                    <Link to={`/${tenant}/broadcasts/${b.id}`}>{b.title}</Link>
                    {/* On a phone the hidden columns' facts go under the title. */}
                    <span className="d-block d-md-none small text-secondary">
                      {b.authorName ?? t("broadcasts.byApiKey")} · {date(b.createdAt)}
                    </span>
                  </>
                ),
              },
              {
                header: t("broadcasts.columns.status"),
                cell: (b) => <StatusBadge status={b.status} label={b.statusLabel} />,
              },
              {
                header: t("broadcasts.columns.author"),
                from: "md",
                cell: (b) => b.authorName ?? t("broadcasts.byApiKey"),
              },
              {
                header: t("broadcasts.columns.created"),
                from: "md",
                cell: (b) => date(b.createdAt),
              },
              {
                header: t("broadcasts.columns.topics"),
                from: "lg",
                cellClassName: "small",
                cell: (b) =>
                  b.topics === "all"
                    ? t("composer.topicsAll")
                    : b.topics.map(topicLabel).join(", "),
              },
              {
                header: t("broadcasts.columns.flags"),
                from: "md",
                cell: (b) => (
                  <>
                    {b.urgent ? (
                      <Badge color="danger" className="me-1">
                        {t("broadcasts.urgent")}
                      </Badge>
                    ) : null}
                    {b.public ? <Badge color="secondary">{t("broadcasts.public")}</Badge> : null}
                    {b.mediaId !== null ? (
                      <Badge color="primary" className="ms-1">
                        {t("broadcasts.withFile")}
                      </Badge>
                    ) : null}
                  </>
                ),
              },
            ]}
          />
          <MoreButton list={list} label={t("broadcasts.more")} />
        </>
      )}
    </>
  );
}
