import { Badge } from "design-react-kit";
import type { PolicyCheck } from "../api/types";
import { useI18n } from "../i18n";
import { CheckField } from "./Field";
import { TitledSection } from "./TitledSection";

/**
 * What the comune's rules say of a broadcast (the API's `check`): blocks, warnings (each to
 * acknowledge, when `acknowledged` and `onAcknowledge` are given), readability, schedule,
 * recipients, cost, and how Meta's messaging limit spreads the sending over the days.
 */
export function CheckPanel({
  check,
  acknowledged,
  onAcknowledge,
}: {
  check: PolicyCheck;
  acknowledged?: ReadonlySet<string>;
  onAcknowledge?: (id: string, on: boolean) => void;
}) {
  const { t, pick, date, lang } = useI18n();
  const { advice } = check;
  const readability = advice.readability;
  const limit = check.messagingLimit;
  const number = (n: number) => new Intl.NumberFormat(lang === "it" ? "it-IT" : "en-GB").format(n);
  return (
    <TitledSection id="check-title" title={t("composer.check")} headingClassName="h5">
      {check.blocks.length ? (
        <div className="callout danger">
          <div className="callout-title">{t("check.blocks")}</div>
          <ul className="mb-0">
            {check.blocks.map((b) => (
              <li key={b.id}>
                {pick(b.why)} <span className="d-block small">{pick(b.todo)}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <h3 className="h6 mt-3">
        {t("check.warnings")}
        {check.warnings.length && acknowledged ? (
          <span className="ms-2 fw-normal small">
            {t("check.acknowledged", {
              done: check.warnings.filter((w) => acknowledged.has(w.id)).length,
              total: check.warnings.length,
            })}
          </span>
        ) : null}
      </h3>
      {check.warnings.length === 0 ? <p className="small">{t("check.noWarnings")}</p> : null}
      <ul className="list-unstyled">
        {check.warnings.map((w) => (
          <li key={w.id} className="border-start border-4 border-warning ps-3 mb-3">
            <p className="mb-1 fw-semibold">{pick(w.why)}</p>
            <p className="mb-1 small">
              {t("check.excerpt")}: <q>{w.excerpt}</q>
            </p>
            <p className="mb-1 small">
              {t("check.todo")}: {pick(w.todo)}
            </p>
            <p className="mb-1 small text-secondary">{t("check.source", { source: w.source })}</p>
            {acknowledged && onAcknowledge ? (
              <CheckField
                label={t("check.acknowledge")}
                checked={acknowledged.has(w.id)}
                onChange={(e) => onAcknowledge(w.id, e.target.checked)}
              />
            ) : null}
          </li>
        ))}
      </ul>
      <dl className="row small mb-0">
        {readability ? (
          <>
            <dt className="col-sm-5">{t("check.readability")}</dt>
            <dd className="col-sm-7">
              <Badge
                color={readability.gulpease.band === "easy" ? "success" : "warning"}
                className="me-2"
              >
                {t("check.gulpease", { index: readability.gulpease.index })}
              </Badge>
              {pick(readability.gulpease.reading)}
            </dd>
          </>
        ) : null}
        <dt className="col-sm-5">{t("check.schedule")}</dt>
        <dd className="col-sm-7">
          {pick(advice.schedule.startAtLocal)}
          <span className="d-block text-secondary">{pick(advice.schedule.why)}</span>
        </dd>
        <dt className="col-sm-5">{t("check.election")}</dt>
        <dd className="col-sm-7">{pick(advice.election.why)}</dd>
        <dt className="col-sm-5">{t("check.recipients")}</dt>
        <dd className="col-sm-7" data-testid="recipients">
          {check.audience.recipients === 1
            ? t("check.recipientsOne")
            : t("check.recipientsCount", { count: check.audience.recipients })}
        </dd>
        <dt className="col-sm-5">{t("check.cost")}</dt>
        <dd className="col-sm-7" data-testid="cost">
          {pick(check.estimate.total)}
          <span className="d-block text-secondary">{pick(check.estimate.display)}</span>
        </dd>
        {limit ? (
          <>
            <dt className="col-sm-5">{t("check.messagingLimit")}</dt>
            <dd className="col-sm-7" data-testid="messaging-limit">
              {limit.limit === null
                ? t("check.limitNone")
                : limit.later === 0
                  ? t("check.limitAllNow", {
                      now: limit.now,
                      limit: number(limit.limit),
                      spent: number(limit.spentToday),
                    })
                  : t("check.limitLater", {
                      now: limit.now,
                      later: number(limit.later),
                      limit: number(limit.limit),
                      when: date(limit.lastBy),
                    })}
              {check.audience.inWindow > 0 ? (
                <span className="d-block text-secondary">
                  {check.audience.inWindow === 1
                    ? t("check.inWindowOne")
                    : t("check.inWindow", { count: number(check.audience.inWindow) })}
                </span>
              ) : null}
            </dd>
          </>
        ) : null}
      </dl>
    </TitledSection>
  );
}
