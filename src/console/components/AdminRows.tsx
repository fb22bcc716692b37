import type { ReactNode } from "react";
import { AdminProblem } from "./AdminProblem";
import { Loading } from "./Loading";

/**
 * A list of the admin pages as its query stands: its refusal, then the wait (keeping the room
 * the list will take), the sentence that says there is nothing, or the rows.
 */
export function AdminRows({
  query,
  count,
  minHeight,
  empty,
  children,
}: {
  query: { error: unknown; isPending: boolean };
  /** How many rows there are. */
  count: number;
  minHeight: string;
  /** Said when there is no row. */
  empty: string;
  children: ReactNode;
}) {
  return (
    <>
      <AdminProblem error={query.error} />
      {query.isPending ? (
        <Loading minHeight={minHeight} />
      ) : count === 0 ? (
        <p>{empty}</p>
      ) : (
        children
      )}
    </>
  );
}
