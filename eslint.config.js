// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "data/",
      "coverage/",
      "node_modules/",
      "bin/",
      "src/console/api/schema.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      eqeqeq: ["error", "always"],
    },
  },
  {
    // A module reaches another module only through its *.service.ts exports.
    files: ["src/server/modules/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "../*/*.repository.js",
                "../*/*.repository",
                "../../*/*.repository.js",
                "../../*/*.repository",
              ],
              message: "Call the other module's *.service.ts, not its repository.",
            },
          ],
        },
      ],
    },
  },
  {
    // Outside the modules (start-up, the CLI, the test helpers) staff and audit are reached
    // through their services too: their tables have rules (sessions, the chain) only they keep.
    files: ["src/**/*.ts"],
    ignores: ["src/server/modules/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/modules/staff/*.repository*", "**/modules/audit/*.repository*"],
              message: "Call the module's *.service.ts, not its repository.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Node scripts run before anything is compiled (scripts/build-console.js).
    files: ["scripts/**/*.js"],
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
  },
  {
    // The console runs in the browser and reaches the server only over HTTP (its typed client).
    files: ["src/console/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["**/server/**"], message: "The console calls the API, not server code." },
          ],
        },
      ],
    },
  },
);
