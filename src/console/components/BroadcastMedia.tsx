import { Button } from "design-react-kit";
import { useId, useRef, useState } from "react";
import { api, ApiError, call } from "../api/client";
import type { paths } from "../api/schema";
import { useI18n, type Lang, type Translate } from "../i18n";

export type MediaInfo =
  paths["/api/tenants/{tenant}/media"]["post"]["responses"]["201"]["content"]["application/json"]["media"];
export type MediaKind = MediaInfo["kind"];

const MB = 1024 * 1024;

/**
 * WhatsApp's table of the files a broadcast may carry (the server's policy/media-check.ts, which
 * decides): checked here before the upload, so a wrong file is refused at once, without sending
 * 100 MB for nothing.
 */
export const MEDIA_RULES: Readonly<Record<MediaKind, { maxBytes: number; mimeTypes: string[] }>> = {
  image: { maxBytes: 5 * MB, mimeTypes: ["image/jpeg", "image/png"] },
  video: { maxBytes: 16 * MB, mimeTypes: ["video/mp4", "video/3gpp"] },
  document: {
    maxBytes: 100 * MB,
    mimeTypes: [
      "text/plain",
      "application/pdf",
      "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.ms-powerpoint",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
  },
};

const ACCEPT = Object.values(MEDIA_RULES)
  .flatMap((r) => r.mimeTypes)
  .join(",");

export function mediaKindOf(mimeType: string): MediaKind | undefined {
  const mime = mimeType.toLowerCase();
  return (Object.keys(MEDIA_RULES) as MediaKind[]).find((k) =>
    MEDIA_RULES[k].mimeTypes.includes(mime),
  );
}

/** "1,5 MB", "820 kB": a size as staff read it. */
export function formatSize(bytes: number, lang: Lang): string {
  const locale = lang === "it" ? "it-IT" : "en-GB";
  if (bytes < MB) {
    return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(Math.max(1, bytes / 1024))} kB`;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(bytes / MB)} MB`;
}

/** What is wrong with the file before it is sent, in the user's language; undefined when fine. */
export function problemOf(file: File, t: Translate, lang: Lang): string | undefined {
  const kind = mediaKindOf(file.type);
  if (!kind) return t("composer.mediaTypeRefused");
  if (file.size === 0) return t("composer.mediaEmpty");
  const rule = MEDIA_RULES[kind];
  if (file.size > rule.maxBytes) {
    return t("composer.mediaTooBig", {
      size: formatSize(file.size, lang),
      max: formatSize(rule.maxBytes, lang),
      kind: t(`composer.mediaKinds.${kind}`),
    });
  }
  return undefined;
}

/**
 * The broadcast's file: chosen, checked here (type and size), uploaded as it is; the server's
 * refusal, if any, shown under the field. Once uploaded it shows its name and size and may be
 * removed; the draft names it when saved.
 */
export function BroadcastMediaField({
  tenant,
  media,
  saved,
  onChange,
  error,
}: {
  tenant: string;
  media: MediaInfo | null;
  /** The saved draft names this file already. */
  saved: boolean;
  onChange: (media: MediaInfo | null) => void;
  /** The server's problem with the draft's file (body.mediaId). */
  error?: string | undefined;
}) {
  const { t, lang } = useI18n();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string>("");
  const [uploading, setUploading] = useState(false);

  const upload = async (file: File) => {
    setProblem("");
    const local = problemOf(file, t, lang);
    if (local) {
      setProblem(local);
      return;
    }
    setUploading(true);
    try {
      const answer = await call(
        api.POST("/api/tenants/{tenant}/media", {
          params: { path: { tenant }, query: { filename: file.name.slice(0, 240) } },
          // The file itself is the body, its type in Content-Type (the route reads it raw).
          body: file as never,
          bodySerializer: (body: unknown) => body as BodyInit,
          headers: { "content-type": file.type },
        }),
      );
      onChange(answer.media);
    } catch (caught) {
      setProblem(
        caught instanceof ApiError
          ? (caught.problemWith("body") ?? (caught.message || t("app.genericError")))
          : t("app.genericError"),
      );
    } finally {
      setUploading(false);
      if (input.current) input.current.value = "";
    }
  };

  const shown = problem || error;
  const describedBy = [`${id}-help`, media ? `${id}-file` : "", shown ? `${id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <div className="mb-4">
      <div id={`${id}-title`} className="fw-semibold small mb-2">
        {t("composer.media")}
      </div>
      {/* Bootstrap Italia's upload button: the browser's own would speak the browser's language. */}
      <input
        ref={input}
        id={id}
        type="file"
        className="upload"
        accept={ACCEPT}
        disabled={uploading}
        aria-labelledby={`${id}-title ${id}-button`}
        aria-invalid={shown ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) void upload(file);
        }}
      />
      <label id={`${id}-button`} htmlFor={id}>
        {media ? t("composer.mediaReplace") : t("composer.mediaChoose")}
      </label>
      <div id={`${id}-help`} className="form-text">
        {t("composer.mediaHelp")}
      </div>
      <div aria-live="polite">
        {uploading ? <p className="small mb-0 mt-2">{t("composer.mediaUploading")}</p> : null}
        {media && !uploading ? (
          <div className="d-flex flex-wrap align-items-center gap-3 mt-2">
            <span id={`${id}-file`} className="small" data-testid="media-file">
              {t(saved ? "composer.mediaAttached" : "composer.mediaUploaded", {
                name: media.filename ?? t(`composer.mediaKinds.${media.kind}`),
                size: formatSize(media.sizeBytes, lang),
              })}
            </span>
            <Button color="secondary" outline size="xs" onClick={() => onChange(null)}>
              {t("composer.mediaRemove")}
            </Button>
          </div>
        ) : null}
      </div>
      {shown ? (
        <div id={`${id}-error`} className="invalid-feedback d-block" role="alert">
          {shown}
        </div>
      ) : null}
    </div>
  );
}
