import { Button } from "design-react-kit";

/** The next page of a server-paged list (a TanStack infinite query), while there is one. */
export function MoreButton({
  list,
  label,
}: {
  list: {
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => Promise<unknown>;
  };
  label: string;
}) {
  if (!list.hasNextPage) return null;
  return (
    <Button
      color="primary"
      outline
      disabled={list.isFetchingNextPage}
      onClick={() => void list.fetchNextPage()}
    >
      {label}
    </Button>
  );
}
