import { useQuery } from "@tanstack/react-query";
import { api, call } from "../api/client";
import { useI18n } from "../i18n";

/**
 * The broadcast as the citizen's phone shows it: the comune's template (from WhatsApp, through
 * the API) in a chat bubble, the text in place of its parameter, the footer and the buttons.
 */
export function WhatsAppPreview({
  tenant,
  serviceName,
  text,
}: {
  tenant: string;
  serviceName: string;
  text: string;
}) {
  const { t } = useI18n();
  const template = useQuery({
    queryKey: ["template", tenant],
    queryFn: () =>
      call(api.GET("/api/tenants/{tenant}/broadcast-template", { params: { path: { tenant } } })),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const body = template.data?.body ?? "{{1}}";
  const [before = "", after = ""] = body.split(/\{\{\s*1\s*\}\}/);
  const time = new Intl.DateTimeFormat("it-IT", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "Europe/Rome",
  }).format(new Date());
  return (
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
        <div className="wa-bubble" data-testid="wa-bubble">
          {template.data?.header?.text ? (
            <p className="wa-bubble__header">{template.data.header.text}</p>
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
      {template.data ? (
        <p className="small text-secondary mt-2 mb-0">
          {t("composer.previewNote", { template: template.data.name })}
        </p>
      ) : null}
    </figure>
  );
}
