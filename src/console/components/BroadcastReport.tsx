import { useQuery } from "@tanstack/react-query";
import { api, call } from "../api/client";
import { useI18n } from "../i18n";
import { ColumnTable } from "./DataTable";
import { ErrorAlert } from "./ErrorAlert";
import { TitledSection } from "./TitledSection";

/**
 * What a broadcast's sending came to (the API's report): the messages not delivered, grouped by
 * the reason WhatsApp gave, the read rate and the cost against the estimate approved, and the
 * report to download, as CSV for a spreadsheet or JSON for another system. Read again as the
 * live progress counts more failures or the broadcast moves on.
 */
export function BroadcastReport({
  tenant,
  id,
  status,
  failed,
}: {
  tenant: string;
  id: number;
  status: string;
  failed: number;
}) {
  const { t, pick, lang } = useI18n();
  const report = useQuery({
    queryKey: ["report", tenant, id, status, failed, lang],
    queryFn: () =>
      call(
        api.GET("/api/tenants/{tenant}/broadcasts/{id}/report", {
          params: { path: { tenant, id }, query: { lang } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  const base = `/api/tenants/${tenant}/broadcasts/${id}`;
  const percent = new Intl.NumberFormat(lang === "it" ? "it-IT" : "en-GB", {
    style: "percent",
    maximumFractionDigits: 0,
  });
  const data = report.data;
  return (
    <TitledSection
      id="report-title"
      title={t("detail.report")}
      headingClassName="h5"
      className="mb-4"
      testId="report"
    >
      <ErrorAlert error={report.error} />
      {data ? (
        <>
          <dl className="row small">
            <dt className="col-sm-5">{t("detail.readRate")}</dt>
            <dd className="col-sm-7">
              {data.readRate === null ? t("detail.readRateNone") : percent.format(data.readRate)}
            </dd>
            <dt className="col-sm-5">{t("detail.costActual")}</dt>
            <dd className="col-sm-7">
              {pick(data.cost.total)}
              {data.cost.estimate ? (
                <span className="d-block text-secondary">
                  {t("detail.costEstimate", { total: pick(data.cost.estimate.total) })}
                </span>
              ) : null}
            </dd>
          </dl>
          <h3 className="h6">{t("detail.failuresTitle")}</h3>
          {data.failures.length === 0 ? (
            <p className="small" data-testid="failures-none">
              {t("detail.failuresNone")}
            </p>
          ) : (
            <ColumnTable
              caption={t("detail.failuresTitle")}
              className="table-sm small"
              testId="failures"
              rows={data.failures}
              rowKey={(f) => String(f.code)}
              columns={[
                { header: t("detail.failureReason"), cell: (f) => pick(f.reason) },
                { header: t("detail.failureCount"), align: "end", cell: (f) => f.count },
              ]}
            />
          )}
        </>
      ) : (
        <div style={{ minHeight: "6rem" }} />
      )}
      <div className="d-flex flex-wrap gap-3">
        <a
          className="btn btn-outline-primary btn-sm"
          href={`${base}/report.csv?lang=${lang}`}
          download
        >
          {t("detail.downloadCsv")}
        </a>
        <a
          className="btn btn-outline-secondary btn-sm"
          href={`${base}/report?lang=${lang}`}
          download={`comunicazione-${tenant}-${id}.json`}
        >
          {t("detail.downloadJson")}
        </a>
      </div>
    </TitledSection>
  );
}
