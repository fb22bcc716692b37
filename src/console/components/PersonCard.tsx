import { Button } from "design-react-kit";
import type { ReactNode, RefObject } from "react";

/**
 * One person opened from a list, as a card: the heading (which the caller focuses once open)
 * with what goes under it, the button that closes the card beside them, the card's body, and
 * after the card's body its dialogs.
 */
export function PersonCard({
  className,
  testId,
  headingRef,
  title,
  under,
  closeLabel,
  onClose,
  dialogs,
  children,
}: {
  /** Beside "card card-bg shadow-sm": spacing, corners. */
  className: string;
  testId: string;
  headingRef: RefObject<HTMLHeadingElement>;
  title: ReactNode;
  /** Under the heading, e.g. the person's e-mail. */
  under?: ReactNode;
  closeLabel: string;
  onClose: () => void;
  dialogs: ReactNode;
  children: ReactNode;
}) {
  const heading = (
    <h2 id="person-title" className="h4 mb-0" ref={headingRef} tabIndex={-1}>
      {title}
    </h2>
  );
  return (
    <section
      className={`card card-bg shadow-sm ${className}`}
      aria-labelledby="person-title"
      data-testid={testId}
    >
      <div className="card-body">
        <div className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3">
          {under ? (
            <div>
              {heading}
              {under}
            </div>
          ) : (
            heading
          )}
          <Button color="secondary" outline size="sm" onClick={onClose}>
            {closeLabel}
          </Button>
        </div>
        {children}
      </div>
      {dialogs}
    </section>
  );
}
