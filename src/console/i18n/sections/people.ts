/**
 * The console's texts of its people pages, Italian and English (same keys), joined into the
 * catalogue by it.ts and en.ts.
 */
export const people = {
  it: {
    placeholder: "In preparazione",
  },
  en: {
    placeholder: "Being prepared",
  },
} as const;
