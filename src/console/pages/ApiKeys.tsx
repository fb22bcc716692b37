import { useI18n } from "../i18n";
import type { SectionProps } from "../sections";

export function ApiKeysPage(_props: SectionProps) {
  const { t } = useI18n();
  return <p>{t("admin.placeholder")}</p>;
}
