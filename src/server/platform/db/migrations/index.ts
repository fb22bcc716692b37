import type { Migration } from "kysely";
import * as initial from "./0001-initial.js";
import * as dispatch from "./0002-dispatch.js";
import * as outboundIndexes from "./0003-outbound-indexes.js";
import * as access from "./0004-access.js";
import * as citizens from "./0005-citizens.js";
import * as consentEventsByTime from "./0006-consent-events-by-time.js";
import * as loginThrottle from "./0007-login-throttle.js";
import * as erasure from "./0008-erasure.js";
import * as inboundPriority from "./0009-inbound-priority.js";
import * as auditKeyed from "./0010-audit-keyed.js";
import * as dispatchRestart from "./0011-dispatch-restart.js";
import * as broadcastPublic from "./0012-broadcast-public.js";
import * as broadcastApprovalCheck from "./0013-broadcast-approval-check.js";
import * as media from "./0014-media.js";
import * as templates from "./0015-templates.js";
import * as freeFormWindow from "./0016-free-form-window.js";
import * as tenantSettingVersions from "./0017-tenant-setting-versions.js";
import * as broadcastExpansion from "./0018-broadcast-expansion.js";
import * as claimSequences from "./0019-claim-sequences.js";

/**
 * Every migration, in order. Listed here rather than read from the folder, so the same list
 * works from `src/` (tests) and `dist/` (production) and a missing file fails the type check.
 */
export const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-dispatch": dispatch,
  "0003-outbound-indexes": outboundIndexes,
  "0004-access": access,
  "0005-citizens": citizens,
  "0006-consent-events-by-time": consentEventsByTime,
  "0007-login-throttle": loginThrottle,
  "0008-erasure": erasure,
  "0009-inbound-priority": inboundPriority,
  "0010-audit-keyed": auditKeyed,
  "0011-dispatch-restart": dispatchRestart,
  "0012-broadcast-public": broadcastPublic,
  "0013-broadcast-approval-check": broadcastApprovalCheck,
  "0014-media": media,
  "0015-templates": templates,
  "0016-free-form-window": freeFormWindow,
  "0017-tenant-setting-versions": tenantSettingVersions,
  "0018-broadcast-expansion": broadcastExpansion,
  "0019-claim-sequences": claimSequences,
};
