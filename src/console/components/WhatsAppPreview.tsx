import { useQuery } from "@tanstack/react-query";
import { api, ApiError, call } from "../api/client";
import { useI18n } from "../i18n";
import { useTenants } from "../lib/session";
import { formatSize, type MediaInfo } from "./BroadcastMedia";

/** What chooses the template: the file's kind, and whether it is a service notice. */
export interface PreviewShape {
  media: MediaInfo | null;
  urgent: boolean;
  topics: "all" | string[];
}

/** The file in the header as WhatsApp draws it: the picture itself, a document's card, a video. */
function HeaderMedia({
  tenant,
  format,
  media,
}: {
  tenant: string;
  format: string;
  media: MediaInfo | null;
}) {
  const { t, lang } = useI18n();
  const kind = format.toLowerCase();
  if (media && media.kind === kind && kind === "image") {
    return (
      <img
        className="wa-bubble__image"
        src={`/api/tenants/${tenant}/media/${media.id}`}
        alt={t("composer.previewImageAlt", { name: media.filename ?? "" })}
        data-testid="wa-image"
      />
    );
  }
  if (media && media.kind === kind && kind === "document") {
    const extension = (media.filename?.split(".").pop() ?? "").toUpperCase();
    return (
      <div className="wa-bubble__document" data-testid="wa-document">
        <span className="wa-bubble__document-icon" aria-hidden="true">
          {extension.slice(0, 4) || "DOC"}
        </span>
        <span>
          <span className="d-block fw-semibold">
            {media.filename ?? t("composer.previewDocument")}
          </span>
          <span className="small">{formatSize(media.sizeBytes, lang)}</span>
        </span>
      </div>
    );
  }
  if (media && media.kind === kind && kind === "video") {
    return (
      <div className="wa-bubble__video" data-testid="wa-video">
        <span aria-hidden="true">▶</span> {media.filename ?? t("composer.previewVideo")}
      </div>
    );
  }
  // The template shows a file the broadcast does not have yet: where it will go.
  return <div className="wa-bubble__placeholder">{t("composer.previewMediaMissing")}</div>;
}

/**
 * The broadcast as the citizen's phone shows it: the template approval would choose for its
 * shape (its file, urgent, its topics), from the comune's templates on WhatsApp, in a chat
 * bubble: the header (text, or the picture or document), the text in place of its parameter,
 * the footer and the buttons; under the heading "Anteprima".
 */
export function WhatsAppPreview({
  tenant,
  text,
  shape,
}: {
  tenant: string;
  text: string;
  shape: PreviewShape;
}) {
  const { t } = useI18n();
  const tenants = useTenants();
  // The chat's name: the comune's service as WhatsApp shows it.
  const serviceName = tenants.data?.tenants.find((x) => x.slug === tenant)?.serviceName ?? tenant;
  const topics = shape.topics === "all" ? "" : [...shape.topics].sort().join(",");
  const template = useQuery({
    queryKey: ["template", tenant, shape.media?.kind ?? "", shape.urgent, topics],
    queryFn: () =>
      call(
        api.GET("/api/tenants/{tenant}/broadcast-template", {
          params: {
            path: { tenant },
            query: {
              ...(shape.media ? { media: shape.media.kind } : {}),
              ...(shape.urgent ? { urgent: "true" as const } : {}),
              ...(topics ? { topics } : {}),
            },
          },
        }),
      ),
    staleTime: 5 * 60_000,
    retry: false,
    placeholderData: (previous) => previous,
  });
  const body = template.data?.body ?? "{{1}}";
  const [before = "", after = ""] = body.split(/\{\{\s*1\s*\}\}/);
  const header = template.data?.header;
  const time = new Intl.DateTimeFormat("it-IT", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "Europe/Rome",
  }).format(new Date());
  const refusal =
    template.error instanceof ApiError && template.error.message
      ? template.error.message
      : template.error
        ? t("app.genericError")
        : "";
  return (
    <>
      <h2 className="h5">{t("composer.preview")}</h2>
      <figure className="wa-phone mb-0" aria-labelledby="wa-preview-caption">
        <figcaption id="wa-preview-caption" className="visually-hidden">
          {t("composer.preview")}
        </figcaption>
        <div className="wa-phone__bar">
          <span className="wa-phone__avatar" aria-hidden="true">
            {serviceName.slice(0, 1)}
          </span>
          <span className="wa-phone__name">{serviceName}</span>
        </div>
        <div className="wa-phone__chat">
          {refusal ? (
            <p className="alert alert-warning small mb-3" role="status">
              {refusal}
            </p>
          ) : null}
          <div className="wa-bubble" data-testid="wa-bubble">
            {header && header.format !== "TEXT" ? (
              <HeaderMedia tenant={tenant} format={header.format} media={shape.media} />
            ) : null}
            {header?.format === "TEXT" && header.text ? (
              <p className="wa-bubble__header">{header.text}</p>
            ) : null}
            <p className="wa-bubble__body">
              {before}
              {text.trim() ? (
                <span>{text}</span>
              ) : (
                <em className="wa-bubble__empty">{t("composer.previewEmpty")}</em>
              )}
              {after}
            </p>
            {template.data?.footer ? (
              <p className="wa-bubble__footer">{template.data.footer}</p>
            ) : null}
            <span className="wa-bubble__time">{time}</span>
            {template.data?.buttons.length ? (
              <div className="wa-bubble__buttons">
                {template.data.buttons.map((label) => (
                  <span key={label} className="wa-bubble__button">
                    {label}
                  </span>
                ))}
              </div>
            ) : null}
          </div>
        </div>
        {template.data && !refusal ? (
          <p className="small text-secondary mt-2 mb-0 px-2 pb-2" data-testid="wa-template">
            {t("composer.previewNote", { template: template.data.name })}
          </p>
        ) : null}
      </figure>
    </>
  );
}
