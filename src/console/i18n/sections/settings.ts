/**
 * The console's texts of its settings pages, Italian and English (same keys), joined into the
 * catalogue by it.ts and en.ts.
 */
export const settings = {
  it: {
    placeholder: "In preparazione",
  },
  en: {
    placeholder: "Being prepared",
  },
} as const;
