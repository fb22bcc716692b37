import { autoReply } from "./auto-reply.js";
import { data, help, topic, topics } from "./commands.js";
import { cancel, confirm, erase, subscribe, unsubscribe } from "./consent.js";
import type { Turn } from "./turn.js";

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
      switch (action.command) {
        case "help":
          return help(turn);
        case "topics":
          return topics(turn);
        case "data":
          return data(turn);
        case "erase":
          return erase(turn);
      }
      return "unknown command";
    case "topic":
      return topic(turn, action.topicId);
    case "ignore":
      return "ignored";
    case "other":
      return autoReply(turn);
  }
}
