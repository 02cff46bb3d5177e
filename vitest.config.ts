import { defineConfig } from "vitest/config";

/**
 * Two groups, one after the other. Most files run two at a time (one per core: they wait on the
 * embedded DynamoDB as much as they compute). Files that time a real browser or a whole `npm start`,
 * that hold a rule to a wall-clock bound (a line drained within 2 s, an answer before its deadline,
 * linear-time parsing), or that read the SES emulator's shared mail store, run alone after them.
 */
const ALONE = [
  "test/browser/**/*.test.ts",
  "test/e2e/**/*.test.ts",
  "test/integration/attachments.test.ts",
  "test/integration/inbound-email.test.ts",
  "test/integration/waiting-line.test.ts",
  "test/integration/deadline.test.ts",
  "test/unit/mime-html.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: ["test/bench/**", "node_modules/**", ...ALONE],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: "alone", include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
