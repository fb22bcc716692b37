import { useInfiniteQuery, type InfiniteData, type QueryKey } from "@tanstack/react-query";

/** Where a page starts: nothing for the first, then `before` the last item shown. */
export type PageStart = { before?: number };

/**
 * A list the server pages, newest first (a TanStack infinite query): each page is asked for with
 * the start to spread into its query, and the last page says where the next one starts (none:
 * the list is complete). The MoreButton asks for the next page.
 */
export function usePages<Page>({
  queryKey,
  fetchPage,
  nextStart,
  keepPrevious = false,
}: {
  queryKey: QueryKey;
  fetchPage: (start: PageStart) => Promise<Page>;
  nextStart: (last: Page) => number | null | undefined;
  /** While a changed query loads, the rows of the previous one stay (a filter being changed). */
  keepPrevious?: boolean;
}) {
  return useInfiniteQuery<Page, Error, InfiniteData<Page>, QueryKey, number | undefined>({
    queryKey,
    initialPageParam: undefined,
    queryFn: ({ pageParam }) => fetchPage(pageParam === undefined ? {} : { before: pageParam }),
    getNextPageParam: (last) => nextStart(last) ?? undefined,
    ...(keepPrevious ? { placeholderData: (previous) => previous } : {}),
  });
}
