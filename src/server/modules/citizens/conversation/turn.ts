import type { Transaction } from "kysely";
import type { Tenant } from "../../../config/tenants.js";
import type { DB } from "../../../platform/db/schema.js";
import type { OutboundMessage } from "../../whatsapp/types.js";
import type { InboundMessage } from "../../whatsapp/webhook-events.js";
import type { Subscriber } from "../citizens.repository.js";
import type { CitizensOptions } from "../options.js";
import type { RenamedMessage } from "../pseudonymise.js";
import { LABELS, render, topicLabel, type Locale, type TextKey } from "../texts.js";
import { ALL_TOPICS_ID, TOPIC_PREFIX, type Action } from "./read.js";

/**
 * One turn of the conversation: a citizen's message, read, acted on inside its transaction, and
 * the replies it gets (queued in the same transaction). The intents (intents.ts) share it.
 */

export type ConversationOptions = Omit<CitizensOptions, "tenants">;

export type TextChoice = TextKey | "autoReply+outsideHours";
export type Say = (key: TextChoice, extra?: { topics?: string[] }) => void;

/** What an intent did beyond its replies, for after the commit. */
export interface Effects {
  /** The person's data was erased: the pseudonym the confirmation gets once it has left. */
  pseudonym?: string;
  /** Messages pseudonymised, whose statuses are looked for again after the commit. */
  renamed?: RenamedMessage[];
}

export interface Turn {
  trx: Transaction<DB>;
  options: ConversationOptions;
  tenant: Tenant;
  /** The person's row, with this message's bookkeeping. */
  row: Subscriber;
  message: InboundMessage;
  action: Action;
  /** The configured keyword the text asked with: all the ledger keeps of it. */
  keyword: string | undefined;
  now: number;
  locale: Locale;
  /** Replies with one of the comune's texts. */
  say: Say;
  push: (message: OutboundMessage) => void;
  effects: Effects;
}

/** Meta: at most 10 rows in a list message, titles ≤ 24 characters, descriptions ≤ 72. */
const MAX_LIST_ROWS = 10;

/** The comune's text `key` for `row` (by default the turn's: its name and topics). */
export function textFor(
  turn: Pick<Turn, "options" | "tenant" | "locale" | "row">,
  key: TextChoice,
  row: Pick<Subscriber, "firstName" | "profileName" | "topics"> = turn.row,
  extra: { topics?: string[] } = {},
): string {
  const { tenant, locale } = turn;
  const p = {
    publicBaseUrl: turn.options.publicBaseUrl,
    locale,
    name: row.firstName ?? row.profileName,
    topics: extra.topics ?? row.topics,
  };
  if (key === "autoReply+outsideHours")
    return `${render(tenant, "autoReply", p)}\n\n${render(tenant, "outsideHours", p)}`;
  return render(tenant, key, p);
}

/** ARGOMENTI: the comune's topics as a list, the chosen ones marked. */
export function topicsList(turn: Turn): OutboundMessage {
  const { tenant, locale, row } = turn;
  const chosen = row.topics;
  const topics = tenant.topics.slice(0, MAX_LIST_ROWS - 1);
  if (topics.length < tenant.topics.length) {
    turn.options.log.warn(
      { event: "citizens.topics_truncated", tenant: tenant.slug, topics: tenant.topics.length },
      `WhatsApp lists show at most ${MAX_LIST_ROWS} rows: only the first ${topics.length} topics are offered`,
    );
  }
  const mark = locale === "en" ? "✓ chosen" : "✓ scelto";
  return {
    type: "list",
    body: textFor(turn, "topicsPrompt"),
    buttonLabel: render(tenant, "topicsButton", {
      publicBaseUrl: turn.options.publicBaseUrl,
      locale,
    }),
    sections: [
      {
        rows: [
          ...topics.map((t) => ({
            id: `${TOPIC_PREFIX}${t.id}`,
            title: truncate(topicLabel(tenant, t.id, locale), 24),
            ...(chosen.includes(t.id) ? { description: mark } : {}),
          })),
          {
            id: ALL_TOPICS_ID,
            title: LABELS[locale].allTopicsRow,
            ...(chosen.length === 0 ? { description: mark } : {}),
          },
        ],
      },
    ],
  };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
