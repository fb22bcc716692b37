import { Alert } from "design-react-kit";
import { ApiError } from "../api/client";
import { useI18n } from "../i18n";

/** A refusal to say, and the fields the form already says their problems under. */
export interface ErrorAlertProps {
  error: unknown;
  shownFields?: string[];
}

/**
 * A refusal that concerns no single field (or fields this form does not show), in the user's
 * language: the API's own message, with its field problems listed.
 */
export function ErrorAlert({ error, shownFields = [] }: ErrorAlertProps) {
  const { t } = useI18n();
  if (!error) return null;
  if (!(error instanceof ApiError)) return <Alert color="danger">{t("app.genericError")}</Alert>;
  if (error.code === "NETWORK") return <Alert color="danger">{t("app.networkError")}</Alert>;
  const others = error.details.filter(
    (d) => !shownFields.some((f) => d.field === `body.${f}` || d.field === f),
  );
  // Every problem is next to its field already: the form says it there.
  if (error.code === "VALIDATION_FAILED" && others.length === 0) return null;
  return (
    <Alert color="danger">
      <p className="mb-1">{error.message || t("app.genericError")}</p>
      {others.length ? (
        <ul className="mb-0">
          {others.map((d) => (
            <li key={d.field}>{d.problem}</li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}
