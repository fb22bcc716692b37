import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, Button } from "design-react-kit";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ApiError, call } from "../api/client";
import type { PolicyCheck, Progress } from "../api/types";
import { CheckPanel } from "../components/CheckPanel";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { BroadcastReport } from "../components/BroadcastReport";
import { CheckField, TextAreaField } from "../components/Field";
import { Facts } from "../components/Facts";
import { Loading } from "../components/Loading";
import { Notice } from "../components/Notice";
import { useAction } from "../components/useAction";
import { WhatsAppPreview } from "../components/WhatsAppPreview";
import { useI18n, type MessageKey } from "../i18n";
import { can, useTenants, type Comune, type Me } from "../lib/session";
import { toggled } from "../lib/toggled";
import { StatusBadge } from "./StatusBadge";

/**
 * The page of one broadcast: its content, live progress, approval (with the election-period
 * declaration), pause, resume and cancel, and the report.
 *
 * Over 400 lines for a reason: its panels are each short and used only here, and they follow the
 * broadcast's lifecycle in the order the page shows them.
 */

/** States in which a broadcast has deliveries to follow. */
const FOLLOWED = new Set(["approved", "scheduled", "sending", "paused", "needs_attention", "sent"]);
const OVER = new Set(["sent", "cancelled"]);
/** States in which something was sent: the report has figures. */
const REPORTED = new Set(["sending", "paused", "needs_attention", "sent", "cancelled"]);
/** The election declaration's shortest justification (the server's MIN_JUSTIFICATION_CHARS). */
const JUSTIFICATION_MIN = 40;

/** The live progress: the dispatch's server-sent events, one `progress` event a second. */
function useProgress(tenant: string, id: number, status: string | undefined) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const queryClient = useQueryClient();
  const follow = status !== undefined && FOLLOWED.has(status);
  useEffect(() => {
    if (!follow) return;
    const source = new EventSource(`/api/tenants/${tenant}/broadcasts/${id}/events`);
    source.addEventListener("progress", (event) => {
      const next = JSON.parse((event as MessageEvent<string>).data) as Progress;
      setProgress(next);
      if (next.broadcast.status !== status) {
        void queryClient.invalidateQueries({ queryKey: ["broadcast", tenant, id] });
      }
      if (OVER.has(next.broadcast.status)) source.close();
    });
    // The stream ends when the broadcast is over; the browser would reconnect for nothing.
    source.onerror = () => source.close();
    return () => source.close();
  }, [follow, tenant, id, status, queryClient]);
  return progress;
}

function ProgressPanel({ progress }: { progress: Progress }) {
  const { t } = useI18n();
  const c = progress.counters;
  const done = c.total - c.queued - c.inFlight;
  const over = OVER.has(progress.broadcast.status);
  const percent = c.total === 0 ? (over ? 100 : 0) : Math.round((done / c.total) * 100);
  const shown: [MessageKey, number][] = [
    ["detail.counters.total", c.total],
    ["detail.counters.queued", c.queued + c.inFlight],
    ["detail.counters.sent", c.accepted],
    ["detail.counters.delivered", c.delivered],
    ["detail.counters.read", c.read],
    ["detail.counters.failed", c.failed],
  ];
  return (
    <section aria-labelledby="progress-title" className="mb-4">
      <h2 id="progress-title" className="h5">
        {t("detail.progress")}{" "}
        <span className="small fw-normal text-secondary">({t("detail.progressLive")})</span>
      </h2>
      <div className="progress progress-color mb-2" style={{ height: "12px" }}>
        <div
          className="progress-bar bg-success"
          role="progressbar"
          style={{ width: `${percent}%` }}
          aria-valuenow={percent}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-label={t("detail.progress")}
        />
      </div>
      <p className="fw-semibold" data-testid="progress-percent" aria-live="polite">
        {t("detail.progressPercent", { percent })}
      </p>
      <Facts
        items={shown}
        className="row row-cols-3 row-cols-md-6 g-2 text-center small"
        tileClassName="col"
        termClassName="fw-normal text-secondary"
        valueClassName="fs-5 fw-semibold mb-0"
      />
    </section>
  );
}

export function BroadcastDetail({
  tenant,
  id,
  comune,
  me,
}: {
  tenant: string;
  id: number;
  comune: Comune;
  me: Me;
}) {
  const { t, date, pick } = useI18n();
  const queryClient = useQueryClient();
  const tenants = useTenants();
  const [params] = useSearchParams();
  const info = tenants.data?.tenants.find((x) => x.slug === tenant);
  const query = useQuery({
    queryKey: ["broadcast", tenant, id],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/broadcasts/{id}", { params: { path: { tenant, id } } })),
  });
  const progress = useProgress(tenant, id, query.data?.broadcast.status);
  const [acknowledged, setAcknowledged] = useState<Set<string>>(new Set());
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const [cancelling, setCancelling] = useState(false);
  const { busy, error, run, problem } = useAction();
  const [done, setDone] = useState<string>(params.get("done") ?? "");
  const [declared, setDeclared] = useState(false);
  const [justification, setJustification] = useState("");

  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorAlert error={query.error} />;
  const { broadcast: b } = query.data;
  // Once approved, what the approver saw and accepted (the declaration, the acknowledgements,
  // the audience and cost then); before, the rules applied as the broadcast stands now.
  const asApproved =
    b.approvalCheck !== null && !["draft", "submitted", "rejected"].includes(b.status);
  const check = (asApproved ? b.approvalCheck : query.data.check) as PolicyCheck;
  const path = { params: { path: { tenant, id } } };

  const act = (action: () => Promise<unknown>, outcome?: string) =>
    run(async () => {
      const answer = await action();
      if (answer) queryClient.setQueryData(["broadcast", tenant, id], answer);
      await queryClient.invalidateQueries({ queryKey: ["broadcasts", tenant] });
      setDone(outcome ?? "");
    });

  const mayWrite = can(comune, "broadcasts.write");
  const mayApprove = can(comune, "broadcasts.approve");
  const isAuthor = b.createdBy !== null && b.createdBy === me.user.id;
  const allAcknowledged = check.warnings.every((w) => acknowledged.has(w.id));
  // An election period is the approver's to judge: a declaration, not a correction, lifts it.
  const electionBlock = check.blocks.find((x) => x.rule.startsWith("election."));
  const otherBlocks = check.blocks.filter((x) => !x.rule.startsWith("election."));
  const approving = b.status === "submitted" && mayApprove && !isAuthor;
  const needsDeclaration = approving && electionBlock !== undefined;
  const refusal = error instanceof ApiError ? error : undefined;
  const electionProblems =
    refusal?.details.filter((d) => d.field.startsWith("check.blocks.election.")) ?? [];
  const justificationLength = [...justification.trim()].length;
  const editable = b.status === "draft" || b.status === "rejected";
  // A sending broadcast may be paused; a paused one, or one a problem stopped, resumed.
  const pauseOrResume =
    b.status === "sending"
      ? "pause"
      : b.status === "paused" || b.status === "needs_attention"
        ? "resume"
        : undefined;
  const doneText: Record<string, MessageKey> = {
    submitted: "detail.submittedAlert",
    approved: "detail.approvedAlert",
    rejected: "detail.rejectedAlert",
  };

  const reject = (event: FormEvent) => {
    event.preventDefault();
    void act(
      () =>
        call(
          api.POST("/api/tenants/{tenant}/broadcasts/{id}/reject", { ...path, body: { reason } }),
        ),
      "rejected",
    ).then((ok) => ok && setRejecting(false));
  };

  return (
    <>
      <p>
        <Link to={`/${tenant}/broadcasts`}>← {t("detail.back")}</Link>
      </p>
      <div className="d-flex flex-wrap align-items-center gap-3 mb-3">
        <h1 className="h2 mb-0">{b.title}</h1>
        <StatusBadge status={b.status} label={b.statusLabel} />
      </div>
      <Notice text={done && doneText[done] ? t(doneText[done]) : ""} />
      {b.attentionReason ? (
        <Alert color="danger">
          <strong>{t("detail.attention")}:</strong> {b.attentionReason}
        </Alert>
      ) : null}
      {!mayWrite && !mayApprove ? <Alert color="info">{t("detail.viewerNote")}</Alert> : null}
      <ErrorAlert
        error={error}
        shownFields={[...(rejecting ? ["reason"] : []), ...electionProblems.map((d) => d.field)]}
      />
      <div className="row g-4">
        <div className="col-12 col-lg-7">
          {progress ? <ProgressPanel progress={progress} /> : null}
          {can(comune, "reports.read") && REPORTED.has(b.status) && b.startedAt ? (
            <BroadcastReport
              tenant={tenant}
              id={id}
              status={b.status}
              failed={progress?.counters.failed ?? 0}
            />
          ) : null}
          <dl className="row">
            <dt className="col-sm-4">{t("detail.created")}</dt>
            <dd className="col-sm-8">{date(b.createdAt)}</dd>
            <dt className="col-sm-4">{t("detail.sendAt")}</dt>
            <dd className="col-sm-8">{b.sendAt ? date(b.sendAt) : t("detail.asSoonAsPossible")}</dd>
            {b.startedAt ? (
              <>
                <dt className="col-sm-4">{t("detail.started")}</dt>
                <dd className="col-sm-8">{date(b.startedAt)}</dd>
              </>
            ) : null}
            {b.finishedAt ? (
              <>
                <dt className="col-sm-4">{t("detail.finished")}</dt>
                <dd className="col-sm-8">{date(b.finishedAt)}</dd>
              </>
            ) : null}
            <dt className="col-sm-4">{t("detail.topics")}</dt>
            <dd className="col-sm-8">
              {b.topics === "all"
                ? t("composer.topicsAll")
                : b.topics
                    .map((x) => info?.topics.find((topic) => topic.id === x)?.label ?? x)
                    .join(", ")}
            </dd>
          </dl>
          <div className="d-flex flex-wrap gap-3 mb-4">
            {editable && mayWrite ? (
              <>
                <Link className="btn btn-outline-primary" to={`/${tenant}/broadcasts/${id}/edit`}>
                  {t("detail.edit")}
                </Link>
                <Button
                  color="primary"
                  disabled={busy || check.blocks.length > 0}
                  onClick={() =>
                    void act(
                      () => call(api.POST("/api/tenants/{tenant}/broadcasts/{id}/submit", path)),
                      "submitted",
                    )
                  }
                >
                  {t("detail.submit")}
                </Button>
              </>
            ) : null}
            {b.status === "submitted" && mayApprove ? (
              <>
                <Button
                  color="primary"
                  disabled={busy || isAuthor || !allAcknowledged || otherBlocks.length > 0}
                  onClick={() =>
                    void act(
                      () =>
                        call(
                          api.POST("/api/tenants/{tenant}/broadcasts/{id}/approve", {
                            ...path,
                            body: {
                              acknowledged: [...acknowledged],
                              ...(needsDeclaration && (declared || justification.trim())
                                ? {
                                    declaration: {
                                      impersonal: declared,
                                      indispensable: declared,
                                      justification,
                                    },
                                  }
                                : {}),
                            },
                          }),
                        ),
                      "approved",
                    )
                  }
                >
                  {t("detail.approve")}
                </Button>
                <Button
                  color="danger"
                  outline
                  disabled={busy || isAuthor}
                  onClick={() => setRejecting(true)}
                >
                  {t("detail.reject")}
                </Button>
              </>
            ) : null}
            {pauseOrResume && mayApprove ? (
              <Button
                color="primary"
                outline={pauseOrResume === "pause"}
                disabled={busy}
                onClick={() =>
                  void act(() =>
                    call(api.POST(`/api/tenants/{tenant}/broadcasts/{id}/${pauseOrResume}`, path)),
                  )
                }
              >
                {t(`detail.${pauseOrResume}`)}
              </Button>
            ) : null}
            {!OVER.has(b.status) && (mayApprove || (mayWrite && editable)) ? (
              <Button color="danger" outline disabled={busy} onClick={() => setCancelling(true)}>
                {t("detail.cancel")}
              </Button>
            ) : null}
          </div>
          {b.status === "submitted" && mayApprove && isAuthor ? (
            <p className="small text-secondary">{t("detail.fourEyes")}</p>
          ) : null}
          {approving && !allAcknowledged ? (
            <p className="small text-secondary">{t("detail.approveNeedsAck")}</p>
          ) : null}
          {approving && otherBlocks.length > 0 ? (
            <p className="small text-secondary">{t("detail.approveBlocked")}</p>
          ) : null}
          {needsDeclaration ? (
            <fieldset
              className="border rounded p-3 mb-4"
              aria-describedby="election-why"
              data-testid="election-declaration"
            >
              <legend className="h6 float-none w-auto px-2 mb-2">
                {t("detail.electionTitle")}
              </legend>
              <p id="election-why" className="small">
                {pick(electionBlock?.todo)}
              </p>
              <CheckField
                label={t("detail.electionDeclare")}
                checked={declared}
                onChange={(e) => setDeclared(e.target.checked)}
              />
              <div className="mt-5">
                <TextAreaField
                  label={t("detail.electionJustification")}
                  rows={3}
                  value={justification}
                  maxLength={2000}
                  onChange={(e) => setJustification(e.target.value)}
                  help={t("detail.electionJustificationHelp", { min: JUSTIFICATION_MIN })}
                  after={t("detail.electionCounter", {
                    count: justificationLength,
                    min: JUSTIFICATION_MIN,
                  })}
                />
              </div>
              {electionProblems.map((d) => (
                <div key={d.field} className="invalid-feedback d-block mt-0" role="alert">
                  {d.problem}
                </div>
              ))}
            </fieldset>
          ) : null}
          {rejecting ? (
            <form onSubmit={reject} className="mb-4" noValidate>
              <TextAreaField
                label={t("detail.rejectReason")}
                rows={3}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                error={problem("reason")}
              />
              <div className="d-flex gap-3">
                <Button color="danger" type="submit" disabled={busy}>
                  {t("detail.rejectConfirm")}
                </Button>
                <Button color="secondary" outline type="button" onClick={() => setRejecting(false)}>
                  {t("detail.keep")}
                </Button>
              </div>
            </form>
          ) : null}
          {asApproved ? (
            <p className="small text-secondary mb-2">{t("detail.checkAtApproval")}</p>
          ) : null}
          <CheckPanel
            check={check}
            {...(b.status === "submitted" && mayApprove && !isAuthor
              ? {
                  acknowledged,
                  onAcknowledge: (warning: string, on: boolean) =>
                    setAcknowledged((s) => toggled(s, warning, on)),
                }
              : {})}
          />
        </div>
        <div className="col-12 col-lg-5">
          <WhatsAppPreview
            tenant={tenant}
            text={b.text}
            shape={{ media: query.data.media, urgent: b.urgent, topics: b.topics }}
          />
        </div>
      </div>
      <ConfirmDialog
        open={cancelling}
        title={t("detail.cancelConfirmTitle")}
        text={t("detail.cancelConfirmText")}
        confirmLabel={t("detail.cancel")}
        cancelLabel={t("detail.keep")}
        busy={busy}
        onConfirm={() =>
          void act(() => call(api.POST("/api/tenants/{tenant}/broadcasts/{id}/cancel", path))).then(
            () => setCancelling(false),
          )
        }
        onCancel={() => setCancelling(false)}
      />
    </>
  );
}
