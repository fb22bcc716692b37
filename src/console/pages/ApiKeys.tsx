import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Badge, Button } from "design-react-kit";
import { useState, type FormEvent } from "react";
import { api, call } from "../api/client";
import type { paths } from "../api/schema";
import { AdminBox } from "../components/AdminBox";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { AdminProblem } from "../components/AdminProblem";
import { AdminRows } from "../components/AdminRows";
import { AdminSecret } from "../components/AdminSecret";
import { CheckField, FieldError, TextField } from "../components/Field";
import { ColumnTable } from "../components/DataTable";
import { Notice } from "../components/Notice";
import { useAction } from "../components/useAction";
import { useI18n, type MessageKey, type Translate } from "../i18n";
import { admin } from "../i18n/sections/admin";
import { toggled } from "../lib/toggled";
import type { SectionProps } from "../sections";
import { TitledSection } from "../components/TitledSection";

/** A permission as the API names it ("broadcasts.write"). */
type Permission =
  paths["/api/tenants/{tenant}/api-keys"]["post"]["requestBody"]["content"]["application/json"]["permissions"][number];

/**
 * Not for keys: managing people and keys stays with people (api-keys.service.ts), and the
 * instance's administration is no comune's.
 */
const NOT_FOR_KEYS: readonly string[] = ["users.manage", "apikeys.manage", "instance.manage"];

/**
 * The permissions an API key may hold: every permission the catalogue names (in the server's
 * order, platform/http/access.ts) but those above. The form offers only those the person holds,
 * as the API allows.
 */
export const KEY_PERMISSIONS = Object.entries(admin.it.permissions)
  .flatMap(([area, actions]) =>
    Object.keys(actions).map((action) => `${area}.${action}` as Permission),
  )
  .filter((p) => !NOT_FOR_KEYS.includes(p));

export type ApiKey =
  paths["/api/tenants/{tenant}/api-keys"]["get"]["responses"]["200"]["content"]["application/json"]["apiKeys"][number];

export const apiKeysKey = (tenant: string) => ["api-keys", tenant] as const;

/** The comune's keys (apikeys.manage): also read by the audit log, to name a key. */
export function useApiKeys(tenant: string, enabled = true) {
  return useQuery({
    queryKey: apiKeysKey(tenant),
    enabled,
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/api-keys", { params: { path: { tenant } } })),
  });
}

export const permissionLabel = (t: Translate, permission: string) =>
  t(`admin.permissions.${permission}` as MessageKey);

function useAfterChange(tenant: string) {
  const queryClient = useQueryClient();
  return async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: apiKeysKey(tenant) }),
      queryClient.invalidateQueries({ queryKey: ["audit", tenant] }),
    ]);
  };
}

export function ApiKeysPage({ tenant, comune }: SectionProps) {
  const { t } = useI18n();
  const keys = useApiKeys(tenant);
  // The key itself is shown once: it lives here, never in the query cache.
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revocation = useAction();
  const [notice, setNotice] = useState("");
  const afterChange = useAfterChange(tenant);

  const revoke = (key: ApiKey) =>
    revocation.run(async () => {
      await call(
        api.DELETE("/api/tenants/{tenant}/api-keys/{keyId}", {
          params: { path: { tenant, keyId: key.id } },
        }),
      );
      setRevoking(null);
      setNotice(t("admin.apiKeys.revokedDone"));
      await afterChange();
    });

  return (
    <>
      <h1 className="h2 mb-3">{t("nav.apiKeys")}</h1>
      <p className="mb-4">{t("admin.apiKeys.intro")}</p>
      {created ? <KeyPanel created={created} onDone={() => setCreated(null)} /> : null}
      <Notice text={notice} />
      <AdminRows
        query={keys}
        count={keys.data?.apiKeys.length ?? 0}
        minHeight="12rem"
        empty={t("admin.apiKeys.empty")}
      >
        <KeysTable
          keys={keys.data?.apiKeys ?? []}
          onRevoke={(key) => {
            revocation.setError(null);
            setNotice("");
            setRevoking(key);
          }}
        />
      </AdminRows>
      <CreateForm
        tenant={tenant}
        held={comune.permissions}
        onCreated={(c) => {
          setNotice("");
          setCreated(c);
        }}
      />
      <ConfirmDialog
        open={revoking !== null}
        title={t("admin.apiKeys.confirm.title", { name: revoking?.name ?? "" })}
        text={t("admin.apiKeys.confirm.text")}
        confirmLabel={t("admin.apiKeys.revoke")}
        busy={revocation.busy}
        onConfirm={() => revoking && void revoke(revoking)}
        cancelLabel={t("admin.common.cancel")}
        onCancel={() => setRevoking(null)}
      >
        <AdminProblem error={revocation.error} />
      </ConfirmDialog>
    </>
  );
}

function KeysTable({ keys, onRevoke }: { keys: ApiKey[]; onRevoke: (key: ApiKey) => void }) {
  const { t, date } = useI18n();
  return (
    <ColumnTable
      caption={t("admin.apiKeys.caption")}
      className="align-middle"
      wrapperClassName="mb-4"
      rows={keys}
      rowKey={(k) => k.id}
      rowTestId="key-row"
      columns={[
        // The key's state and its action stay with its name: a phone shows two columns.
        {
          header: t("admin.apiKeys.columns.name"),
          rowHeader: true,
          cellClassName: "fw-normal",
          cell: (k) => (
            <>
              <span className="fw-semibold d-block">{k.name}</span>
              <span className="small d-block">
                {t("admin.apiKeys.startsWith", { prefix: k.prefix })}
              </span>
              <span className="d-block my-2">
                {k.revokedAt ? (
                  <Badge color="secondary" className="text-wrap text-start">
                    {t("admin.apiKeys.revokedOn", { date: date(k.revokedAt) })}
                  </Badge>
                ) : (
                  <Badge color="success">{t("admin.apiKeys.active")}</Badge>
                )}
              </span>
              {k.revokedAt ? null : (
                <Button
                  color="danger"
                  outline
                  size="sm"
                  aria-label={t("admin.apiKeys.revokeLabel", { name: k.name })}
                  onClick={() => onRevoke(k)}
                >
                  {t("admin.apiKeys.revoke")}
                </Button>
              )}
            </>
          ),
        },
        {
          header: t("admin.apiKeys.columns.permissions"),
          cell: (k) => (
            <ul className="list-unstyled mb-0 small">
              {k.permissions.map((p) => (
                <li key={p}>{permissionLabel(t, p)}</li>
              ))}
            </ul>
          ),
        },
        {
          header: t("admin.apiKeys.columns.created"),
          from: "md",
          cellClassName: "small",
          cell: (k) => date(k.createdAt),
        },
        {
          header: t("admin.apiKeys.columns.lastUsed"),
          from: "md",
          cellClassName: "small",
          cell: (k) => (k.lastUsedAt ? date(k.lastUsedAt) : t("admin.apiKeys.neverUsed")),
        },
      ]}
    />
  );
}

function KeyPanel({
  created,
  onDone,
}: {
  created: { name: string; key: string };
  onDone: () => void;
}) {
  const { t } = useI18n();
  return (
    <AdminBox title={t("admin.apiKeys.keyTitle", { name: created.name })} tone="warning" focus>
      <p className="fw-semibold">{t("admin.apiKeys.keyOnce")}</p>
      <AdminSecret label={t("admin.apiKeys.keyLabel")} value={created.key} />
      <p className="small">{t("admin.apiKeys.keyUse")}</p>
      <Button color="primary" outline onClick={onDone}>
        {t("admin.apiKeys.keyDone")}
      </Button>
    </AdminBox>
  );
}

function CreateForm({
  tenant,
  held,
  onCreated,
}: {
  tenant: string;
  held: readonly string[];
  onCreated: (created: { name: string; key: string }) => void;
}) {
  const { t } = useI18n();
  const afterChange = useAfterChange(tenant);
  const offered = KEY_PERMISSIONS.filter((p) => held.includes(p));
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<Set<Permission>>(new Set());
  const { busy, error, run, problem } = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const answer = await call(
        api.POST("/api/tenants/{tenant}/api-keys", {
          params: { path: { tenant } },
          body: { name, permissions: [...chosen] },
        }),
      );
      onCreated({ name: answer.apiKey.name, key: answer.key });
      setName("");
      setChosen(new Set());
      await afterChange();
    });
  };
  return (
    <TitledSection id="create-key-title" title={t("admin.apiKeys.create")} className="mt-5">
      {offered.length === 0 ? (
        <p>{t("admin.apiKeys.noPermissions")}</p>
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate className="row mt-4">
          <div className="col-12 col-lg-8">
            <TextField
              label={t("admin.apiKeys.name")}
              help={t("admin.apiKeys.nameHelp")}
              autoComplete="off"
              value={name}
              maxLength={100}
              onChange={(e) => setName(e.target.value)}
              error={problem("name")}
            />
            <fieldset className="mb-3">
              <legend className="h6">{t("admin.apiKeys.permissions")}</legend>
              <p className="small mb-2">{t("admin.apiKeys.permissionsHelp")}</p>
              {offered.map((p) => (
                <CheckField
                  key={p}
                  label={permissionLabel(t, p)}
                  checked={chosen.has(p)}
                  onChange={(e) => setChosen(toggled(chosen, p, e.target.checked))}
                />
              ))}
              <FieldError>{problem("permissions")}</FieldError>
            </fieldset>
            <AdminProblem error={error} shownFields={["name", "permissions"]} />
            <Button color="primary" type="submit" disabled={busy}>
              {t("admin.apiKeys.createSubmit")}
            </Button>
          </div>
        </form>
      )}
    </TitledSection>
  );
}
