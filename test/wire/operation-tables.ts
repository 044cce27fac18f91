/**
 * The operation names of the Worker's two tables, for the forgery tables to derive their coverage
 * from: a new operation without forgery cases fails those tests. The names come from the tables'
 * leaf modules (src/data/operation-spec.ts, src/s3/operation-spec.ts), whose lists test/scope.test.ts
 * holds equal to the tables' rows (the tables themselves import workerd-only modules). The modules
 * are typed for workerd, not Node, so they are imported by a computed path and read as name lists.
 */
const load = (relative: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ new URL(relative, import.meta.url).href);

/** The operation names of each table. */
export async function operationNames(): Promise<{ ufile: string[]; s3: string[] }> {
  const [ufile, s3] = await Promise.all([load("../../src/data/operation-spec.ts"), load("../../src/s3/operation-spec.ts")]);
  return { ufile: [...(ufile.OPERATION_NAMES as string[])], s3: [...(s3.S3_OPERATION_NAMES as string[])] };
}
