import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Button } from "design-react-kit";
import { MoreButton } from "../components/MoreButton";
import { usePages } from "../components/usePages";

import { api, call } from "../api/client";
import type { paths } from "../api/schema";
import { AdminBox } from "../components/AdminBox";
import { AdminProblem } from "../components/AdminProblem";
import { AdminRows } from "../components/AdminRows";
import { DateFilter, SelectFilter, useAddressFilters } from "../components/Filters";
import { ColumnTable } from "../components/DataTable";
import { lookup, useI18n, type MessageKey, type Translate } from "../i18n";
import { admin } from "../i18n/sections/admin";
import { can } from "../lib/session";
import type { SectionProps } from "../sections";
import { useApiKeys, type ApiKey } from "./ApiKeys";
import { rolesText, useStaff, type StaffUser } from "./Users";

type Entry =
  paths["/api/tenants/{tenant}/audit"]["get"]["responses"]["200"]["content"]["application/json"]["entries"][number];
type Query = NonNullable<paths["/api/tenants/{tenant}/audit"]["get"]["parameters"]["query"]>;

const PAGE = 50;
/** The kinds and actions the catalogue names, in its order: the activity filter's options. */
const ACTIONS = admin.it.audit.actions;
const KINDS = Object.keys(ACTIONS) as (keyof typeof ACTIONS)[];
const TIME_ZONE = "Europe/Rome";
/** The filters, kept in the address: an activity, who, and Rome's calendar days. */
const FILTERS = ["what", "who", "from", "to"] as const;
const DAYS = [
  ["from", "admin.audit.filterFrom"],
  ["to", "admin.audit.filterTo"],
] as const;

/** Midnight of a calendar day ("2026-12-03") in Rome, as an instant: the dates staff read. */
function romeMidnight(day: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const utc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const offset = new Intl.DateTimeFormat("en-US", {
    timeZone: TIME_ZONE,
    timeZoneName: "longOffset",
  })
    .formatToParts(new Date(utc))
    .find((p) => p.type === "timeZoneName")?.value;
  const sign = /GMT([+-])(\d{2}):(\d{2})/.exec(offset ?? "");
  if (!sign) return utc;
  const minutes = (Number(sign[2]) * 60 + Number(sign[3])) * (sign[1] === "-" ? -1 : 1);
  return utc - minutes * 60_000;
}

/** "2026-12-03" → "2026-12-04"; anything else → "". */
function nextDay(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return "";
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + 1))
    .toISOString()
    .slice(0, 10);
}

/** The address's filters as the API's query. */
function queryOf(params: URLSearchParams): Omit<Query, "limit" | "before"> {
  const query: Omit<Query, "limit" | "before"> = {};
  const what = params.get("what") ?? "";
  if (what.startsWith("kind:")) query.kind = what.slice(5);
  if (what.startsWith("action:")) query.action = what.slice(7);
  const who = params.get("who") ?? "";
  if (who.startsWith("user:")) {
    query.actorType = "user";
    query.actorId = who.slice(5);
  } else if (who) {
    query.actorType = who as Query["actorType"];
  }
  const from = romeMidnight(params.get("from") ?? "");
  if (from !== undefined) query.from = from;
  // The day chosen is included: up to the next day's midnight.
  const to = romeMidnight(nextDay(params.get("to") ?? ""));
  if (to !== undefined) query.to = to;
  return query;
}

/** An action as staff read it; one the catalogue does not know, as it is. */
export function actionLabel(lang: "it" | "en", action: string): string {
  return lookup(lang, `admin.audit.actions.${action}`) ?? action;
}

function actorLabel(
  t: Translate,
  entry: Entry,
  people: StaffUser[] | undefined,
  keys: ApiKey[] | undefined,
  myId: number,
): string {
  const { type, id } = entry.actor;
  if (type === "user") {
    const person = people?.find((u) => String(u.id) === id);
    if (!person) return t("admin.audit.actors.userUnknown");
    return String(person.id) === String(myId)
      ? `${person.displayName} (${t("admin.common.you")})`
      : person.displayName;
  }
  if (type === "api-key") {
    const key = keys?.find((k) => String(k.id) === id);
    return key
      ? t("admin.audit.actors.apiKey", { name: key.name })
      : t("admin.audit.actors.apiKeyUnknown");
  }
  const known = ["system", "admin-token", "citizen", "anonymous"];
  return known.includes(type) ? t(`admin.audit.actors.${type}` as MessageKey) : type;
}

function rolesOf(t: Translate, value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const roles = value.filter((r): r is string => typeof r === "string");
  return roles.length ? rolesText(t, roles) : t("admin.audit.details.none");
}

/** What an entry concerns, from its target and summary, in plain words (never an id). */
function details(
  t: Translate,
  entry: Entry,
  people: StaffUser[] | undefined,
  keys: ApiKey[] | undefined,
): string[] {
  const out: string[] = [];
  const summary = (entry.summary ?? {}) as Record<string, unknown>;
  if (entry.target?.type === "user") {
    const person = people?.find((u) => String(u.id) === entry.target?.id);
    if (person) out.push(t("admin.audit.details.person", { name: person.displayName }));
  }
  if (entry.target?.type === "api-key") {
    const key = keys?.find((k) => String(k.id) === entry.target?.id);
    const name = key?.name ?? (typeof summary.name === "string" ? summary.name : undefined);
    if (name) out.push(t("admin.audit.details.key", { name }));
  }
  if (entry.action === "user.roles_changed") {
    const from = rolesOf(t, summary.from);
    const to = rolesOf(t, summary.to);
    if (from && to) out.push(t("admin.audit.details.rolesChanged", { from, to }));
  } else {
    const roles = rolesOf(t, summary.roles);
    if (roles) out.push(t("admin.audit.details.roles", { roles }));
  }
  return out;
}

export function AuditPage({ tenant, comune, me }: SectionProps) {
  const { t, lang, date } = useI18n();
  const { params, filtered, bind, clear } = useAddressFilters(FILTERS);
  const query = queryOf(params);
  // Names for the ids the log keeps, when the person may read them.
  const people = useStaff(tenant, can(comune, "users.manage"));
  const keys = useApiKeys(tenant, can(comune, "apikeys.manage"));
  const queryClient = useQueryClient();
  const list = usePages({
    queryKey: ["audit", tenant, query],
    fetchPage: (start) =>
      call(
        api.GET("/api/tenants/{tenant}/audit", {
          params: {
            path: { tenant },
            query: {
              limit: PAGE,
              ...query,
              ...start,
            },
          },
        }),
      ),
    nextStart: (last) => last.nextBefore,
  });
  const rows = list.data?.pages.flatMap((p) => p.entries) ?? [];

  return (
    <>
      <div className="d-flex flex-wrap justify-content-between align-items-start gap-3 mb-3">
        <h1 className="h2 mb-0">{t("nav.audit")}</h1>
        {can(comune, "audit.export") ? (
          <div className="text-md-end" style={{ maxWidth: "28rem" }}>
            <a
              className="btn btn-outline-primary"
              href={`/api/tenants/${tenant}/audit.csv`}
              download
              onClick={() =>
                // The download is itself recorded: the list shows it once it is written.
                window.setTimeout(
                  () => void queryClient.invalidateQueries({ queryKey: ["audit", tenant] }),
                  1_500,
                )
              }
            >
              {t("admin.audit.export")}
            </a>
            <p className="small mb-0 mt-1">{t("admin.audit.exportHelp")}</p>
          </div>
        ) : null}
      </div>
      <p className="mb-4">{t("admin.audit.intro")}</p>
      <ChainCheck tenant={tenant} />
      <form
        className="row g-3 align-items-end mb-4"
        aria-label={t("admin.audit.filters")}
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="col-12 col-md-6 col-lg-3">
          <SelectFilter
            label={t("admin.audit.filterWhat")}
            all={t("admin.audit.filterAll")}
            {...bind("what")}
          >
            {KINDS.map((kind) => {
              const kindLabel = t(`admin.audit.kinds.${kind}` as MessageKey);
              return (
                <optgroup key={kind} label={kindLabel}>
                  <option value={`kind:${kind}`}>
                    {t("admin.audit.filterAllOfKind", { kind: kindLabel })}
                  </option>
                  {Object.keys(ACTIONS[kind]).map((name) => (
                    <option key={name} value={`action:${kind}.${name}`}>
                      {actionLabel(lang, `${kind}.${name}`)}
                    </option>
                  ))}
                </optgroup>
              );
            })}
          </SelectFilter>
        </div>
        <div className="col-12 col-md-6 col-lg-3">
          <SelectFilter
            label={t("admin.audit.filterWho")}
            all={t("admin.audit.filterEveryone")}
            options={(people.data?.users ?? []).map((u) => ({
              value: `user:${u.id}`,
              label:
                u.id === me.user.id ? `${u.displayName} (${t("admin.common.you")})` : u.displayName,
            }))}
            {...bind("who")}
          >
            <option value="api-key">{t("admin.audit.actors.everyApiKey")}</option>
            <option value="system">{t("admin.audit.actors.everyone")}</option>
            <option value="admin-token">{t("admin.audit.actors.adminToken")}</option>
          </SelectFilter>
        </div>
        {DAYS.map(([name, label]) => (
          <div key={name} className="col-6 col-lg-2">
            <DateFilter label={t(label)} className="mb-0" {...bind(name)} />
          </div>
        ))}
        <div className="col-12 col-lg-2">
          {filtered ? (
            <Button color="primary" outline type="button" onClick={clear}>
              {t("admin.audit.clearFilters")}
            </Button>
          ) : null}
        </div>
      </form>
      <AdminRows query={list} count={rows.length} minHeight="40vh" empty={t("admin.audit.empty")}>
        <>
          {/* Two columns, so that a phone shows the whole entry without scrolling. */}
          <ColumnTable
            caption={t("admin.audit.caption", { count: rows.length })}
            rows={rows}
            rowKey={(entry) => entry.id}
            rowTestId="audit-row"
            rowProps={(entry) => ({ "data-action": entry.action })}
            columns={[
              {
                header: t("admin.audit.columns.whenWho"),
                style: { width: "40%" },
                cell: (entry) => (
                  <>
                    <span className="d-block small">{date(entry.at)}</span>
                    <span className="d-block text-break">
                      {actorLabel(t, entry, people.data?.users, keys.data?.apiKeys, me.user.id)}
                    </span>
                  </>
                ),
              },
              {
                header: t("admin.audit.columns.what"),
                cell: (entry) => (
                  <>
                    <span className="d-block fw-semibold">{actionLabel(lang, entry.action)}</span>
                    {details(t, entry, people.data?.users, keys.data?.apiKeys).map((line) => (
                      <span key={line} className="d-block small">
                        {line}
                      </span>
                    ))}
                  </>
                ),
              },
            ]}
          />
          <MoreButton list={list} label={t("admin.common.more")} />
        </>
      </AdminRows>
    </>
  );
}

/** The chain check (`GET …/audit/verify`): "intact, N entries", or the first entry that is not. */
function ChainCheck({ tenant }: { tenant: string }) {
  const { t, lang, date } = useI18n();
  const check = useQuery({
    queryKey: ["audit-verify", tenant],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/audit/verify", { params: { path: { tenant } } })),
    staleTime: 60_000,
  });
  const c = check.data;
  let body;
  if (check.isPending || check.isFetching) {
    body = (
      <p className="mb-0" role="status">
        {t("admin.audit.check.running")}
      </p>
    );
  } else if (check.error || !c) {
    body = <AdminProblem error={check.error} />;
  } else if (c.ok) {
    body = (
      <>
        <p className="fw-semibold mb-1" data-testid="chain-check">
          {c.entries === 1
            ? t("admin.audit.check.okOne")
            : t("admin.audit.check.ok", { count: c.entries })}
        </p>
        <p className="small mb-0">
          {t("admin.audit.check.okDetail", { comune: c.entriesOfComune, date: date(c.checkedAt) })}
        </p>
      </>
    );
  } else {
    const b = c.broken;
    const where =
      b?.code === "wrong_key"
        ? t("admin.audit.check.wrongKey")
        : b?.ofThisComune && b.at !== null
          ? t("admin.audit.check.brokenOurs", {
              date: date(b.at),
              action: actionLabel(lang, b.action ?? ""),
              count: c.entries,
            })
          : t("admin.audit.check.brokenOther", { position: b?.position ?? 0, count: c.entries });
    const reason = b ? lookup(lang, `admin.audit.check.reasons.${b.code}`) : undefined;
    body = (
      <>
        <p className="fw-semibold mb-1" data-testid="chain-check">
          {t("admin.audit.check.broken")}
        </p>
        <p className="mb-1">
          {where} {reason ?? ""}
        </p>
        <p className="small mb-0">{t("admin.audit.check.tell")}</p>
      </>
    );
  }
  const tone = c && !check.isFetching ? (c.ok ? "success" : "danger") : "secondary";
  return (
    <AdminBox title={t("admin.audit.check.title")} tone={tone} minHeight="10rem">
      <div aria-live="polite">{body}</div>
      {c && !check.isFetching ? (
        <Button
          color="primary"
          outline
          size="sm"
          className="mt-2"
          onClick={() => void check.refetch()}
        >
          {t("admin.audit.check.again")}
        </Button>
      ) : null}
    </AdminBox>
  );
}
