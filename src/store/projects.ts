import { eq } from "drizzle-orm";
import { projects } from "../../schema/schema";
import type { Database } from "./db";

/**
 * Whether a project exists (its row is written the first time a bucket or token is created in it).
 * Projects are the accounts S3 clients see: a canonical id an ACL grants to must name one.
 */
export async function projectExists(db: Database, id: string): Promise<boolean> {
  return (await db.select({ id: projects.id }).from(projects).where(eq(projects.id, id)).get()) !== undefined;
}
