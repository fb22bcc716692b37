import { useEffect, useId, useRef, type ReactNode } from "react";

/**
 * A framed block of an admin page with its own heading (a region for screen readers): a
 * one-time secret, the chain check, a notice. Bootstrap Italia's callouts set their text in
 * Lora capitals, which suits an article, not a form; this keeps the console's type.
 */
export function AdminBox({
  title,
  tone = "secondary",
  focus = false,
  level = 2,
  children,
  testId,
  minHeight,
}: {
  title: string;
  tone?: "success" | "warning" | "danger" | "primary" | "secondary";
  /** Move the focus to the heading when shown (a result the person just asked for). */
  focus?: boolean;
  level?: 2 | 3;
  children: ReactNode;
  testId?: string;
  minHeight?: string;
}) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) heading.current?.focus();
  }, [focus]);
  const Heading = level === 2 ? "h2" : "h3";
  return (
    <section
      className={`border border-2 border-${tone} rounded p-3 p-md-4 mb-4`}
      aria-labelledby={id}
      data-testid={testId}
      style={minHeight ? { minHeight } : undefined}
    >
      <Heading id={id} ref={heading} tabIndex={focus ? -1 : undefined} className="h5 mb-3">
        {title}
      </Heading>
      {children}
    </section>
  );
}
