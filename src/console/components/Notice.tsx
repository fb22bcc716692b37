import { Alert } from "design-react-kit";

/** What the person's last action did ("Salvato"), announced politely; nothing while it is "". */
export function Notice({ text, testId }: { text: string; testId?: string }) {
  if (!text) return null;
  return (
    <Alert color="success" role="status" data-testid={testId}>
      {text}
    </Alert>
  );
}
