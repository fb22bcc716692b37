import type { ReactNode } from "react";
import { useI18n, type MessageKey } from "../i18n";

/**
 * Labelled values as a description list of tiles, each term above its value; the classes give
 * the list, each tile, its term and its value their look.
 */
export function Facts({
  items,
  className,
  tileClassName,
  termClassName,
  valueClassName,
}: {
  items: [MessageKey, ReactNode][];
  className: string;
  tileClassName: string;
  termClassName: string;
  valueClassName: string;
}) {
  const { t } = useI18n();
  return (
    <dl className={className}>
      {items.map(([key, value]) => (
        <div key={key} className={tileClassName}>
          <dt className={termClassName}>{t(key)}</dt>
          <dd className={valueClassName}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
