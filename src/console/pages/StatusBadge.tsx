const COLOURS: Record<string, string> = {
  draft: "secondary",
  submitted: "warning",
  approved: "primary",
  scheduled: "primary",
  sending: "primary",
  paused: "warning",
  needs_attention: "danger",
  sent: "success",
  cancelled: "secondary",
  rejected: "danger",
};

/** A status as the API labels it in the user's language, coloured by what it asks of staff. */
export function StatusBadge({ status, label }: { status: string; label: string }) {
  const colour = COLOURS[status] ?? "secondary";
  // Bootstrap Italia's warning yellow needs dark text to read at AA contrast.
  const text = colour === "warning" ? " text-dark" : "";
  return (
    <span className={`badge bg-${colour}${text}`} data-status={status}>
      {label}
    </span>
  );
}
