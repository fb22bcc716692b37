/**
 * The audit log as other modules use it: record an action in the transaction that makes it.
 * See audit.repository.ts for the hash chain.
 */
export { appendAudit as recordAudit, type AuditEntry } from "./audit.repository.js";
