import type { Db } from "../../platform/db/schema.js";
import {
  findPublicBroadcast,
  listPublicBroadcasts,
  publicBroadcastFile,
  type PublicBroadcast,
  type PublicBroadcastFilter,
} from "./public-broadcasts.repository.js";

export type { PublicBroadcast, PublicBroadcastFilter };

/**
 * The broadcasts the public pages may show (the public module reads them through here): marked
 * public and gone out, with nothing about who wrote or approved them.
 */
export interface PublicArchive {
  page(
    tenantId: string,
    filter: PublicBroadcastFilter & { offset: number; limit: number },
  ): Promise<{ items: PublicBroadcast[]; total: number }>;
  find(tenantId: string, id: number): Promise<PublicBroadcast | undefined>;
  file(
    tenantId: string,
    id: number,
  ): Promise<{ mimeType: string; filename: string | null; bytes: Buffer } | undefined>;
}

export function publicArchive(db: Db): PublicArchive {
  return {
    page: (tenantId, filter) => listPublicBroadcasts(db, tenantId, filter),
    find: (tenantId, id) => findPublicBroadcast(db, tenantId, id),
    file: (tenantId, id) => publicBroadcastFile(db, tenantId, id),
  };
}
