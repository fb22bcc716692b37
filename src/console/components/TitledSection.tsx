import type { ReactNode } from "react";

/**
 * A part of a page under its own heading, which names it for screen readers (the section is
 * labelled by the heading).
 */
export function TitledSection({
  id,
  title,
  headingClassName = "h4",
  className,
  testId,
  children,
}: {
  /** The heading's id: unique on the page. */
  id: string;
  title: ReactNode;
  /** The heading's look: "h4", "h5", or "visually-hidden" for a heading only read out. */
  headingClassName?: string;
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={id} className={className} data-testid={testId}>
      <h2 id={id} className={headingClassName}>
        {title}
      </h2>
      {children}
    </section>
  );
}
