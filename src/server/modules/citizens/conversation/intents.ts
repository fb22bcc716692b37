import { autoReply } from "./auto-reply.js";
import { data, help, topic, topics } from "./commands.js";
import { cancel, confirm, erase, subscribe, unsubscribe } from "./consent.js";
import type { CitizenCommand } from "../grammar.js";
import type { Turn } from "./turn.js";

/** The commands a citizen may write, one function each. */
const COMMANDS: Record<CitizenCommand, (turn: Turn) => string | Promise<string>> = {
  help,
  topics,
  data,
  erase,
};

/**
 * Does what the message asks, one function per intent; returns a short name of what was done
 * (for the log).
 */
export async function perform(turn: Turn): Promise<string> {
  const { action } = turn;
  switch (action.action) {
    case "subscribe":
      return subscribe(turn, action);
    case "confirm":
      return confirm(turn);
    case "cancel":
      return cancel(turn);
    case "unsubscribe":
      return unsubscribe(turn);
    case "command":
      return COMMANDS[action.command](turn);
    case "topic":
      return topic(turn, action.topicId);
    case "ignore":
      return "ignored";
    case "other":
      return autoReply(turn);
  }
}
