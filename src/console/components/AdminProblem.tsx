import { Alert } from "design-react-kit";
import { ApiError } from "../api/client";
import { lookup, useI18n } from "../i18n";
import { ErrorAlert, type ErrorAlertProps } from "./ErrorAlert";

/**
 * A refusal of an admin action, said next to what it concerns: the refusals these pages expect
 * (a person managed by another comune, the last owner, …) in the catalogue's words and the
 * user's language, any other through ErrorAlert (the API's own message and field problems).
 */
export function AdminProblem(props: ErrorAlertProps) {
  const { error } = props;
  const { lang } = useI18n();
  if (!error) return null;
  if (error instanceof ApiError) {
    const known = lookup(lang, `admin.errors.${error.code}`);
    if (known) {
      return (
        <Alert color="danger" role="alert">
          {known}
        </Alert>
      );
    }
  }
  return <ErrorAlert {...props} />;
}
