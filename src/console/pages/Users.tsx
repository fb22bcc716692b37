import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button } from "design-react-kit";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError, call } from "../api/client";
import type { paths } from "../api/schema";
import { AdminBox } from "../components/AdminBox";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { AdminProblem } from "../components/AdminProblem";
import { AdminRows } from "../components/AdminRows";
import { AdminSecret } from "../components/AdminSecret";
import { CheckField, FieldError, TextField } from "../components/Field";
import { ColumnTable } from "../components/DataTable";
import { Notice } from "../components/Notice";
import { PersonCard } from "../components/PersonCard";
import { useAction } from "../components/useAction";
import { useTextFields } from "../components/useTextFields";
import { useI18n, type MessageKey, type Translate } from "../i18n";
import { ME_KEY } from "../lib/session";
import { toggled } from "../lib/toggled";
import type { SectionProps } from "../sections";
import { TitledSection } from "../components/TitledSection";

/**
 * People and roles: the comune's staff list, the invitation with its one-time setup link, and a
 * person's panel (roles, a new setup link, removal).
 *
 * Over 400 lines for a reason: the parts are used only by this page and share its state (who is
 * selected, the link shown once).
 */

export const ROLES = ["owner", "editor", "approver", "technician", "viewer"] as const;
type Role = (typeof ROLES)[number];

export type StaffUser =
  paths["/api/tenants/{tenant}/users"]["get"]["responses"]["200"]["content"]["application/json"]["users"][number];

export const usersKey = (tenant: string) => ["users", tenant] as const;

/** The comune's people (users.manage): also read by the audit log, to name who did what. */
export function useStaff(tenant: string, enabled = true) {
  return useQuery({
    queryKey: usersKey(tenant),
    enabled,
    queryFn: () => call(api.GET("/api/tenants/{tenant}/users", { params: { path: { tenant } } })),
  });
}

export const roleLabel = (t: Translate, role: string) => t(`roles.${role}` as MessageKey);
/** Roles as a line, always in the same order (the API's is the database's). */
export const rolesText = (t: Translate, roles: readonly string[]) =>
  [...roles]
    .sort((a, b) => ROLES.indexOf(a as Role) - ROLES.indexOf(b as Role))
    .map((r) => roleLabel(t, r))
    .join(", ");
const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** After a change to people: the list, the log that records it, and the session's own roles. */
function useAfterChange(tenant: string) {
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: usersKey(tenant) }),
      queryClient.invalidateQueries({ queryKey: ["audit", tenant] }),
      queryClient.invalidateQueries({ queryKey: ME_KEY }),
    ]);
  };
}

interface Link {
  name: string;
  link: string;
  expiresAt: number;
}

export function UsersPage({ tenant, me }: SectionProps) {
  const { t } = useI18n();
  const users = useStaff(tenant);
  const [selected, setSelected] = useState<number | null>(null);
  // A setup link is shown once: it lives here, never in the query cache.
  const [link, setLink] = useState<Link | null>(null);
  const [notice, setNotice] = useState("");
  const person = users.data?.users.find((u) => u.id === selected);
  return (
    <>
      <h1 className="h2 mb-3">{t("nav.users")}</h1>
      <p className="mb-4">{t("admin.users.intro")}</p>
      {link ? <SetupLinkPanel link={link} onDone={() => setLink(null)} /> : null}
      <Notice text={notice} />
      <AdminRows
        query={users}
        count={users.data?.users.length ?? 0}
        minHeight="16rem"
        empty={t("admin.users.empty")}
      >
        <UsersTable
          users={users.data?.users ?? []}
          myId={me.user.id}
          onManage={(id) => {
            setSelected(id);
            setNotice("");
          }}
        />
      </AdminRows>
      {person ? (
        <PersonPanel
          key={person.id}
          tenant={tenant}
          person={person}
          isMe={person.id === me.user.id}
          onLink={setLink}
          onClose={() => setSelected(null)}
          onRemoved={(name) => {
            setSelected(null);
            setNotice(t("admin.users.done.removed", { name }));
          }}
        />
      ) : null}
      <InviteForm tenant={tenant} onLink={setLink} onExisting={setNotice} />
    </>
  );
}

function StateBadges({ user }: { user: StaffUser }) {
  const { t } = useI18n();
  const a = user.account;
  if (!a) {
    return (
      <Badge color="secondary" className="text-wrap text-start">
        {t("admin.users.state.elsewhere")}
      </Badge>
    );
  }
  return (
    <ul className="list-unstyled mb-0 small">
      <li>
        {a.disabled ? (
          <Badge color="danger">{t("admin.users.state.disabled")}</Badge>
        ) : (
          <Badge color="success">{t("admin.users.state.active")}</Badge>
        )}
      </li>
      {!a.passwordSet ? <li>{t("admin.users.state.noPassword")}</li> : null}
      <li>
        {a.twoFactor ? t("admin.users.state.twoFactorOn") : t("admin.users.state.twoFactorOff")}
      </li>
    </ul>
  );
}

function UsersTable({
  users,
  myId,
  onManage,
}: {
  users: StaffUser[];
  myId: number;
  onManage: (id: number) => void;
}) {
  const { t } = useI18n();
  return (
    <ColumnTable
      caption={t("admin.users.caption")}
      className="align-middle"
      wrapperClassName="mb-4"
      rows={users}
      rowKey={(u) => u.id}
      rowTestId="person-row"
      columns={[
        {
          header: t("admin.users.columns.person"),
          rowHeader: true,
          cellClassName: "fw-normal",
          cell: (u) => (
            <>
              <span className="fw-semibold d-block">
                {u.displayName}
                {u.id === myId ? ` (${t("admin.common.you")})` : ""}
              </span>
              <span className="small text-break d-block">{u.email}</span>
              <span className="d-block mt-1">
                <span className="visually-hidden">{t("admin.users.columns.roles")}: </span>
                {rolesText(t, u.roles)}
              </span>
            </>
          ),
        },
        // On a phone the state is in the person's panel: the row keeps its button.
        {
          header: t("admin.users.columns.state"),
          from: "md",
          cell: (u) => <StateBadges user={u} />,
        },
        {
          header: <span className="visually-hidden">{t("admin.users.columns.actions")}</span>,
          cellClassName: "text-end",
          cell: (u) => (
            <Button
              color="primary"
              outline
              size="sm"
              aria-label={t("admin.users.manageLabel", { name: u.displayName })}
              onClick={() => onManage(u.id)}
            >
              {t("admin.users.manage")}
            </Button>
          ),
        },
      ]}
    />
  );
}

function SetupLinkPanel({ link, onDone }: { link: Link; onDone: () => void }) {
  const { t, date } = useI18n();
  const hours = Math.round((link.expiresAt - Date.now()) / 3_600_000);
  return (
    <AdminBox title={t("admin.users.linkTitle", { name: link.name })} tone="success" focus>
      <p>{t("admin.users.linkIntro", { name: link.name })}</p>
      <AdminSecret label={t("admin.users.linkLabel")} value={link.link} />
      <p className="mb-1">{t("admin.users.linkExpires", { until: date(link.expiresAt), hours })}</p>
      <p className="fw-semibold">{t("admin.users.linkOnce")}</p>
      <Button color="primary" outline onClick={onDone}>
        {t("admin.users.linkDone")}
      </Button>
    </AdminBox>
  );
}

function RoleChoice({
  chosen,
  onChange,
  legend,
  help,
  error,
}: {
  chosen: ReadonlySet<Role>;
  onChange: (next: Set<Role>) => void;
  legend: string;
  help?: string;
  error?: string | undefined;
}) {
  const { t } = useI18n();
  return (
    <fieldset className="mb-3">
      <legend className="h6">{legend}</legend>
      {help ? <p className="small mb-2">{help}</p> : null}
      {ROLES.map((role) => (
        <CheckField
          key={role}
          label={
            <>
              <span className="fw-semibold">{capital(roleLabel(t, role))}</span>
              <span className="d-block small fw-normal">{t(`admin.roleHelp.${role}`)}</span>
            </>
          }
          checked={chosen.has(role)}
          onChange={(e) => onChange(toggled(chosen, role, e.target.checked))}
        />
      ))}
      <FieldError>{error}</FieldError>
    </fieldset>
  );
}

function InviteForm({
  tenant,
  onLink,
  onExisting,
}: {
  tenant: string;
  onLink: (link: Link) => void;
  onExisting: (text: string) => void;
}) {
  const { t } = useI18n();
  const afterChange = useAfterChange(tenant);
  const [roles, setRoles] = useState<Set<Role>>(new Set());
  const { busy, error, run, problem } = useAction();
  const form = useTextFields({ email: "", displayName: "" }, problem);
  const { email, displayName: name } = form.values;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const added = await call(
        api.POST("/api/tenants/{tenant}/users", {
          params: { path: { tenant } },
          body: { email, displayName: name, roles: [...roles] },
        }),
      );
      if (added.setupLink && added.setupLinkExpiresAt) {
        onLink({ name, link: added.setupLink, expiresAt: added.setupLinkExpiresAt });
      } else {
        onExisting(t("admin.users.invitedExisting", { name }));
      }
      form.reset();
      setRoles(new Set());
      await afterChange();
    });
  };
  return (
    <TitledSection id="invite-title" title={t("admin.users.invite")} className="mt-5">
      <p>{t("admin.users.inviteIntro")}</p>
      <form onSubmit={(e) => void submit(e)} noValidate className="row mt-4">
        <div className="col-12 col-lg-8">
          <TextField
            label={t("admin.users.email")}
            type="email"
            autoComplete="off"
            {...form.field("email")}
          />
          <TextField
            label={t("admin.users.name")}
            autoComplete="off"
            {...form.field("displayName")}
          />
          <RoleChoice
            legend={t("admin.users.roles")}
            help={t("admin.users.rolesHelp")}
            chosen={roles}
            onChange={setRoles}
            error={problem("roles")}
          />
          <AdminProblem error={error} shownFields={["email", "displayName", "roles"]} />
          <Button color="primary" type="submit" disabled={busy}>
            {t("admin.users.inviteSubmit")}
          </Button>
        </div>
      </form>
    </TitledSection>
  );
}

type Pending = "disable" | "twoFactor" | "remove" | null;

function PersonPanel({
  tenant,
  person,
  isMe,
  onLink,
  onClose,
  onRemoved,
}: {
  tenant: string;
  person: StaffUser;
  isMe: boolean;
  onLink: (link: Link) => void;
  onClose: () => void;
  onRemoved: (name: string) => void;
}) {
  const { t } = useI18n();
  const afterChange = useAfterChange(tenant);
  const heading = useRef<HTMLHeadingElement>(null);
  const [roles, setRoles] = useState<Set<Role>>(
    () => new Set(person.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r))),
  );
  const { busy, error, run, problem } = useAction(async (caught) => {
    // The person was given roles in another comune meanwhile: the list tells it from now on.
    if (caught instanceof ApiError && caught.code === "ACCOUNT_MANAGED_ELSEWHERE") {
      await afterChange();
    }
  });
  const [notice, setNotice] = useState("");
  const [pending, setPending] = useState<Pending>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: "start" });
  }, []);
  const path = { params: { path: { tenant, userId: person.id } } };
  const name = person.displayName;

  const act = async (action: () => Promise<unknown>, done: string) => {
    setNotice("");
    const ok = await run(async () => {
      await action();
      setNotice(done);
      await afterChange();
    });
    setPending(null);
    return ok;
  };

  const saveRoles = (event: FormEvent) => {
    event.preventDefault();
    void act(
      () =>
        call(
          api.PUT("/api/tenants/{tenant}/users/{userId}/roles", {
            ...path,
            body: { roles: [...roles] },
          }),
        ),
      t("admin.users.rolesSaved"),
    );
  };
  const setDisabled = (disabled: boolean) =>
    act(
      () =>
        call(
          api.PUT("/api/tenants/{tenant}/users/{userId}/disabled", { ...path, body: { disabled } }),
        ),
      t(disabled ? "admin.users.done.disabled" : "admin.users.done.enabled"),
    );
  const resetTwoFactor = () =>
    act(
      () => call(api.DELETE("/api/tenants/{tenant}/users/{userId}/two-factor", path)),
      t("admin.users.done.twoFactor"),
    );
  const newLink = () =>
    act(async () => {
      const answer = await call(api.POST("/api/tenants/{tenant}/users/{userId}/setup-link", path));
      onLink({ name, link: answer.setupLink, expiresAt: answer.expiresAt });
    }, "");
  const remove = async () => {
    const removed = await act(
      () =>
        call(
          api.PUT("/api/tenants/{tenant}/users/{userId}/roles", { ...path, body: { roles: [] } }),
        ),
      "",
    );
    if (removed) onRemoved(name);
  };

  const account = person.account;
  const confirm: Record<
    Exclude<Pending, null>,
    { title: string; text: string; label: string; run: () => void }
  > = {
    disable: {
      title: t("admin.users.confirm.disableTitle", { name }),
      text: t("admin.users.confirm.disableText"),
      label: t("admin.users.disable"),
      run: () => void setDisabled(true),
    },
    twoFactor: {
      title: t("admin.users.confirm.twoFactorTitle", { name }),
      text: t("admin.users.confirm.twoFactorText"),
      label: t("admin.users.resetTwoFactor"),
      run: () => void resetTwoFactor(),
    },
    remove: {
      title: t("admin.users.confirm.removeTitle", { name }),
      text: t("admin.users.confirm.removeText"),
      label: t("admin.users.remove"),
      run: () => void remove(),
    },
  };
  const open = pending ? confirm[pending] : null;

  return (
    <PersonCard
      className="mb-4"
      testId="person-panel"
      headingRef={heading}
      title={`${name}${isMe ? ` (${t("admin.common.you")})` : ""}`}
      under={<span className="small text-break">{person.email}</span>}
      closeLabel={t("admin.users.closePanel")}
      onClose={onClose}
      dialogs={
        <ConfirmDialog
          open={open !== null}
          title={open?.title ?? ""}
          text={open?.text ?? ""}
          confirmLabel={open?.label ?? ""}
          busy={busy}
          onConfirm={() => open?.run()}
          cancelLabel={t("admin.common.cancel")}
          onCancel={() => setPending(null)}
        />
      }
    >
      <Notice text={notice} />
      <AdminProblem error={error} shownFields={["roles"]} />
      <div className="row g-4">
        <div className="col-12 col-lg-6">
          <form onSubmit={saveRoles} noValidate>
            <RoleChoice
              legend={t("admin.users.panelRoles")}
              chosen={roles}
              onChange={setRoles}
              error={problem("roles")}
            />
            <div className="d-flex flex-wrap gap-2">
              <Button color="primary" type="submit" disabled={busy || roles.size === 0}>
                {t("admin.users.saveRoles")}
              </Button>
              {!isMe ? (
                <Button
                  color="danger"
                  outline
                  type="button"
                  disabled={busy}
                  onClick={() => setPending("remove")}
                >
                  {t("admin.users.remove")}
                </Button>
              ) : null}
            </div>
          </form>
        </div>
        <div className="col-12 col-lg-6">
          <h3 className="h6">{t("admin.users.account")}</h3>
          {account ? (
            <>
              <StateBadges user={person} />
              <div className="d-flex flex-column align-items-start gap-3 mt-3">
                {!account.disabled ? (
                  <div>
                    <Button color="primary" outline disabled={busy} onClick={() => void newLink()}>
                      {t("admin.users.newLink")}
                    </Button>
                    <p className="small mb-0 mt-1">{t("admin.users.newLinkHelp")}</p>
                  </div>
                ) : null}
                {account.twoFactor ? (
                  <div>
                    <Button
                      color="danger"
                      outline
                      disabled={busy}
                      onClick={() => setPending("twoFactor")}
                    >
                      {t("admin.users.resetTwoFactor")}
                    </Button>
                    <p className="small mb-0 mt-1">{t("admin.users.resetTwoFactorHelp")}</p>
                  </div>
                ) : null}
                {account.disabled ? (
                  <Button color="primary" disabled={busy} onClick={() => void setDisabled(false)}>
                    {t("admin.users.enable")}
                  </Button>
                ) : !isMe ? (
                  <Button color="danger" disabled={busy} onClick={() => setPending("disable")}>
                    {t("admin.users.disable")}
                  </Button>
                ) : null}
              </div>
            </>
          ) : (
            <p
              className="border-start border-4 border-secondary ps-3"
              data-testid="managed-elsewhere"
            >
              {t("admin.users.elsewhere")}
            </p>
          )}
        </div>
      </div>
    </PersonCard>
  );
}
