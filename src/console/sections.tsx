import type { ComponentType } from "react";
import type { MessageKey } from "./i18n";
import type { Comune, Me } from "./lib/session";
import { ApiKeysPage } from "./pages/ApiKeys";
import { AuditPage } from "./pages/Audit";
import { DashboardPage } from "./pages/Dashboard";
import { ModerationPage } from "./pages/Moderation";
import { SettingsPage } from "./pages/Settings";
import { SubscribersPage } from "./pages/Subscribers";
import { UsersPage } from "./pages/Users";

/** What every section page gets: the comune in the address, the person's roles there, the person. */
export interface SectionProps {
  tenant: string;
  comune: Comune;
  me: Me;
}

/**
 * The comune's pages besides the broadcasts, in menu order: each at `/:tenant/{path}`, shown in
 * the menu and reachable only with one of `permissions` (the API refuses the rest anyway).
 */
export interface Section {
  path: string;
  label: MessageKey;
  permissions: readonly string[];
  Page: ComponentType<SectionProps>;
}

export const SECTIONS: readonly Section[] = [
  { path: "dashboard", label: "nav.dashboard", permissions: ["reports.read"], Page: DashboardPage },
  {
    path: "subscribers",
    label: "nav.subscribers",
    permissions: ["reports.read", "subscribers.reveal"],
    Page: SubscribersPage,
  },
  {
    path: "moderation",
    label: "nav.moderation",
    permissions: ["moderation.read"],
    Page: ModerationPage,
  },
  {
    path: "settings",
    label: "nav.settings",
    permissions: ["settings.read"],
    Page: SettingsPage,
  },
  { path: "users", label: "nav.users", permissions: ["users.manage"], Page: UsersPage },
  { path: "api-keys", label: "nav.apiKeys", permissions: ["apikeys.manage"], Page: ApiKeysPage },
  { path: "audit", label: "nav.audit", permissions: ["audit.read"], Page: AuditPage },
];

export function mayOpen(section: Section, comune: Comune | undefined): boolean {
  return !!comune && section.permissions.some((p) => comune.permissions.includes(p));
}
