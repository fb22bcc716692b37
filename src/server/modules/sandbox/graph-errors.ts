import { newFbtraceId } from "./ids.js";

/**
 * Meta's Graph API errors, as the sandbox produces them. Titles and details follow Meta's error
 * code page (docs/whatsapp-cloud-api.md §4); where Meta does not confirm a code, the builder
 * says so.
 */
export interface MetaError {
  /** Meta answers most refusals with HTTP 400: clients must branch on `code`, not on this. */
  httpStatus: number;
  code: number;
  subcode?: number;
  title: string;
  details: string;
}

/** The synchronous error body (docs/whatsapp-cloud-api.md §4.1). */
export interface MetaErrorBody {
  error: {
    message: string;
    type: "OAuthException";
    code: number;
    error_subcode?: number;
    error_data: { messaging_product: "whatsapp"; details: string };
    fbtrace_id: string;
  };
}

/** The asynchronous form, in `statuses[].errors` (docs/whatsapp-cloud-api.md §3.4). */
export interface MetaAsyncError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
}

export function metaErrorBody(error: MetaError): MetaErrorBody {
  return {
    error: {
      message: `(#${error.code}) ${error.title}`,
      type: "OAuthException",
      code: error.code,
      ...(error.subcode === undefined ? {} : { error_subcode: error.subcode }),
      error_data: { messaging_product: "whatsapp", details: error.details },
      fbtrace_id: newFbtraceId(),
    },
  };
}

export function asyncError(error: MetaError): MetaAsyncError {
  return {
    code: error.code,
    title: error.title,
    message: error.title,
    error_data: { details: error.details },
  };
}

const err = (httpStatus: number, code: number, title: string, details: string): MetaError => ({
  httpStatus,
  code,
  title,
  details,
});

export const metaErrors = {
  missingToken: () =>
    err(401, 0, "Authentication Error", "An access token is required to request this resource."),
  invalidToken: () =>
    err(
      401,
      190,
      "Invalid OAuth access token",
      "Invalid OAuth access token - Cannot parse access token",
    ),
  /** Meta's answer for an id that does not exist or the token cannot see. */
  unknownObject: (id: string, method: "get" | "post" | "delete"): MetaError => ({
    ...err(
      400,
      100,
      `Unsupported ${method} request`,
      `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    ),
    subcode: 33,
  }),
  invalidParameter: (details: string) => err(400, 100, "Invalid parameter", details),
  unsupportedType: (type: string) =>
    err(
      400,
      131051,
      "Unsupported message type",
      `Message type ${type} is not currently supported.`,
    ),
  reEngagement: () =>
    err(
      400,
      131047,
      "Re-engagement message",
      "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    ),
  templateNotFound: (name: string, language: string) =>
    err(
      400,
      132001,
      "Template name does not exist in the translation",
      `template name (${name}) does not exist in ${language}`,
    ),
  templatePaused: (name: string) =>
    err(400, 132015, "Template is Paused", `Template ${name} is paused due to low quality.`),
  templateDisabled: (name: string) =>
    err(400, 132016, "Template is Disabled", `Template ${name} has been disabled.`),
  parameterCount: (details: string) =>
    err(400, 132000, "Number of parameters does not match the expected number of params", details),
  parameterFormat: (details: string) =>
    err(400, 132012, "Parameter format does not match format in the created template", details),
  parameterContent: () =>
    err(
      400,
      132018,
      "There was an issue with the parameters in your template.",
      "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
    ),
  /**
   * docs/whatsapp-cloud-api.md §1b, §4.2: 130403 "you blocked the user"; the exact title is a best
   * guess.
   */
  blockedRecipient: () =>
    err(400, 130403, "Recipient blocked", "You blocked this user: unblock them to message them."),
  throughput: () =>
    err(400, 130429, "Rate limit hit", "Cloud API message throughput has been reached."),
  pairRate: () =>
    err(
      400,
      131056,
      "(Business Account, Consumer Account) pair rate limit hit",
      "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
    ),
  /**
   * Best guess: Meta does not say which code a send beyond the messaging limit gets;
   * 131048 ("spam rate limit hit") is the code Meta documents for restrictions on how many
   * messages a number may send.
   */
  messagingLimit: (limit: number) =>
    err(
      400,
      131048,
      "Spam rate limit hit",
      `Messaging limit reached: this business may message at most ${limit} unique users outside a customer service window in a rolling 24 hours.`,
    ),
  undeliverable: () =>
    err(
      400,
      131026,
      "Message undeliverable",
      "Unable to deliver message. The recipient may not be on WhatsApp or may not have accepted the terms of service.",
    ),
  media: (details: string) => err(400, 131053, "Media upload error", details),
  serviceUnavailable: () =>
    err(
      500,
      131016,
      "Service unavailable",
      "A service is temporarily unavailable. Please try again later.",
    ),
  unknownError: () =>
    err(
      500,
      1,
      "An unknown error occurred",
      "An unknown error occurred. Please retry your request later.",
    ),
} as const;
