import type { Tenant } from "../../../config/tenants.js";
import { recordAudit } from "../../audit/audit.service.js";
import { changeSubscriber } from "../citizens.repository.js";
import { topicsList, type Turn } from "./turn.js";

/**
 * The commands besides consent: AIUTO, ARGOMENTI and a tapped topic, DATI (its document is
 * uploaded before the transaction: message.ts). Each returns a short name of what was done.
 */

export function help(turn: Turn): string {
  turn.say("help", { topics: turn.row.topics });
  return "help";
}

export function topics(turn: Turn): string {
  if (turn.row.status !== "active") {
    turn.say("subscribeFirst");
    return "topics (not subscribed)";
  }
  if (turn.tenant.topics.length === 0) {
    turn.say("topicsNone");
    return "topics (none)";
  }
  turn.push(topicsList(turn));
  return "topics list";
}

/** A row of the topics list tapped: adds or removes that topic. */
export async function topic(turn: Turn, topicId: string): Promise<string> {
  const { row, now } = turn;
  if (row.status !== "active") {
    turn.say("subscribeFirst");
    return "topic (not subscribed)";
  }
  const chosen = toggleTopic(turn.tenant, row.topics, topicId);
  await changeSubscriber(turn.trx, row.id, { topics: chosen, updatedAt: now });
  turn.say("topicsChosen", { topics: chosen });
  return "topic toggled";
}

/** DATI: the introduction (the document follows it) and the export's audit entry. */
export async function data(turn: Turn): Promise<string> {
  const { tenant, row } = turn;
  turn.say("dataIntro", { topics: row.topics });
  await recordAudit(
    turn.trx,
    {
      tenantId: tenant.slug,
      actor: { type: "citizen" },
      action: "subscriber.export",
      target: { type: "subscriber", id: String(row.id) },
      summary: { channel: "whatsapp" },
    },
    turn.now,
  );
  return "data";
}

function toggleTopic(tenant: Tenant, current: string[], topicId: string): string[] {
  if (topicId === "*") return [];
  if (!tenant.topics.some((t) => t.id === topicId)) return current;
  const chosen = new Set(current.filter((id) => tenant.topics.some((t) => t.id === id)));
  if (chosen.has(topicId)) chosen.delete(topicId);
  else chosen.add(topicId);
  // In the comune's order; none chosen means every topic.
  return tenant.topics.map((t) => t.id).filter((id) => chosen.has(id));
}
