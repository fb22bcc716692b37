import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button } from "design-react-kit";
import { useState } from "react";
import { api, call } from "../api/client";
import { ColumnTable } from "./DataTable";
import { useI18n, type MessageKey } from "../i18n";
import { ErrorAlert } from "./ErrorAlert";
import { Loading } from "./Loading";
import { Notice } from "./Notice";
import { useAction } from "./useAction";
import { TitledSection } from "./TitledSection";

const STATUS_COLORS: Record<string, string> = {
  APPROVED: "success",
  PENDING: "secondary",
  IN_APPEAL: "secondary",
  PAUSED: "warning",
};

/** The comune's WhatsApp templates by kind of broadcast, their status, and a sync on demand. */
export function SettingsTemplates({ tenant, maySync }: { tenant: string; maySync: boolean }) {
  const { t, date } = useI18n();
  const queryClient = useQueryClient();
  const key = ["settings-templates", tenant];
  const templates = useQuery({
    queryKey: key,
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/settings/templates", { params: { path: { tenant } } })),
  });
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  const sync = () => {
    setDone(false);
    void run(async () => {
      const answer = await call(
        api.POST("/api/tenants/{tenant}/settings/templates/sync", { params: { path: { tenant } } }),
      );
      queryClient.setQueryData(key, answer);
      setDone(true);
    });
  };
  const statusText = (status: string) =>
    t(`settings.templates.statuses.${status}` as MessageKey) ===
    `settings.templates.statuses.${status}`
      ? status
      : t(`settings.templates.statuses.${status}` as MessageKey);
  return (
    <TitledSection id="templates-title" title={t("settings.templates.title")} className="mb-5">
      <p>{t("settings.templates.intro")}</p>
      {templates.isPending ? <Loading minHeight="12rem" /> : null}
      {templates.error ? <ErrorAlert error={templates.error} /> : null}
      {templates.data ? (
        <>
          {templates.data.configured.length === 0 ? (
            <p>{t("settings.templates.none")}</p>
          ) : (
            <ColumnTable
              caption={t("settings.templates.caption")}
              captionTop
              rows={templates.data.configured}
              rowKey={(c) => c.kind}
              rowTestId={(c) => `template-${c.kind}`}
              columns={[
                {
                  header: t("settings.templates.kind"),
                  rowHeader: true,
                  cellClassName: "fw-normal",
                  cell: (c) => t(`settings.templates.kinds.${c.kind}`),
                },
                {
                  header: t("settings.templates.status"),
                  cell: (c) => (
                    <Badge color={STATUS_COLORS[c.status] ?? "danger"}>
                      {statusText(c.status)}
                    </Badge>
                  ),
                },
                { header: t("settings.templates.name"), cell: (c) => <code>{c.name}</code> },
                { header: t("settings.templates.language"), cell: (c) => c.language },
              ]}
            />
          )}
          <p className="small" data-testid="templates-synced">
            {templates.data.syncedAt
              ? t("settings.templates.syncedAt", { when: date(templates.data.syncedAt) })
              : t("settings.templates.never")}
          </p>
        </>
      ) : null}
      {maySync ? (
        <Button color="primary" outline disabled={busy} onClick={sync}>
          {t("settings.templates.sync")}
        </Button>
      ) : null}
      <div aria-live="polite" className="mt-3">
        <Notice text={done ? t("settings.templates.synced") : ""} />
        <ErrorAlert error={error} />
      </div>
    </TitledSection>
  );
}
