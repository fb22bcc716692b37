import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.js";
import { broadcastStates } from "./broadcast-delivery.repository.js";
import {
  sendableContent,
  type BroadcastContent,
  type HeaderMedia,
  type SendableContent,
} from "./broadcast-content.js";
import { ErrorBudget } from "./error-budget.js";

/**
 * What one dispatcher knows of the broadcasts whose rows it sends: each one's status and content
 * as last read (refreshed every 250 ms, and at once for a change made in this process), its error
 * budget, and the needs-attention stops not yet written. In memory only: the database stays the
 * truth, and a row is claimed only while its broadcast is sending there.
 */
export class KnownBroadcasts {
  private readonly statuses = new Map<number, string>();
  private readonly contents = new Map<number, SendableContent>();
  private readonly budgets = new Map<number, ErrorBudget>();
  private readonly attention = new Map<number, string>();

  /**
   * `mediaIdOf`: the sender number's Cloud API id for a stored file (uploaded when it has none or
   * its id expired), or the reason it could not get one. Absent: content with a stored file
   * cannot be sent (the broadcast stops in needs attention).
   */
  constructor(
    private readonly db: Kysely<DB>,
    private readonly mediaIdOf?: (
      media: HeaderMedia,
    ) => Promise<{ ok: true; id: string } | { ok: false; reason: string }>,
  ) {}

  status(broadcastId: number): string | undefined {
    return this.statuses.get(broadcastId);
  }

  isKnown(broadcastId: number): boolean {
    return this.statuses.has(broadcastId);
  }

  hasContent(broadcastId: number): boolean {
    return this.contents.has(broadcastId);
  }

  content(broadcastId: number): SendableContent | undefined {
    return this.contents.get(broadcastId);
  }

  /** Reads the status and content of the broadcasts among `ids` it does not know yet. */
  async load(ids: readonly number[]): Promise<void> {
    const needed = [...new Set(ids)].filter(
      (id) => !this.contents.has(id) || !this.statuses.has(id),
    );
    for (const [id, broadcast] of await broadcastStates(this.db, needed)) {
      if (!this.statuses.has(id)) this.statuses.set(id, broadcast.status);
      if (!this.contents.has(id)) {
        const message = await this.messageOf(id, JSON.parse(broadcast.content) as BroadcastContent);
        if (message) this.contents.set(id, message);
      }
    }
  }

  /**
   * The message of a broadcast's content; for a stored file in its header, with this number's id
   * of it. Without one the broadcast stops, with the reason, rather than send rows that would
   * all fail (or come back to the queue again and again).
   */
  private async messageOf(
    broadcastId: number,
    content: BroadcastContent,
  ): Promise<SendableContent | undefined> {
    if (!content.headerMedia) return sendableContent(content, undefined);
    const got = this.mediaIdOf
      ? await this.mediaIdOf(content.headerMedia)
      : { ok: false as const, reason: "no media uploads in this process" };
    if (got.ok) return sendableContent(content, got.id);
    this.needsAttention(
      broadcastId,
      `Il file allegato non si è potuto caricare su WhatsApp (${got.reason}): riprendi l'invio per riprovare.`,
    );
    return undefined;
  }

  /** Reads every known broadcast's status again; forgets those that are gone. */
  async refresh(): Promise<void> {
    const fresh = await broadcastStates(this.db, [...this.statuses.keys()]);
    for (const [id, { status }] of fresh) this.setStatus(id, status);
    for (const id of this.statuses.keys()) if (!fresh.has(id)) this.statuses.delete(id);
  }

  setStatus(broadcastId: number, status: string): void {
    const before = this.statuses.get(broadcastId);
    this.statuses.set(broadcastId, status);
    if (status !== "sending" || before !== "sending") {
      // Stopped, or resumed: its content may have been fixed meanwhile; read it again.
      this.contents.delete(broadcastId);
      if (status !== "sending") this.budgets.delete(broadcastId);
    }
  }

  budgetOf(broadcastId: number): ErrorBudget {
    let budget = this.budgets.get(broadcastId);
    if (!budget) this.budgets.set(broadcastId, (budget = new ErrorBudget()));
    return budget;
  }

  /** Stops a sending broadcast here at once; the stop is written at the next flush. */
  needsAttention(broadcastId: number, reason: string): void {
    // Requests sent before the first failure answer after it: one stop is enough, and a later
    // answer must not stop the broadcast again once someone has resumed it.
    if (this.statuses.get(broadcastId) !== "sending") return;
    this.attention.set(broadcastId, reason);
    this.setStatus(broadcastId, "needs_attention");
  }

  /** The stops to write, handed over once; `restoreStops` puts them back if the write failed. */
  takeStops(): [number, string][] {
    const stops = [...this.attention];
    this.attention.clear();
    return stops;
  }

  restoreStops(stops: readonly [number, string][]): void {
    for (const [id, reason] of stops) this.attention.set(id, reason);
  }
}
