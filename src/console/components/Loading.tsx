import { Spinner } from "design-react-kit";
import { useI18n } from "../i18n";

/** A placeholder that keeps the page's height while data loads (no layout shift). */
export function Loading({ minHeight = "60vh" }: { minHeight?: string }) {
  const { t } = useI18n();
  return (
    <div
      className="d-flex align-items-center justify-content-center"
      style={{ minHeight }}
      role="status"
    >
      <Spinner active small />
      <span className="ms-3">{t("app.loading")}</span>
    </div>
  );
}
