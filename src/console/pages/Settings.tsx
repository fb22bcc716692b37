import { useI18n } from "../i18n";
import type { SectionProps } from "../sections";

export function SettingsPage(_props: SectionProps) {
  const { t } = useI18n();
  return <p>{t("settings.placeholder")}</p>;
}
