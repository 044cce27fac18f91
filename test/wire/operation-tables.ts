/**
 * The Worker's two operation tables (src/data/operations.ts, src/s3/operations.ts), loaded at run
 * time so that the forgery tables can derive their coverage from them: a new row without forgery
 * cases fails those tests. The modules are typed for workerd, not Node, so they are imported by a
 * computed path (not type-checked here) and read through the few fields the tests need.
 */
export interface TableRow {
  name: string;
  method: string;
  credentials: readonly string[];
  rights: readonly (readonly [string, string])[];
  rootOnly?: boolean;
}

const load = (relative: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ new URL(relative, import.meta.url).href);

/** Names of the rows of each table, in table order. */
export async function operationTables(): Promise<{ ufile: TableRow[]; s3: TableRow[] }> {
  const [ufile, s3] = await Promise.all([load("../../src/data/operations.ts"), load("../../src/s3/operations.ts")]);
  return { ufile: ufile.OPERATIONS as TableRow[], s3: s3.S3_OPERATIONS as TableRow[] };
}
