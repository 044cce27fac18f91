import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useT } from "../lib/i18n";
import { EmptyState } from "./widgets";

/**
 * The one list table of the console (buckets, tokens, rules, usage, files): a head whose sortable
 * columns sort on click (aria-sort says the order), a loading row until the rows arrive, and the
 * screen's empty state with its first step when there are none. The head stays on screen in every
 * state, so the page does not jump when the rows arrive.
 *
 *   <DataTable caption="Buckets" columns={cols} rows={list} empty={{ title, step }} actions={(b) => <button/>} />
 *
 * Files.tsx, whose rows mix folders and files and carry a selection and a keyboard cursor, builds its
 * body itself from the same parts: useSort, TableHead and StateRow.
 */

export interface Column<R> {
  /** Names the column in the sort state. */
  id: string;
  label: string;
  /** Classes of the head and the cells: `num` (figures, right-aligned), `hide-narrow` (not on a phone). */
  cls?: string;
  /** Orders two rows ascending; a column with one gets a sortable head. */
  compare?: (a: R, b: R) => number;
  cell: (row: R) => ComponentChildren;
}

export interface Sort {
  id: string;
  dir: 1 | -1;
}

/** Rows in the order of the clicked head (as given until one is clicked); a second click reverses it. */
export function useSort<R>(columns: Column<R>[], rows: R[] | null) {
  const [sort, setSort] = useState<Sort | null>(null);
  const compare = sort && columns.find((c) => c.id === sort.id)?.compare;
  const sorted = rows && compare ? [...rows].sort((a, b) => sort.dir * compare(a, b)) : rows;
  const toggle = (id: string) => setSort({ id, dir: sort?.id === id && sort.dir === 1 ? -1 : 1 });
  return { sort, sorted, toggle };
}

/** The head row: `lead` (a select-all box, say), the columns, then an unlabelled actions column when `actions`. */
export function TableHead<R>(props: { columns: Column<R>[]; sort: Sort | null; onSort: (id: string) => void; lead?: ComponentChildren; actions?: boolean }) {
  const { t } = useT();
  return (
    <thead>
      <tr>
        {props.lead !== undefined && (
          <th scope="col" class="check-col">
            {props.lead}
          </th>
        )}
        {props.columns.map((c) => {
          const dir = props.sort?.id === c.id ? props.sort.dir : 0;
          if (!c.compare)
            return (
              <th scope="col" class={c.cls}>
                {c.label}
              </th>
            );
          return (
            <th scope="col" class={c.cls} aria-sort={dir === 1 ? "ascending" : dir === -1 ? "descending" : "none"}>
              <button type="button" class="sort" onClick={() => props.onSort(c.id)}>
                {c.label}
                <span aria-hidden="true" class="sort-mark">
                  {dir === 1 ? "▲" : dir === -1 ? "▼" : "↕"}
                </span>
              </button>
            </th>
          );
        })}
        {props.actions && (
          <th scope="col">
            <span class="sr-only">{t("common.actions")}</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** One row across the whole table: the loading line, or the empty state and its first step. */
export function StateRow(props: { span: number; empty?: { title: string; step: string } }) {
  const { t } = useT();
  return (
    <tr class="state-row">
      <td colSpan={props.span}>{props.empty ? <EmptyState title={props.empty.title} step={props.empty.step} /> : <p aria-busy="true">{t("common.loading")}</p>}</td>
    </tr>
  );
}

export function DataTable<R>(props: {
  caption: string;
  columns: Column<R>[];
  /** null while loading. */
  rows: R[] | null;
  empty: { title: string; step: string };
  /** The row's buttons and links, in a last, unlabelled column. */
  actions?: (row: R) => ComponentChildren;
  /**
   * What identifies the row: a sorted list moves rows, and a row keyed by position would hand its
   * focused button to whichever row lands there after a reload.
   */
  rowKey: (row: R) => string | number;
}) {
  const { sort, sorted, toggle } = useSort(props.columns, props.rows);
  const span = props.columns.length + (props.actions ? 1 : 0);
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <TableHead columns={props.columns} sort={sort} onSort={toggle} actions={!!props.actions} />
        <tbody>
          {sorted === null ? (
            <StateRow span={span} />
          ) : sorted.length === 0 ? (
            <StateRow span={span} empty={props.empty} />
          ) : (
            sorted.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((c, i) =>
                  // The first column names the row.
                  i === 0 ? (
                    <th scope="row" class={c.cls}>
                      {c.cell(row)}
                    </th>
                  ) : (
                    <td class={c.cls}>{c.cell(row)}</td>
                  ),
                )}
                {props.actions && (
                  <td>
                    <div class="row-actions">{props.actions(row)}</div>
                  </td>
                )}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Comparators for Column.compare. */
export const byText =
  <R,>(get: (r: R) => string) =>
  (a: R, b: R) =>
    get(a).localeCompare(get(b));
export const byNumber =
  <R,>(get: (r: R) => number) =>
  (a: R, b: R) =>
    get(a) - get(b);
