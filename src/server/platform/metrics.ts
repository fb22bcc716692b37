import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics, one registry per app (tests build many apps in one process; the global
 * registry would collide). Parts of the system add their own metrics to `registry`.
 */
export interface Metrics {
  registry: Registry;
  httpRequestDuration: Histogram<"method" | "route" | "status_code">;
  tenantsLoaded: Gauge;
  /** Webhook events for a phone-number id no comune has. */
  unknownPhoneNumber: Counter;
  /** Webhook events not stored because their sender was over its limit (whatsapp/webhook-limits). */
  webhookEventsDropped: Counter<"kind" | "reason">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "banditore_" });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: "banditore_http_request_duration_seconds",
      help: "HTTP requests by route template and status",
      labelNames: ["method", "route", "status_code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    tenantsLoaded: new Gauge({
      name: "banditore_tenants_loaded",
      help: "Comuni loaded from config/tenants",
      registers: [registry],
    }),
    unknownPhoneNumber: new Counter({
      name: "banditore_webhook_unknown_phone_number_total",
      help: "Webhook events addressed to a phone-number id no comune is configured with",
      registers: [registry],
    }),
    webhookEventsDropped: new Counter({
      name: "banditore_webhook_events_dropped_total",
      help: "Webhook events acknowledged but not stored, by kind and reason (sender_limit)",
      labelNames: ["kind", "reason"],
      registers: [registry],
    }),
  };
}
