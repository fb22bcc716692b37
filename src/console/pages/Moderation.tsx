import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge } from "design-react-kit";
import { MoreButton } from "../components/MoreButton";
import { usePages } from "../components/usePages";
import { api, call } from "../api/client";
import type { paths } from "../api/schema";
import { AdminBox } from "../components/AdminBox";
import { AdminProblem } from "../components/AdminProblem";
import { AdminRows } from "../components/AdminRows";
import { Loading } from "../components/Loading";
import { ColumnTable } from "../components/DataTable";
import { lookup, useI18n } from "../i18n";
import { can } from "../lib/session";
import type { SectionProps } from "../sections";
import { TitledSection } from "../components/TitledSection";

type Message =
  paths["/api/tenants/{tenant}/moderation/messages"]["get"]["responses"]["200"]["content"]["application/json"]["messages"][number];

const PAGE = 50;
/** What the comune's file needs, as the tenant schema reads it (config/tenant-schema.ts). */
const TURN_ON = "moderation:\n  inbox: true\n  retentionDays: 30";

export function ModerationPage({ tenant, comune }: SectionProps) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const messages = usePages({
    queryKey: ["moderation", tenant, "messages"],
    fetchPage: (start) =>
      call(
        api.GET("/api/tenants/{tenant}/moderation/messages", {
          params: { path: { tenant }, query: { limit: PAGE, ...start } },
        }),
      ),
    nextStart: (last) => last.nextBefore,
  });
  const first = messages.data?.pages[0];
  const rows = messages.data?.pages.flatMap((p) => p.messages) ?? [];
  const enabled = first?.inbox.enabled ?? false;
  const mayReport = can(comune, "moderation.report");
  // A report download is recorded in the log: the log's pages read it afresh.
  const reported = () =>
    window.setTimeout(
      () => void queryClient.invalidateQueries({ queryKey: ["audit", tenant] }),
      1_500,
    );

  return (
    <>
      <h1 className="h2 mb-3">{t("nav.moderation")}</h1>
      <AdminProblem error={messages.error} />
      {messages.isPending ? (
        <Loading minHeight="40vh" />
      ) : !first ? null : (
        <>
          {enabled ? (
            <p className="mb-4">
              {t("admin.moderation.onText", { days: first.inbox.retentionDays })}
            </p>
          ) : (
            <InboxOff tenant={tenant} kept={rows.length > 0} />
          )}
          {enabled || rows.length ? (
            <>
              {mayReport ? (
                <AdminBox title={t("admin.moderation.report")} tone="primary">
                  <p>{t("admin.moderation.reportText")}</p>
                  <a
                    className="btn btn-primary"
                    href={`/api/tenants/${tenant}/moderation/report`}
                    download
                    onClick={reported}
                  >
                    {t("admin.moderation.reportDownload")}
                  </a>
                </AdminBox>
              ) : null}
              <Flagged tenant={tenant} mayReport={mayReport} onReport={reported} />
              <TitledSection
                id="messages-title"
                title={t("admin.moderation.messages")}
                className="mt-5"
              >
                {rows.length === 0 ? (
                  <p>{t("admin.moderation.messagesEmpty")}</p>
                ) : (
                  <MessagesTable rows={rows} />
                )}
                <MoreButton list={messages} label={t("admin.common.more")} />
              </TitledSection>
            </>
          ) : null}
        </>
      )}
    </>
  );
}

function InboxOff({ tenant, kept }: { tenant: string; kept: boolean }) {
  const { t } = useI18n();
  return (
    <AdminBox title={t("admin.moderation.offTitle")} tone="secondary" testId="inbox-off">
      <p>{t("admin.moderation.offText")}</p>
      <p className="mb-2">
        {t("admin.moderation.offHow", { file: `config/tenants/${tenant}.yaml` })}
      </p>
      <pre className="bg-light border rounded p-3 mb-3" lang="en">
        <code>{TURN_ON}</code>
      </pre>
      <p className={kept ? "" : "mb-0"}>{t("admin.moderation.offDays")}</p>
      {kept ? <p className="mb-0">{t("admin.moderation.offKept")}</p> : null}
    </AdminBox>
  );
}

function Flagged({
  tenant,
  mayReport,
  onReport,
}: {
  tenant: string;
  mayReport: boolean;
  onReport: () => void;
}) {
  const { t, lang, date } = useI18n();
  const flagged = useQuery({
    queryKey: ["moderation", tenant, "flagged"],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/moderation/flagged", { params: { path: { tenant } } })),
  });
  const rows = flagged.data?.flagged ?? [];
  const numberOf = (r: (typeof rows)[number]) =>
    r.subscriber.number ?? t("admin.moderation.noNumber");
  return (
    <TitledSection id="flagged-title" title={t("admin.moderation.flagged")}>
      <p>{t("admin.moderation.flaggedIntro")}</p>
      <AdminRows
        query={flagged}
        count={rows.length}
        minHeight="6rem"
        empty={t("admin.moderation.flaggedEmpty")}
      >
        <ColumnTable
          caption={t("admin.moderation.flaggedCaption", { count: rows.length })}
          rows={rows}
          rowKey={(r) => r.subscriber.id}
          columns={[
            {
              header: t("admin.moderation.flaggedColumns.number"),
              rowHeader: true,
              cellClassName: "fw-normal text-nowrap",
              cell: numberOf,
            },
            {
              header: t("admin.moderation.flaggedColumns.reason"),
              cell: (r) => {
                const reason = r.subscriber.flag?.reason;
                return reason ? (lookup(lang, `admin.moderation.reasons.${reason}`) ?? reason) : "";
              },
            },
            {
              header: t("admin.moderation.flaggedColumns.messages"),
              cell: (r) => r.flaggedMessages,
            },
            {
              header: t("admin.moderation.flaggedColumns.since"),
              from: "md",
              cellClassName: "small",
              cell: (r) => date(r.subscriber.flag?.flaggedAt ?? r.lastFlaggedMessageAt),
            },
            mayReport && {
              header: t("admin.moderation.flaggedColumns.report"),
              cell: (r) => (
                <a
                  href={`/api/tenants/${tenant}/moderation/report?subscriberId=${r.subscriber.id}`}
                  download
                  aria-label={t("admin.moderation.reportOneLabel", { number: numberOf(r) })}
                  onClick={onReport}
                >
                  {t("admin.moderation.reportOne")}
                </a>
              ),
            },
          ]}
        />
      </AdminRows>
    </TitledSection>
  );
}

function MessagesTable({ rows }: { rows: Message[] }) {
  const { t, lang, date } = useI18n();
  const typeLabel = (type: string) =>
    type === "text"
      ? ""
      : (lookup(lang, `admin.moderation.types.${type}`) ?? t("admin.moderation.types.other"));
  return (
    <ColumnTable
      caption={t("admin.moderation.messagesCaption", { count: rows.length })}
      rows={rows}
      rowKey={(m) => m.id}
      rowTestId="inbox-row"
      columns={[
        {
          header: t("admin.moderation.columns.received"),
          cellClassName: "small",
          cell: (m) => date(m.receivedAt),
        },
        {
          header: t("admin.moderation.columns.from"),
          cellClassName: "text-nowrap",
          cell: (m) => m.number ?? t("admin.moderation.noNumber"),
        },
        {
          header: t("admin.moderation.columns.text"),
          cellClassName: "text-break",
          cell: (m) => (
            <>
              {typeLabel(m.type) ? <span className="me-1">{typeLabel(m.type)}</span> : null}
              {m.text ?? (m.type === "text" ? t("admin.moderation.noText") : "")}
              {m.flagged ? (
                <Badge color="danger" className="ms-2 d-md-none">
                  {t("admin.moderation.columns.flag")}
                </Badge>
              ) : null}
            </>
          ),
        },
        {
          header: t("admin.moderation.columns.flag"),
          from: "md",
          cell: (m) =>
            m.flagged ? (
              <Badge color="danger">{t("admin.common.yes")}</Badge>
            ) : (
              t("admin.common.no")
            ),
        },
        {
          header: t("admin.moderation.columns.purge"),
          from: "lg",
          cellClassName: "small",
          cell: (m) => date(m.purgeAfter),
        },
      ]}
    />
  );
}
