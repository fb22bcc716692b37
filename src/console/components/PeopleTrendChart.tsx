import { useId } from "react";
import { useI18n } from "../i18n";
import { ColumnTable } from "./DataTable";

export interface TrendDay {
  /** YYYY-MM-DD, the comune's calendar day. */
  date: string;
  /** Active subscribers at the end of the day. */
  active: number;
  joined: number;
  left: number;
}

const WIDTH = 480;
const HEIGHT = 200;
const PAD = { top: 16, right: 16, bottom: 34, left: 44 };
/** Bootstrap Italia's primary blue, and greys that keep AA contrast on white. */
const LINE = "#0066cc";
const GRID = "#d9dadb";
const LABEL = { fill: "#5d7083", fontSize: 16 } as const;

/** A day as staff read it on the axis and in the table: "3 dic". */
function shortDay(date: string, lang: string): string {
  return new Intl.DateTimeFormat(lang === "it" ? "it-IT" : "en-GB", {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  }).format(new Date(`${date}T00:00:00Z`));
}

/** Up to four round steps from 0 to at least `max`, e.g. 0, 5, 10, 15. */
function ticksUpTo(max: number): number[] {
  if (max <= 4) return Array.from({ length: Math.max(max, 1) + 1 }, (_, i) => i);
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

/**
 * The active subscribers day by day as an inline SVG line (no chart library), described for
 * screen readers by its title and summary, with the same figures as a table beside it for whoever
 * wants the numbers.
 */
export function PeopleTrendChart({ days }: { days: TrendDay[] }) {
  const { t, lang } = useI18n();
  const id = useId();
  const first = days[0];
  const last = days[days.length - 1];
  if (!first || !last) return null;
  const ticks = ticksUpTo(Math.max(...days.map((d) => d.active)));
  const top = ticks[ticks.length - 1] ?? 1;
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) =>
    PAD.left + (days.length === 1 ? innerW : (i / (days.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / top) * innerH;
  const line = days.map((d, i) => `${x(i).toFixed(1)},${y(d.active).toFixed(1)}`).join(" ");
  const area = `${PAD.left},${y(0)} ${line} ${x(days.length - 1).toFixed(1)},${y(0)}`;
  const labelled = [0, Math.floor((days.length - 1) / 2), days.length - 1];
  const summary = t("people.dashboard.trendSummary", {
    first: first.active,
    from: shortDay(first.date, lang),
    last: last.active,
    to: shortDay(last.date, lang),
  });
  return (
    <figure className="mb-0">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-summary`}
      >
        <title id={`${id}-title`}>{t("people.dashboard.trendCaption")}</title>
        {ticks.map((v) => (
          <g key={v}>
            <line
              x1={PAD.left}
              x2={WIDTH - PAD.right}
              y1={y(v)}
              y2={y(v)}
              stroke={GRID}
              strokeWidth={1}
            />
            <text x={PAD.left - 8} y={y(v) + 4} textAnchor="end" {...LABEL}>
              {v}
            </text>
          </g>
        ))}
        {labelled.map((i) => {
          const d = days[i];
          if (!d) return null;
          const anchor = i === 0 ? "start" : i === days.length - 1 ? "end" : "middle";
          return (
            <text key={d.date} x={x(i)} y={HEIGHT - 8} textAnchor={anchor} {...LABEL}>
              {shortDay(d.date, lang)}
            </text>
          );
        })}
        <polygon points={area} fill={LINE} fillOpacity={0.12} />
        <polyline points={line} fill="none" stroke={LINE} strokeWidth={3} strokeLinejoin="round" />
        <circle cx={x(days.length - 1)} cy={y(last.active)} r={5} fill={LINE} />
      </svg>
      <figcaption id={`${id}-summary`} className="small text-secondary mt-2">
        {summary}
      </figcaption>
      <details className="mt-2">
        <summary className="fw-semibold text-primary">{t("people.dashboard.trendTable")}</summary>
        <ColumnTable
          caption={t("people.dashboard.trendCaption")}
          className="table-sm"
          wrapperClassName="mt-2"
          rows={[...days].reverse()}
          rowKey={(d) => d.date}
          columns={[
            {
              header: t("people.dashboard.day"),
              rowHeader: true,
              cellClassName: "fw-normal text-nowrap",
              cell: (d) => shortDay(d.date, lang),
            },
            { header: t("people.dashboard.active"), align: "end", cell: (d) => d.active },
            { header: t("people.dashboard.joined"), align: "end", cell: (d) => d.joined },
            { header: t("people.dashboard.left"), align: "end", cell: (d) => d.left },
          ]}
        />
      </details>
    </figure>
  );
}
