import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Button } from "design-react-kit";
import { MoreButton } from "../components/MoreButton";
import { usePages } from "../components/usePages";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError, call } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { SelectFilter } from "../components/Filters";
import { TextField } from "../components/Field";
import { Loading } from "../components/Loading";
import { ColumnTable } from "../components/DataTable";
import { Notice } from "../components/Notice";
import { peopleKeys, useSubscriberStats } from "../components/PeopleData";
import { readablePhone, useFormats } from "../components/PeopleFormat";
import { PeoplePerson, PersonStatus } from "../components/PeoplePerson";
import { PeopleTopics } from "../components/PeopleTopics";
import { useI18n, type MessageKey } from "../i18n";
import { can, useTenants } from "../lib/session";
import type { SectionProps } from "../sections";
import { TitledSection } from "../components/TitledSection";

/** The list's states, as the statistics count them (a blocked person only under "blocked"). */
const LIST_STATUSES = ["active", "pending", "unsubscribed", "contact", "blocked"] as const;
type ListStatus = (typeof LIST_STATUSES)[number];
const PAGE = 25;

/** How many people there are, by state and by topic (reports.read): counts, no person. */
function Counts({ tenant }: { tenant: string }) {
  const { t } = useI18n();
  const f = useFormats();
  const stats = useSubscriberStats(tenant);
  const s = stats.data?.subscribers;
  const shown: [MessageKey, number | undefined][] = [
    ["people.subscribers.states.active", s?.active],
    ["people.subscribers.states.pending", s?.pendingConfirmation],
    ["people.subscribers.states.unsubscribed", s?.unsubscribed],
    ["people.subscribers.states.contact", s?.contacts],
    ["people.subscribers.states.blocked", s?.blocked],
    ["people.subscribers.states.flagged", s?.flagged],
  ];
  return (
    <TitledSection id="counts-title" title={t("people.subscribers.counts")} className="mb-5">
      <ErrorAlert error={stats.error} />
      <div className="row g-3 mb-3">
        {shown.map(([key, value]) => (
          <div key={key} className="col-6 col-md-4 col-xl-2">
            {/* One term and its count each: a list of pairs, boxed one by one. */}
            <dl className="border rounded p-3 h-100 mb-0">
              <dt className="small fw-normal text-secondary">{t(key)}</dt>
              <dd className="h3 fw-bold mb-0" data-testid={`count-${key.split(".").pop() ?? ""}`}>
                {value === undefined ? "…" : f.count(value)}
              </dd>
            </dl>
          </div>
        ))}
      </div>
      <p className="small text-secondary">{t("people.subscribers.erasedNote")}</p>
      {s && s.marketingStopped > 0 ? (
        <p className="small">
          {t("people.subscribers.states.marketingStopped")}: {f.count(s.marketingStopped)}
        </p>
      ) : null}
      {stats.data ? (
        <PeopleTopics tenant={tenant} stats={stats.data} />
      ) : (
        <Loading minHeight="12rem" />
      )}
    </TitledSection>
  );
}

/** Finding one person by their full number (the audited lookup, exact match, masked answer). */
function Search({
  tenant,
  onSearch,
  onFound,
}: {
  tenant: string;
  /** A new search: the person shown so far is not its answer. */
  onSearch: () => void;
  onFound: (id: number) => void;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [number, setNumber] = useState("");
  const lookup = useMutation({
    mutationFn: () =>
      call(
        api.POST("/api/tenants/{tenant}/subscribers/lookup", {
          params: { path: { tenant } },
          body: { number },
        }),
      ),
    onSuccess: (person) => {
      queryClient.setQueryData(peopleKeys.person(tenant, person.id), person);
      void queryClient.invalidateQueries({ queryKey: ["audit", tenant] });
      onFound(person.id);
    },
  });
  const error = lookup.error;
  const fieldError =
    error instanceof ApiError
      ? error.status === 404
        ? t("people.subscribers.notFound")
        : error.problemWith("number")
      : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch();
    lookup.mutate();
  };
  return (
    <TitledSection id="search-title" title={t("people.subscribers.search")} className="mb-4">
      <form onSubmit={submit} noValidate className="row g-2 align-items-start mt-4">
        <div className="col-12 col-md-7 col-lg-5">
          <TextField
            label={t("people.subscribers.number")}
            help={t("people.subscribers.searchHelp")}
            type="tel"
            autoComplete="off"
            inputMode="tel"
            value={number}
            onChange={(e) => {
              setNumber(e.target.value);
              // The answer was about the number as it was.
              if (lookup.error) lookup.reset();
            }}
            error={fieldError}
          />
        </div>
        <div className="col-12 col-md-auto pt-md-4">
          <Button color="primary" type="submit" disabled={lookup.isPending}>
            {t("people.subscribers.searchSubmit")}
          </Button>
        </div>
      </form>
      {error instanceof ApiError && (error.status === 404 || error.problemWith("number")) ? null : (
        <ErrorAlert error={error} shownFields={["number"]} />
      )}
    </TitledSection>
  );
}

/** The comune's people, masked, newest first, filtered by state and topic, a page at a time. */
function List({
  tenant,
  selected,
  onOpen,
}: {
  tenant: string;
  selected: number | null;
  onOpen: (id: number) => void;
}) {
  const { t } = useI18n();
  const f = useFormats();
  const tenants = useTenants();
  const topics = tenants.data?.tenants.find((x) => x.slug === tenant)?.topics ?? [];
  const [status, setStatus] = useState<ListStatus | "">("");
  const [topic, setTopic] = useState("");
  const list = usePages({
    queryKey: [...peopleKeys.list(tenant), status, topic],
    fetchPage: (start) =>
      call(
        api.GET("/api/tenants/{tenant}/subscribers", {
          params: {
            path: { tenant },
            query: {
              limit: PAGE,
              ...(status ? { status } : {}),
              ...(topic ? { topic } : {}),
              ...start,
            },
          },
        }),
      ),
    // A full page may have more after it, from its last person on.
    nextStart: (last) =>
      last.subscribers.length === PAGE ? last.subscribers[last.subscribers.length - 1]?.id : null,
  });
  const rows = list.data?.pages.flatMap((p) => p.subscribers) ?? [];
  const numberOf = (p: (typeof rows)[number]) =>
    p.number ? readablePhone(p.number) : t("people.subscribers.noNumber");
  return (
    <TitledSection id="list-title" title={t("people.subscribers.list")} className="mb-4">
      <p className="small text-secondary">{t("people.subscribers.listIntro")}</p>
      <div className="row gx-3 gy-4 mb-2 mt-2">
        <div className="col-12 col-md-5 col-lg-4">
          <SelectFilter
            label={t("people.subscribers.filterStatus")}
            value={status}
            onChange={(v) => setStatus(v as ListStatus | "")}
            all={t("people.subscribers.allStates")}
            options={LIST_STATUSES.map((s) => ({
              value: s,
              label: t(`people.subscribers.states.${s}`),
            }))}
          />
        </div>
        {topics.length ? (
          <div className="col-12 col-md-5 col-lg-4">
            <SelectFilter
              label={t("people.subscribers.filterTopic")}
              value={topic}
              help={t("people.subscribers.topicHelp")}
              onChange={setTopic}
              all={t("people.subscribers.allTopics")}
              options={topics.map((x) => ({ value: x.id, label: x.label }))}
            />
          </div>
        ) : null}
      </div>
      <ErrorAlert error={list.error} />
      {list.isPending ? (
        <Loading minHeight="16rem" />
      ) : rows.length === 0 ? (
        <p data-testid="people-empty">{t("people.subscribers.empty")}</p>
      ) : (
        <>
          <ColumnTable
            caption={t("people.subscribers.caption", { count: rows.length })}
            className="align-middle"
            testId="people-list"
            rows={rows}
            rowKey={(p) => p.id}
            rowProps={(p) => ({ className: selected === p.id ? "table-active" : undefined })}
            columns={[
              {
                header: t("people.subscribers.columns.number"),
                rowHeader: true,
                cellClassName: "fw-normal text-nowrap",
                cell: numberOf,
              },
              {
                header: t("people.subscribers.columns.status"),
                cell: (p) => <PersonStatus person={p} />,
              },
              {
                header: t("people.subscribers.columns.since"),
                from: "md",
                cell: (p) => f.day(p.subscribedAt),
              },
              {
                header: t("people.subscribers.columns.lastMessage"),
                from: "lg",
                cell: (p) => f.day(p.lastMessageAt),
              },
              {
                header: (
                  <span className="visually-hidden">{t("people.subscribers.columns.open")}</span>
                ),
                cellClassName: "text-end",
                cell: (p) => (
                  <Button
                    color="primary"
                    outline
                    size="sm"
                    aria-label={t("people.subscribers.openLabel", { number: numberOf(p) })}
                    aria-current={selected === p.id ? true : undefined}
                    onClick={() => onOpen(p.id)}
                  >
                    {t("people.subscribers.open")}
                  </Button>
                ),
              },
            ]}
          />
          <MoreButton list={list} label={t("people.subscribers.more")} />
        </>
      )}
    </TitledSection>
  );
}

/**
 * "Iscritti": how many by state and topic for every role with reports.read; for a role that may
 * see personal data (subscribers.reveal), the search by full number, the masked list and one
 * person's page, with the actions the role allows (export, block, erase) each confirmed first.
 */
export function SubscribersPage({ tenant, comune }: SectionProps) {
  const { t } = useI18n();
  const [selected, setSelected] = useState<number | null>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const mayReveal = can(comune, "subscribers.reveal");
  const open = (id: number) => {
    setNotice("");
    setSelected(id);
  };
  return (
    <>
      <h1 className="h2 mb-4">{t("people.subscribers.title")}</h1>
      {notice ? (
        <div ref={noticeRef} tabIndex={-1}>
          <Notice text={notice} testId="people-notice" />
        </div>
      ) : null}
      {can(comune, "reports.read") ? <Counts tenant={tenant} /> : null}
      {mayReveal ? (
        <>
          <Search tenant={tenant} onSearch={() => setSelected(null)} onFound={open} />
          {selected !== null ? (
            <PeoplePerson
              key={selected}
              tenant={tenant}
              comune={comune}
              id={selected}
              onClose={() => setSelected(null)}
              onErased={(message) => {
                setSelected(null);
                setNotice(message);
              }}
            />
          ) : null}
          <List tenant={tenant} selected={selected} onOpen={open} />
        </>
      ) : null}
    </>
  );
}
