import type { ReactNode } from "react";
import { Link } from "react-router";
import { ErrorAlert } from "../components/ErrorAlert";
import { Loading } from "../components/Loading";
import { ColumnTable } from "../components/DataTable";
import { useOverview, useSubscriberStats, useTrend } from "../components/PeopleData";
import { useFormats } from "../components/PeopleFormat";
import { PeopleTopics } from "../components/PeopleTopics";
import { PeopleTrendChart } from "../components/PeopleTrendChart";
import { useI18n } from "../i18n";
import { can } from "../lib/session";
import type { SectionProps } from "../sections";
import { StatusBadge } from "./StatusBadge";
import { TitledSection } from "../components/TitledSection";

/** One key figure: its name, the number, a line that explains it; its height kept while loading. */
function Figure({
  label,
  value,
  note,
  testId,
  words = false,
}: {
  label: string;
  value: ReactNode;
  note: ReactNode;
  testId: string;
  /** The value is a phrase ("Nessun limite"), set smaller than a number. */
  words?: boolean;
}) {
  return (
    <div className="col-12 col-sm-6 col-xl-3">
      <div className="card card-bg no-after shadow-sm h-100 rounded">
        {/* While loading, "…" stands on each line the figure will take: nothing moves. */}
        <div className="card-body">
          <h2 className="h6 text-secondary fw-semibold mb-2">{label}</h2>
          <p className={`${words ? "h4" : "h2"} fw-bold mb-1`} data-testid={testId}>
            {value}
          </p>
          <p className="small mb-0">{note}</p>
        </div>
      </div>
    </div>
  );
}

/**
 * "Riepilogo": the comune's channel at a glance for the communication office and the owner
 * (reports.read): active subscribers and their last 30 days, subscribers per topic, the latest
 * broadcasts with delivered and read rates, this month's messages and cost, and what WhatsApp's
 * messaging limit leaves today. Counts only: no person in it.
 */
export function DashboardPage({ tenant, comune }: SectionProps) {
  const { t, pick } = useI18n();
  const f = useFormats();
  const stats = useSubscriberStats(tenant);
  const overview = useOverview(tenant);
  const trend = useTrend(tenant, stats.data?.subscribers.active);
  const waiting = "…";
  const s = stats.data?.subscribers;
  const o = overview.data;
  const change = trend.days?.reduce((sum, d) => sum + d.joined - d.left, 0);
  const changeText =
    change === undefined
      ? waiting
      : change > 0
        ? t("people.dashboard.changeUp", { count: f.count(change) })
        : change < 0
          ? t("people.dashboard.changeDown", { count: f.count(-change) })
          : t("people.dashboard.changeNone");
  const limit = o?.messagingLimit;
  const mayReadBroadcasts = can(comune, "broadcasts.read");

  return (
    <>
      <h1 className="h2 mb-4">{t("people.dashboard.title")}</h1>
      <ErrorAlert error={stats.error ?? overview.error ?? trend.error} />
      <div className="row g-3 mb-5">
        <Figure
          testId="active-subscribers"
          label={t("people.dashboard.activeNow")}
          value={s ? f.count(s.active) : waiting}
          note={changeText}
        />
        <Figure
          testId="messages-month"
          label={t("people.dashboard.messagesMonth")}
          value={o ? f.count(o.month.messages) : waiting}
          note={
            o
              ? t("people.dashboard.messagesSplit", {
                  broadcasts: f.count(o.month.broadcastMessages),
                  replies: f.count(o.month.replies),
                })
              : waiting
          }
        />
        <Figure
          testId="cost-month"
          label={t("people.dashboard.costMonth")}
          value={o ? pick(o.month.cost) : waiting}
          note={t("people.dashboard.costNote")}
        />
        <Figure
          testId="budget-today"
          label={t("people.dashboard.budgetToday")}
          words={limit?.left === null}
          value={
            !limit
              ? waiting
              : limit.left === null
                ? t("people.dashboard.budgetNone")
                : f.count(limit.left)
          }
          note={
            !limit
              ? waiting
              : limit.limit === null
                ? t("people.dashboard.budgetNoneNote")
                : t("people.dashboard.budgetOf", { limit: f.count(limit.limit) })
          }
        />
      </div>

      <div className="row g-4 mb-5">
        <section className="col-12 col-lg-7" aria-labelledby="trend-title">
          <h2 id="trend-title" className="h4">
            {t("people.dashboard.trend")}
          </h2>
          <p className="small text-secondary">{t("people.dashboard.trendNote")}</p>
          {trend.days ? <PeopleTrendChart days={trend.days} /> : <Loading minHeight="16rem" />}
        </section>
        <section className="col-12 col-lg-5" aria-labelledby="topics-title">
          <h2 id="topics-title" className="h4">
            {t("people.dashboard.topics")}
          </h2>
          {stats.data ? (
            <PeopleTopics tenant={tenant} stats={stats.data} />
          ) : (
            <Loading minHeight="16rem" />
          )}
        </section>
      </div>

      <TitledSection id="recent-title" title={t("people.dashboard.recent")} className="mb-4">
        {!o ? (
          <Loading minHeight="12rem" />
        ) : o.recentBroadcasts.length === 0 ? (
          <p>{t("people.dashboard.recentEmpty")}</p>
        ) : (
          <>
            <ColumnTable
              caption={t("people.dashboard.recentCaption")}
              className="align-middle"
              rows={o.recentBroadcasts}
              rowKey={(b) => b.id}
              columns={[
                {
                  header: t("people.dashboard.broadcast"),
                  rowHeader: true,
                  cellClassName: "fw-normal",
                  cell: (b) =>
                    mayReadBroadcasts ? (
                      <Link to={`/${tenant}/broadcasts/${b.id}`}>{b.title}</Link>
                    ) : (
                      b.title
                    ),
                },
                {
                  header: t("people.dashboard.status"),
                  cell: (b) => <StatusBadge status={b.status} label={b.statusLabel} />,
                },
                {
                  header: t("people.dashboard.startedAt"),
                  from: "md",
                  cell: (b) => f.day(b.startedAt),
                },
                {
                  header: t("people.dashboard.recipients"),
                  align: "end",
                  from: "sm",
                  cell: (b) => f.count(b.recipients),
                },
                {
                  header: t("people.dashboard.delivered"),
                  align: "end",
                  cell: (b) => f.percent(b.deliveredRate),
                },
                {
                  header: t("people.dashboard.read"),
                  align: "end",
                  cell: (b) => f.percent(b.readRate),
                },
              ]}
            />
            <p className="small text-secondary">{t("people.dashboard.readNote")}</p>
          </>
        )}
      </TitledSection>
    </>
  );
}
