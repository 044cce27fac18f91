import { defineConfig } from "drizzle-kit";

// Generates SQL migrations only; wrangler applies them. Never `drizzle-kit push/migrate` on D1.
export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/schema.ts",
  out: "./schema/migrations",
});
