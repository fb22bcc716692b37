import { useI18n } from "../i18n";
import type { SectionProps } from "../sections";

export function SubscribersPage(_props: SectionProps) {
  const { t } = useI18n();
  return <p>{t("people.placeholder")}</p>;
}
