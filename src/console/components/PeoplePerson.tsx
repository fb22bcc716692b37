import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Button } from "design-react-kit";
import { useEffect, useRef, useState } from "react";
import { api, call } from "../api/client";
import { useI18n, type MessageKey } from "../i18n";
import { can, useTenants, type Comune } from "../lib/session";
import { ErrorAlert } from "./ErrorAlert";
import { TextField } from "./Field";
import { Facts } from "./Facts";
import { Loading } from "./Loading";
import { Notice } from "./Notice";
import { PersonCard } from "./PersonCard";
import { PeopleConfirm } from "./PeopleConfirm";
import { invalidatePeople, peopleKeys, type SubscriberView } from "./PeopleData";
import { readablePhone, useFormats } from "./PeopleFormat";
import { problemOf } from "./useAction";

type Action = "export" | "block" | "unblock" | "erase";

/** The file name the export's answer gives, or a plain one. */
function fileNameOf(response: Response, id: number): string {
  const header = response.headers.get("content-disposition") ?? "";
  return /filename="([^"]+)"/.exec(header)?.[1] ?? `iscritto-${id}.json`;
}

/** Hands a downloaded file to the browser, as a click on a link to it would. */
function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function PersonStatus({ person }: { person: SubscriberView }) {
  const { t } = useI18n();
  return (
    <span className="d-inline-flex flex-wrap gap-1">
      <span className={`badge ${person.status === "active" ? "bg-success" : "bg-secondary"}`}>
        {t(`people.subscribers.status.${person.status}` as MessageKey)}
      </span>
      {person.block.state !== "none" ? (
        <span className="badge bg-danger">{t("people.subscribers.blocked")}</span>
      ) : null}
      {person.flag ? (
        <span className="badge bg-warning text-dark">{t("people.subscribers.flagged")}</span>
      ) : null}
    </span>
  );
}

/**
 * One person, masked until "Mostra numero" (the audited reveal), with what the role may do to
 * them: download their data, block or unblock, erase. Each action asks first in a dialog that
 * says what will happen, and says what happened.
 */
export function PeoplePerson({
  tenant,
  comune,
  id,
  onClose,
  onErased,
}: {
  tenant: string;
  comune: Comune;
  id: number;
  onClose: () => void;
  onErased: (message: string) => void;
}) {
  const { t, date } = useI18n();
  const f = useFormats();
  const queryClient = useQueryClient();
  const tenants = useTenants();
  const heading = useRef<HTMLHeadingElement>(null);
  const [revealed, setRevealed] = useState<SubscriberView | null>(null);
  const [asking, setAsking] = useState<Action | null>(null);
  const [reason, setReason] = useState("");
  const [result, setResult] = useState("");
  const path = { params: { path: { tenant, id } } };

  const person = useQuery({
    queryKey: peopleKeys.person(tenant, id),
    queryFn: () => call(api.GET("/api/tenants/{tenant}/subscribers/{id}", path)),
  });
  // Opened from the list or the search: the reader lands on the person.
  useEffect(() => heading.current?.focus(), []);

  const reveal = useMutation({
    mutationFn: () =>
      call(
        api.GET("/api/tenants/{tenant}/subscribers/{id}", {
          params: { path: { tenant, id }, query: { reveal: "true" } },
        }),
      ),
    onSuccess: (view) => {
      setRevealed(view);
      void queryClient.invalidateQueries({ queryKey: ["audit", tenant] });
    },
  });

  const act = useMutation({
    mutationFn: async (action: Action): Promise<string> => {
      switch (action) {
        case "export": {
          const answer = await api.GET("/api/tenants/{tenant}/subscribers/{id}/export", {
            ...path,
            parseAs: "blob",
          });
          const blob = await call(Promise.resolve(answer));
          const name = fileNameOf(answer.response, id);
          saveFile(blob, name);
          return t("people.person.exportDone", { file: name });
        }
        case "block": {
          const done = await call(
            api.POST("/api/tenants/{tenant}/subscribers/{id}/block", {
              ...path,
              body: { reason },
            }),
          );
          return t(`people.person.blockDone.${done.whatsapp}`);
        }
        case "unblock":
          await call(api.DELETE("/api/tenants/{tenant}/subscribers/{id}/block", path));
          return t("people.person.unblockDone");
        case "erase":
          await call(api.DELETE("/api/tenants/{tenant}/subscribers/{id}", path));
          return t("people.person.eraseDone");
      }
    },
    onSuccess: async (message, action) => {
      setAsking(null);
      setReason("");
      if (action === "export") {
        await queryClient.invalidateQueries({ queryKey: ["audit", tenant] });
        setResult(message);
        return;
      }
      // What was shown revealed is stale now; the person is masked again.
      setRevealed(null);
      await invalidatePeople(queryClient, tenant, id);
      if (action === "erase") onErased(message);
      else setResult(message);
    },
  });

  const ask = (action: Action) => {
    act.reset();
    setResult("");
    setAsking(action);
  };
  const cancel = () => {
    setAsking(null);
    act.reset();
  };
  /** What each action's confirmation takes from the action: its texts, the write, the refusal. */
  const dialog = (action: Action) => ({
    open: asking === action,
    title: t(`people.person.${action}Title`),
    confirm: t(`people.person.${action}Confirm`),
    busy: act.isPending,
    error: act.error,
    onConfirm: () => act.mutate(action),
    onCancel: cancel,
  });

  if (person.isPending) return <Loading minHeight="20rem" />;
  if (person.error) return <ErrorAlert error={person.error} />;
  const p = revealed ?? person.data;
  const topicName = (topic: string) =>
    tenants.data?.tenants.find((x) => x.slug === tenant)?.topics.find((x) => x.id === topic)
      ?.label ?? topic;
  const fullName = [p.personal?.firstName, p.personal?.lastName].filter(Boolean).join(" ");
  const blockText =
    p.block.state === "none"
      ? t("people.person.blockNone")
      : t(
          p.block.state === "pending" ? "people.person.blockPending" : "people.person.blockApplied",
          {
            date: f.day(p.block.blockedAt),
          },
        );
  const rows: [MessageKey, string][] = [
    ["people.person.number", p.number ? readablePhone(p.number) : t("people.subscribers.noNumber")],
    ...(p.personal
      ? ([
          ["people.person.name", fullName || t("people.person.nothing")],
          ["people.person.profileName", p.personal.profileName ?? t("people.person.nothing")],
          [
            "people.person.topics",
            p.personal.topics.length
              ? p.personal.topics.map(topicName).join(", ")
              : t("people.person.topicsAll"),
          ],
        ] satisfies [MessageKey, string][])
      : []),
    [
      "people.person.subscribedAt",
      p.subscribedAt ? date(p.subscribedAt) : t("people.person.nothing"),
    ],
    ...(p.unsubscribedAt
      ? ([["people.person.unsubscribedAt", date(p.unsubscribedAt)]] satisfies [
          MessageKey,
          string,
        ][])
      : []),
    [
      "people.person.lastMessage",
      p.lastMessageAt ? date(p.lastMessageAt) : t("people.person.nothing"),
    ],
    ["people.person.createdAt", date(p.createdAt)],
    ["people.person.blockState", blockText],
    ...(p.flag
      ? ([["people.person.flag", date(p.flag.flaggedAt)]] satisfies [MessageKey, string][])
      : []),
  ];
  const blocked = p.block.state !== "none";
  const reasonProblem = problemOf(act.error, "reason");

  return (
    <PersonCard
      className="rounded mb-5"
      testId="person"
      headingRef={heading}
      title={
        <>
          {t("people.person.title")}:{" "}
          <span data-testid="person-number">
            {p.number ? readablePhone(p.number) : t("people.subscribers.noNumber")}
          </span>
        </>
      }
      closeLabel={t("people.person.close")}
      onClose={onClose}
      dialogs={
        <>
          <PeopleConfirm {...dialog("export")}>
            <p>{t("people.person.exportText")}</p>
          </PeopleConfirm>
          <PeopleConfirm {...dialog("block")} danger shownFields={["reason"]}>
            {/* Bootstrap Italia's label sits above its field: room for it under the text. */}
            <p className="mb-5">{t("people.person.blockText")}</p>
            <TextField
              label={t("people.person.blockReason")}
              help={t("people.person.blockReasonHelp")}
              value={reason}
              maxLength={500}
              required
              onChange={(e) => setReason(e.target.value)}
              error={reasonProblem}
            />
          </PeopleConfirm>
          <PeopleConfirm {...dialog("unblock")}>
            <p>{t("people.person.unblockText")}</p>
          </PeopleConfirm>
          <PeopleConfirm {...dialog("erase")} danger>
            <p>{t("people.person.eraseText")}</p>
            <p className="fw-bold text-danger mb-0">{t("people.person.eraseWarning")}</p>
          </PeopleConfirm>
        </>
      }
    >
      <p className="mb-3">
        <PersonStatus person={p} />
      </p>
      <Notice text={result} testId="person-result" />
      <Facts
        items={rows}
        className="row mb-3"
        tileClassName="col-12 col-md-6 mb-2"
        termClassName="small text-secondary fw-normal"
        valueClassName="mb-0"
      />
      {p.marketingStoppedAt ? (
        <p className="small">
          {t("people.person.marketingStopped", { date: f.day(p.marketingStoppedAt) })}
        </p>
      ) : null}
      <ErrorAlert error={reveal.error} />
      <h3 className="h6">{t("people.person.actions")}</h3>
      <div className="d-flex flex-wrap gap-2 mb-2">
        {p.number && can(comune, "subscribers.reveal") ? (
          revealed ? (
            <Button color="primary" outline onClick={() => setRevealed(null)}>
              {t("people.person.hide")}
            </Button>
          ) : (
            <Button color="primary" disabled={reveal.isPending} onClick={() => reveal.mutate()}>
              {t("people.person.reveal")}
            </Button>
          )
        ) : null}
        {can(comune, "subscribers.export") ? (
          <Button color="primary" outline onClick={() => ask("export")}>
            {t("people.person.export")}
          </Button>
        ) : null}
        {can(comune, "subscribers.block") ? (
          blocked ? (
            <Button color="primary" outline onClick={() => ask("unblock")}>
              {t("people.person.unblock")}
            </Button>
          ) : (
            <Button color="danger" outline onClick={() => ask("block")}>
              {t("people.person.block")}
            </Button>
          )
        ) : null}
        {can(comune, "subscribers.erase") ? (
          <Button color="danger" onClick={() => ask("erase")}>
            {t("people.person.erase")}
          </Button>
        ) : null}
      </div>
      {p.number && can(comune, "subscribers.reveal") ? (
        <p className="small text-secondary mb-0">{t("people.person.revealNote")}</p>
      ) : null}
    </PersonCard>
  );
}
