import type { CSSProperties, HTMLAttributes, Key, ReactNode } from "react";

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

/**
 * One column of a {@link ColumnTable}: its heading, the classes its heading and its cells share
 * (alignment, the breakpoint it shows at), and how a row's cell is drawn.
 */
export type TableColumn<Row> = {
  header: ReactNode;
  /** Numbers stand at the right of the column, heading and cells. */
  align?: "end";
  /** The column shows from this screen width up: a phone leaves it out. */
  from?: "sm" | "md" | "lg";
  /** Further classes on the heading and on every cell of the column. */
  className?: string;
  /** Classes on the cells only, after the shared ones. */
  cellClassName?: string;
  /** The heading's style: a width. */
  style?: CSSProperties;
  /** The cell names its row: a <th scope="row">. */
  rowHeader?: boolean;
  cell: (row: Row) => ReactNode;
};

/**
 * A {@link DataTable} drawn from a list of columns: each column's heading, classes and cell
 * together, so that a column is added, hidden or moved in one place.
 */
export function ColumnTable<Row>({
  columns,
  rows,
  rowKey,
  rowTestId,
  rowProps,
  ...table
}: Omit<Parameters<typeof DataTable>[0], "columns" | "children"> & {
  /** Falsy columns are left out: those the person's permissions do not give. */
  columns: (TableColumn<Row> | false | null | undefined)[];
  rows: readonly Row[];
  rowKey: (row: Row) => Key;
  /** The rows' data-testid: one for all, or each row's own. */
  rowTestId?: string | ((row: Row) => string);
  /** Further attributes of a row's <tr>: a class that marks it, a data attribute. */
  rowProps?: (row: Row) => HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string>;
}) {
  const shown = columns.filter((c): c is TableColumn<Row> => Boolean(c));
  const shared = (c: TableColumn<Row>) =>
    classes(c.align && `text-${c.align}`, c.from && `d-none d-${c.from}-table-cell`, c.className);
  return (
    <DataTable
      {...table}
      columns={shown.map((c) =>
        shared(c) || c.style
          ? { label: c.header, className: shared(c) || undefined, style: c.style }
          : c.header,
      )}
    >
      {rows.map((row) => (
        <tr
          key={rowKey(row)}
          data-testid={typeof rowTestId === "function" ? rowTestId(row) : rowTestId}
          {...rowProps?.(row)}
        >
          {shown.map((c, i) => {
            const className = classes(shared(c), c.cellClassName) || undefined;
            return c.rowHeader ? (
              <th key={i} scope="row" className={className}>
                {c.cell(row)}
              </th>
            ) : (
              <td key={i} className={className}>
                {c.cell(row)}
              </td>
            );
          })}
        </tr>
      ))}
    </DataTable>
  );
}
