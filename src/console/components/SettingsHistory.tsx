import { Badge, Button } from "design-react-kit";
import { useState } from "react";
import { ColumnTable } from "./DataTable";
import { useI18n, type MessageKey } from "../i18n";
import { ConfirmDialog } from "./ConfirmDialog";
import type { Section } from "./SettingsDraft";
import { TitledSection } from "./TitledSection";

export interface VersionRow {
  version: number;
  savedAt: string;
  savedBy: { type: string; name: string | null };
  note: string;
  changed: Section[];
  restoredFrom: number | null;
}

/**
 * The saved versions, newest first: who, when, why, what changed; each earlier one (and the
 * file's values) can be put back in force, after a confirmation dialog.
 */
export function SettingsHistory({
  versions,
  inForce,
  mayRestore,
  busy,
  onRestore,
}: {
  versions: readonly VersionRow[];
  inForce: number;
  mayRestore: boolean;
  busy: boolean;
  onRestore: (version: number) => Promise<boolean>;
}) {
  const { t, date } = useI18n();
  const [asked, setAsked] = useState<number | null>(null);
  const who = (v: VersionRow) =>
    v.savedBy.name ?? t(`settings.history.people.${v.savedBy.type}` as MessageKey);
  const close = () => setAsked(null);
  const changed = (v: VersionRow) => v.changed.map((s) => t(`settings.sections.${s}`)).join(", ");
  // The phone's blocks and the table's rows show the same badge and the same button.
  const badge = (v: VersionRow) =>
    v.version === inForce ? (
      <Badge color="success" className="ms-2">
        {t("settings.history.inForce")}
      </Badge>
    ) : null;
  const restore = (v: VersionRow) =>
    mayRestore && v.version !== inForce ? (
      <Button
        color="primary"
        outline
        size="sm"
        disabled={busy}
        aria-label={t("settings.history.restoreLabel", { version: v.version })}
        onClick={() => setAsked(v.version)}
      >
        {t("settings.history.restore")}
      </Button>
    ) : null;
  return (
    <TitledSection id="history-title" title={t("settings.history.title")} className="mb-5">
      {versions.length === 0 ? <p>{t("settings.history.none")}</p> : null}
      {/* On a phone, one block per version instead of a table six columns wide. */}
      {versions.length ? (
        <ol className="list-unstyled d-md-none" aria-label={t("settings.history.caption")}>
          {versions.map((v) => (
            <li key={v.version} className="border-bottom py-3">
              <p className="fw-semibold mb-1">
                {t("settings.history.version")} {v.version}
                {badge(v)}
              </p>
              <p className="small mb-1">
                {date(v.savedAt)} · {who(v)}
              </p>
              <p className="mb-1">{v.note}</p>
              {v.restoredFrom !== null ? (
                <p className="small text-secondary mb-1">
                  {t("settings.history.restoredFrom", { version: v.restoredFrom })}
                </p>
              ) : null}
              <p className="small mb-2">
                {t("settings.history.changed")}: {changed(v)}
              </p>
              {restore(v)}
            </li>
          ))}
        </ol>
      ) : null}
      {versions.length === 0 ? null : (
        <ColumnTable
          caption={t("settings.history.caption")}
          captionTop
          className="align-middle"
          wrapperClassName="d-none d-md-block"
          rows={versions}
          rowKey={(v) => v.version}
          rowTestId={(v) => `version-${v.version}`}
          columns={[
            {
              header: t("settings.history.version"),
              rowHeader: true,
              cell: (v) => (
                <>
                  {v.version}
                  {badge(v)}
                </>
              ),
            },
            { header: t("settings.history.when"), cell: (v) => date(v.savedAt) },
            { header: t("settings.history.who"), cell: who },
            {
              header: t("settings.history.note"),
              cell: (v) => (
                <>
                  {v.note}
                  {v.restoredFrom !== null ? (
                    <span className="d-block small text-secondary">
                      {t("settings.history.restoredFrom", { version: v.restoredFrom })}
                    </span>
                  ) : null}
                </>
              ),
            },
            { header: t("settings.history.changed"), cell: changed },
            mayRestore && { header: t("settings.history.actions"), cell: restore },
          ]}
        />
      )}
      {mayRestore && inForce !== 0 ? (
        <Button color="secondary" outline disabled={busy} onClick={() => setAsked(0)}>
          {t("settings.history.backToFile")}
        </Button>
      ) : null}
      <ConfirmDialog
        open={asked !== null}
        title={
          asked === 0
            ? t("settings.history.backToFileTitle")
            : t("settings.history.restoreTitle", { version: asked ?? 0 })
        }
        text={t("settings.history.restoreText")}
        confirmLabel={t("settings.history.confirm")}
        cancelLabel={t("settings.history.keep")}
        danger={false}
        busy={busy}
        onConfirm={() => {
          if (asked === null) return;
          void onRestore(asked).then(close);
        }}
        onCancel={close}
      />
    </TitledSection>
  );
}
