import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Prometheus metrics of the dispatcher, registered on the app's registry. */
export interface DispatchMetrics {
  sends: Counter<"tenant" | "outcome" | "code">;
  sendLatency: Histogram;
  inFlight: Gauge<"tenant">;
  queueDepth: Gauge<"tenant">;
  currentRate: Gauge<"tenant">;
  tierBudgetLeft: Gauge<"tenant">;
}

export function createDispatchMetrics(registry: Registry): DispatchMetrics {
  return {
    sends: new Counter({
      name: "banditore_dispatch_sends_total",
      help: "Send attempts by outcome (accepted, retry, fail, halt) and Meta error code",
      labelNames: ["tenant", "outcome", "code"],
      registers: [registry],
    }),
    sendLatency: new Histogram({
      name: "banditore_dispatch_send_seconds",
      help: "Time from request to the Cloud API's answer, for accepted sends",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "banditore_dispatch_in_flight",
      help: "Requests on the wire, per comune",
      labelNames: ["tenant"],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "banditore_dispatch_queue_depth",
      help: "Outbound messages queued, per comune",
      labelNames: ["tenant"],
      registers: [registry],
    }),
    currentRate: new Gauge({
      name: "banditore_dispatch_rate_per_second",
      help: "The rate the dispatcher allows itself now (adaptive below the number's cap)",
      labelNames: ["tenant"],
      registers: [registry],
    }),
    tierBudgetLeft: new Gauge({
      name: "banditore_dispatch_tier_budget_left",
      help: "Unique recipients left in the messaging-limit tier's rolling 24 hours (-1: unlimited)",
      labelNames: ["tenant"],
      registers: [registry],
    }),
  };
}
