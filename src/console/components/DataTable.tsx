import type { CSSProperties, ReactNode } from "react";

/** A column's heading: its text, or the text and the classes that align it or hide it on a phone. */
export type Column = ReactNode | { label: ReactNode; className?: string; style?: CSSProperties };

/** Falsy columns are left out: those the person's permissions do not give. */
type Columns = (Column | false | null | undefined)[];

function isLabelled(
  column: Column,
): column is { label: ReactNode; className?: string; style?: CSSProperties } {
  return typeof column === "object" && column !== null && "label" in column;
}

const classes = (...names: (string | undefined)[]) => names.filter(Boolean).join(" ");

/**
 * A table of the console in Bootstrap Italia's markup: scrolled sideways inside its own box on a
 * narrow screen, a caption (for screen readers only, unless shown above), a row of column
 * headings, and the rows the caller gives.
 */
export function DataTable({
  caption,
  captionTop = false,
  columns,
  className,
  wrapperClassName,
  testId,
  children,
}: {
  caption: ReactNode;
  /** The caption shown above the table, not only read out. */
  captionTop?: boolean;
  columns: Columns;
  /** Classes beside "table": "align-middle", "table-sm", … */
  className?: string;
  /** Classes beside "table-responsive": spacing, the breakpoint it shows at. */
  wrapperClassName?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <div className={classes("table-responsive", wrapperClassName)}>
      <table className={classes("table", className)} data-testid={testId}>
        <caption className={captionTop ? "caption-top" : "visually-hidden"}>{caption}</caption>
        <thead>
          <tr>
            {columns
              .filter((c) => c !== false && c !== null && c !== undefined)
              .map((c, i) =>
                isLabelled(c) ? (
                  <th key={i} scope="col" className={c.className} style={c.style}>
                    {c.label}
                  </th>
                ) : (
                  <th key={i} scope="col">
                    {c}
                  </th>
                ),
              )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
