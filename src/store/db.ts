import { drizzle } from "drizzle-orm/d1";
import * as schema from "../../schema/schema";

export type Database = ReturnType<typeof database>;

/** The Drizzle handle on the D1 binding. Cheap to create; one per request. */
export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}

export { schema };
