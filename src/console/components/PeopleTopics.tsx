import { ColumnTable } from "./DataTable";
import { useI18n } from "../i18n";
import { useTenants } from "../lib/session";
import type { SubscriberStats } from "./PeopleData";

/** Active subscribers per topic: who chose it, and who receives it (they and those who chose none). */
export function PeopleTopics({ tenant, stats }: { tenant: string; stats: SubscriberStats }) {
  const { t } = useI18n();
  const tenants = useTenants();
  const info = tenants.data?.tenants.find((x) => x.slug === tenant);
  const { byTopic, allTopics } = stats.topics;
  if (byTopic.length === 0) return <p>{t("people.topics.none")}</p>;
  const labelOf = (id: string, fallback: string) =>
    info?.topics.find((x) => x.id === id)?.label ?? fallback;
  const most = Math.max(1, ...byTopic.map((x) => x.receiving));
  return (
    <>
      <ColumnTable
        caption={t("people.topics.caption")}
        className="table-sm align-middle"
        rows={byTopic}
        rowKey={(x) => x.id}
        columns={[
          {
            header: t("people.topics.topic"),
            rowHeader: true,
            cellClassName: "fw-normal",
            cell: (x) => (
              <>
                {labelOf(x.id, x.label)}
                {/* The bar repeats the number beside it: decoration for the eye only. */}
                <div className="progress mt-1" style={{ height: "6px" }} aria-hidden="true">
                  <div
                    className="progress-bar"
                    style={{ width: `${Math.round((x.receiving / most) * 100)}%` }}
                  />
                </div>
              </>
            ),
          },
          { header: t("people.topics.chosen"), align: "end", cell: (x) => x.chosen },
          {
            header: t("people.topics.receiving"),
            align: "end",
            cellClassName: "fw-semibold",
            cell: (x) => x.receiving,
          },
        ]}
      />
      {allTopics > 0 ? (
        <p className="small text-secondary">
          {allTopics === 1
            ? t("people.topics.receivingHelpOne")
            : t("people.topics.receivingHelp", { count: allTopics })}
        </p>
      ) : null}
    </>
  );
}
