import { AppError, notFound, type FieldProblem } from "../../platform/errors.js";
import {
  INSTANCE_PERMISSIONS,
  unauthorized,
  type Actor,
  type Permission,
  type Principal,
} from "../../platform/http/access.js";
import { recordAudit } from "../audit/audit.service.js";
import {
  findActiveApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
  type ApiKeyRow,
} from "./api-keys.repository.js";
import { API_KEY_PREFIX, newToken, tokenHash } from "./secrets.js";
import { StaffService, type StaffServiceOptions } from "./staff-service.js";

/** last_used_at is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

/** Permissions an API key may never hold: managing people and keys is for people. */
const PERMISSIONS_NOT_FOR_KEYS: ReadonlySet<Permission> = new Set([
  "users.manage",
  "apikeys.manage",
  ...INSTANCE_PERMISSIONS,
]);

export type ApiKeysOptions = StaffServiceOptions;

/**
 * A comune's API keys, for its machines: listing, creating and revoking them, and the
 * principal of a request that carries one (`Authorization: Bearer bnd_…`).
 */
export class ApiKeys extends StaffService<ApiKeysOptions> {
  /** An API key's principal: its permissions, in its comune only. */
  async authenticate(token: string): Promise<Principal> {
    const key = await findActiveApiKey(this.db, tokenHash(token));
    if (!key) throw unauthorized();
    const now = this.now();
    if (key.lastUsedAt === null || now - key.lastUsedAt >= TOUCH_EVERY_MS) {
      await touchApiKey(this.db, key.id, now);
    }
    const granted = new Set(key.permissions as Permission[]);
    const none: ReadonlySet<Permission> = new Set();
    return {
      actor: { type: "api-key", id: String(key.id) },
      instanceAdmin: false,
      permissionsIn: (t) => (t === key.tenantId ? granted : none),
    };
  }

  /** Every key of the comune, revoked ones included (never the keys themselves). */
  async list(tenantId: string): Promise<ApiKeyRow[]> {
    return listApiKeys(this.db, tenantId);
  }

  /**
   * A key for a machine of the comune, with some of the creator's own permissions (never more)
   * and never the management of people or keys. The key is returned once; only its hash stays.
   */
  async create(input: {
    tenantId: string;
    name: string;
    permissions: readonly Permission[];
    creator: Principal;
  }): Promise<{ key: string; row: ApiKeyRow }> {
    const now = this.now();
    const permissions = [...new Set(input.permissions)];
    const notForKeys = permissions.filter((p) => PERMISSIONS_NOT_FOR_KEYS.has(p));
    if (notForKeys.length) {
      throw new AppError(
        400,
        "VALIDATION_FAILED",
        "Richiesta non valida",
        permissionProblems(notForKeys, "non può essere dato a una chiave API"),
      );
    }
    const held = input.creator.permissionsIn(input.tenantId);
    const missing = permissions.filter((p) => !held.has(p));
    if (missing.length) {
      throw new AppError(
        403,
        "PERMISSION_NOT_HELD",
        "Una chiave API può avere solo permessi che si possiedono",
        permissionProblems(missing, "non è tra i propri permessi"),
      );
    }
    const key = newToken(API_KEY_PREFIX);
    return this.db.transaction().execute(async (trx) => {
      const row = await insertApiKey(
        trx,
        {
          tenantId: input.tenantId,
          name: input.name,
          tokenHash: tokenHash(key),
          tokenPrefix: key.slice(0, API_KEY_PREFIX.length + 6),
          permissions,
          createdBy: actorLabel(input.creator.actor),
        },
        now,
      );
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.creator.actor,
          action: "apikey.created",
          target: { type: "api-key", id: String(row.id) },
          summary: { name: input.name, permissions },
        },
        now,
      );
      return { key, row };
    });
  }

  /** Revokes a key of the comune: it stops working at once; 404 when the comune has none such. */
  async revoke(input: { tenantId: string; keyId: number; actor: Actor }): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      if (!(await revokeApiKey(trx, input.tenantId, input.keyId, now)))
        throw notFound("Chiave API non trovata", "API key not found");
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          actor: input.actor,
          action: "apikey.revoked",
          target: { type: "api-key", id: String(input.keyId) },
        },
        now,
      );
    });
  }
}

/** How a key's creator is written in `created_by`: "user:12", "admin-token". */
function actorLabel(actor: Actor): string {
  return actor.id === undefined ? actor.type : `${actor.type}:${actor.id}`;
}

/** One problem of `body.permissions` per permission: `"<permission>" <problem>`. */
function permissionProblems(permissions: readonly Permission[], problem: string): FieldProblem[] {
  return permissions.map((p) => ({ field: "body.permissions", problem: `"${p}" ${problem}` }));
}
