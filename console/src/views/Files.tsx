import { useEffect, useRef, useState } from "preact/hooks";
import { DOWNLOAD_LIMIT, eachLimited, listAllMatching, SELECT_ALL_LIMIT } from "../lib/bulk";
import type { ListObjectsResult, ObjectEntry } from "../lib/api";
import { filesPath, go, useApp } from "../lib/context";
import { explain, isScopeRefusal } from "../lib/explain";
import { download } from "../lib/download";
import { baseName, bytes, count, dateTime, fileType } from "../lib/format";
import { useT } from "../lib/i18n";
import { type Column, StateRow, TableHead, useSort } from "../ui/DataTable";
import { Confirm, ErrorBox, Notice } from "../ui/widgets";
import { RenameDialog, ShareLinkDialog } from "./FileActions";
import { ShortcutsDialog, useFileShortcuts } from "./FileShortcuts";
import { ObjectDetails } from "./ObjectDetails";

/**
 * One folder of a bucket: ListObjects with delimiter `/`, a page at a time (NextMarker), so a
 * folder of 100,000 keys costs one small request per page. The filter narrows the listing
 * prefix; uploads go into the folder shown. The selection is kept across pages (and filters)
 * until another folder is opened; the keyboard shortcuts are in FileShortcuts.tsx.
 */
const PAGE_SIZES = [50, 100, 500, 1000];

/** Files and folders dropped on the page, with paths relative to the drop (folders walked). */
async function droppedFiles(dt: DataTransfer): Promise<{ file: File; path: string }[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return [...dt.files].map((file) => ({ file, path: file.name }));
  const out: { file: File; path: string }[] = [];
  const walk = async (entry: FileSystemEntry, dir: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ file, path: dir + entry.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries answers in batches: call until empty.
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, dir + entry.name + "/");
      }
    }
  };
  for (const e of entries) await walk(e, "");
  return out;
}

const byKey = (a: ObjectEntry, b: ObjectEntry) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0);
/** A column order, then by key: equal sizes (or types, classes, times) keep a stable order. */
const thenByKey =
  (compare: (a: ObjectEntry, b: ObjectEntry) => number) =>
  (a: ObjectEntry, b: ObjectEntry): number =>
    compare(a, b) || byKey(a, b);

/** The row a focused control is in (rows carry data-row: folders first, then files). */
const rowOf = (el: Element) => Number((el.closest("[data-row]") as HTMLElement | null)?.dataset.row ?? -1);

export function Files(props: { bucket: string; prefix: string }) {
  const { t, lang } = useT();
  const ctx = useApp();
  const client = ctx.bucket(props.bucket);
  const [pageSize, setPageSize] = useState(100);
  const [filter, setFilter] = useState("");
  const [markers, setMarkers] = useState<string[]>([""]);
  const [page, setPage] = useState<ListObjectsResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [scopeHint, setScopeHint] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  // Selected files by key, kept across pages; "select all matching" fills it from every page.
  const [selected, setSelected] = useState<Map<string, ObjectEntry>>(new Map());
  const [allMatching, setAllMatching] = useState<{ prefix: string; more: boolean } | null>(null);
  const [selecting, setSelecting] = useState<number | null>(null);
  const [details, setDetails] = useState<ObjectEntry | null>(null);
  const [pendingDelete, setPendingDelete] = useState<ObjectEntry[] | null>(null);
  const [share, setShare] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [showKeys, setShowKeys] = useState(false);
  const [cursor, setCursor] = useState(-1);
  const [dragging, setDragging] = useState(false);
  const [newFolder, setNewFolder] = useState("");
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const tableBody = useRef<HTMLTableSectionElement>(null);
  const marker = markers[markers.length - 1];

  const load = async (m = marker) => {
    setError(null);
    setScopeHint(false);
    try {
      setPage(await client.list(props.prefix + filter, m, pageSize));
    } catch (e) {
      setPage(null);
      setError(explain(t, e));
      setScopeHint(isScopeRefusal(e));
    }
    setCursor(-1);
  };

  // Another folder starts with nothing selected.
  useEffect(() => {
    setSelected(new Map());
    setAllMatching(null);
  }, [props.bucket, props.prefix]);

  // A new folder, filter or page size starts again at the first page.
  useEffect(() => {
    setMarkers([""]);
    void load("");
  }, [props.bucket, props.prefix, filter, pageSize]);

  useEffect(() => {
    ctx.uploads.onFinished = (bucket) => bucket === props.bucket && void load();
    return () => (ctx.uploads.onFinished = undefined);
  });

  const upload = (files: { file: File; path: string }[]) => {
    if (files.length === 0) return;
    ctx.uploads.add(
      props.bucket,
      files.map(({ file, path }) => ({ file, key: props.prefix + path })),
    );
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (e.dataTransfer) upload(await droppedFiles(e.dataTransfer));
  };

  const nextPage = () => {
    if (!page?.NextMarker) return;
    setMarkers([...markers, page.NextMarker]);
    void load(page.NextMarker);
  };
  const previousPage = () => {
    const rest = markers.slice(0, -1);
    setMarkers(rest);
    void load(rest[rest.length - 1]);
  };

  const select = (entries: ObjectEntry[], on: boolean) => {
    const next = new Map(selected);
    for (const f of entries) {
      if (on) next.set(f.Key, f);
      else next.delete(f.Key);
    }
    setSelected(next);
    if (!on) setAllMatching(null);
  };

  const selectAllMatching = async () => {
    const prefix = props.prefix + filter;
    setError(null);
    setStatus(null);
    setSelecting(0);
    try {
      const { files, more } = await listAllMatching(client, prefix, SELECT_ALL_LIMIT, setSelecting);
      const next = new Map(selected);
      for (const f of files) next.set(f.Key, f);
      setSelected(next);
      setAllMatching({ prefix, more });
    } catch (e) {
      setError(explain(t, e));
    }
    setSelecting(null);
  };

  const clearSelection = () => {
    setStatus(null);
    setSelected(new Map());
    setAllMatching(null);
  };

  const deleteFiles = async (entries: ObjectEntry[]) => {
    setPendingDelete(null);
    setError(null);
    const keys = entries.map((f) => f.Key);
    setStatus(t("files.deleting", { done: 0, n: count(keys.length, lang) }));
    // Four at a time: quick for a page of keys, gentle on the service.
    const { failed, firstError } = await eachLimited(keys, 4, (key) => client.delete(key), (done) =>
      setStatus(t("files.deleting", { done: count(done, lang), n: count(keys.length, lang) })),
    );
    // What was deleted leaves the selection; what failed stays selected, to retry.
    const next = new Map(selected);
    for (const key of keys) if (!failed.includes(key)) next.delete(key);
    setSelected(next);
    setAllMatching(null);
    setStatus(
      failed.length === 0 ? t("files.deletedN", { n: count(keys.length, lang) }) : t("files.deletedOf", { n: count(keys.length - failed.length, lang), of: count(keys.length, lang) }),
    );
    if (firstError) setError(`${t("files.deleteFailed", { keys: failed.slice(0, 20).join(", ") + (failed.length > 20 ? " …" : "") })} ${explain(t, firstError)}`);
    await load();
  };

  const downloadSelected = async () => {
    const keys = [...selected.keys()];
    setError(null);
    let started = 0;
    for (const key of keys) {
      try {
        await download(client, key);
        started++;
      } catch (e) {
        setError(explain(t, e));
      }
      // One at a time, so that the browser sees separate downloads.
      await new Promise((r) => setTimeout(r, 250));
    }
    setStatus(t("files.downloadsStarted", { n: started, of: keys.length }));
  };

  const createFolder = async (e: Event) => {
    e.preventDefault();
    const name = newFolder.trim().replace(/^\/+|\/+$/g, "");
    if (!name) return;
    try {
      // A folder is a key prefix; an empty object `name/` keeps it visible while it holds nothing.
      await client.request({ method: "PUT", key: `${props.prefix}${name}/`, headers: { "Content-Type": "application/x-directory" }, body: new Blob([]) });
      setNewFolder("");
      go(filesPath(props.bucket, `${props.prefix}${name}/`));
    } catch (err) {
      setError(explain(t, err));
    }
  };

  const crumbs = props.prefix.split("/").filter(Boolean);
  // The server lists by key; a column sort orders the page shown (folders stay first).
  const columns: Column<ObjectEntry>[] = [
    {
      id: "name",
      label: t("files.name"),
      compare: byKey,
      cell: (f) => (
        <button type="button" class="link row-open" onClick={() => setDetails(f)} onFocus={(e) => setCursor(rowOf(e.currentTarget))}>
          {baseName(f.Key)}
        </button>
      ),
    },
    { id: "type", label: t("files.type"), cls: "hide-narrow", compare: thenByKey((a, b) => fileType(a.MimeType, a.Key).localeCompare(fileType(b.MimeType, b.Key))), cell: (f) => fileType(f.MimeType, f.Key) },
    { id: "size", label: t("files.size"), cls: "num", compare: thenByKey((a, b) => Number(a.Size) - Number(b.Size)), cell: (f) => bytes(Number(f.Size)) },
    { id: "class", label: t("files.class"), cls: "hide-narrow", compare: thenByKey((a, b) => a.StorageClass.localeCompare(b.StorageClass)), cell: (f) => t(`class.${f.StorageClass}`) },
    { id: "modified", label: t("files.modified"), cls: "hide-narrow nowrap", compare: thenByKey((a, b) => a.LastModified - b.LastModified), cell: (f) => dateTime(f.LastModified, lang) },
  ];
  const { sort, sorted, toggle } = useSort(columns, page?.Contents ?? null);
  const files = sorted ?? [];
  const folders = page?.CommonPrefixes ?? [];
  const allSelected = files.length > 0 && files.every((f) => selected.has(f.Key));
  const onPage = files.filter((f) => selected.has(f.Key)).length;
  const morePages = !!page && (page.IsTruncated || markers.length > 1);

  // Keyboard: the cursor walks the rows (folders, then files) and focuses each row's name.
  const rowCount = folders.length + files.length;
  const focusRow = (i: number) => tableBody.current?.querySelector<HTMLElement>(`[data-row="${i}"] .row-open`)?.focus();
  const cursorRow = () => {
    const focused = document.activeElement ? rowOf(document.activeElement) : -1;
    return focused >= 0 ? focused : cursor;
  };
  const fileAt = (i: number) => (i >= folders.length ? files[i - folders.length] : undefined);
  useFileShortcuts({
    move: (step) => {
      if (rowCount === 0) return;
      const i = Math.max(0, Math.min(rowCount - 1, cursorRow() + step));
      setCursor(i);
      focusRow(i);
    },
    open: () => {
      const i = cursorRow();
      if (i < 0) return;
      const f = fileAt(i);
      if (f) setDetails(f);
      else if (folders[i]) go(filesPath(props.bucket, folders[i].Prefix));
    },
    toggle: () => {
      const f = fileAt(cursorRow());
      if (f) select([f], !selected.has(f.Key));
    },
    remove: () => {
      const f = fileAt(cursorRow());
      if (selected.size > 0) setPendingDelete([...selected.values()]);
      else if (f) setPendingDelete([f]);
    },
    filter: () => filterInput.current?.focus(),
    help: () => setShowKeys(true),
  });

  return (
    <section
      aria-labelledby="files-title"
      class={`files ${dragging ? "dragging" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => e.currentTarget === e.target && setDragging(false)}
      onDrop={onDrop}
    >
      <nav aria-label={t("files.path")} class="crumbs">
        <ol>
          <li>
            <a href={"#" + filesPath(props.bucket)}>{props.bucket}</a>
          </li>
          {crumbs.map((c, i) => (
            <li>
              <a href={"#" + filesPath(props.bucket, crumbs.slice(0, i + 1).join("/") + "/")} aria-current={i === crumbs.length - 1 ? "page" : undefined}>
                {c}
              </a>
            </li>
          ))}
        </ol>
      </nav>
      <h1 id="files-title">{props.prefix ? baseName(props.prefix) : props.bucket}</h1>

      <div class="toolbar">
        <div class="field">
          <label for="filter">{t("files.filter")}</label>
          <input id="filter" ref={filterInput} type="search" value={filter} placeholder={t("files.filterPlaceholder")} onChange={(e) => setFilter(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="page-size">{t("files.pageSize")}</label>
          <select id="page-size" value={pageSize} onChange={(e) => setPageSize(Number(e.currentTarget.value))}>
            {PAGE_SIZES.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </div>
        <button type="button" onClick={() => fileInput.current?.click()}>
          {t("files.uploadFiles")}
        </button>
        <button type="button" onClick={() => folderInput.current?.click()}>
          {t("files.uploadFolder")}
        </button>
        <button type="button" onClick={() => void load()}>
          {t("common.refresh")}
        </button>
        <button
          type="button"
          disabled={selected.size === 0 || selected.size > DOWNLOAD_LIMIT}
          aria-describedby={selected.size > DOWNLOAD_LIMIT ? "download-limit" : undefined}
          onClick={() => void downloadSelected()}
        >
          {t("files.downloadSelected", { n: count(selected.size, lang) })}
        </button>
        <button type="button" class="danger" disabled={selected.size === 0} onClick={() => setPendingDelete([...selected.values()])}>
          {t("files.deleteSelected", { n: count(selected.size, lang) })}
        </button>
        <button type="button" class="hide-narrow" aria-keyshortcuts="?" onClick={() => setShowKeys(true)}>
          {t("keys.button")}
        </button>
        <input
          ref={fileInput}
          class="sr-only"
          type="file"
          multiple
          aria-label={t("files.uploadFiles")}
          data-testid="file-input"
          tabIndex={-1}
          onChange={(e) => {
            upload([...(e.currentTarget.files ?? [])].map((file) => ({ file, path: file.name })));
            e.currentTarget.value = "";
          }}
        />
        <input
          ref={folderInput}
          class="sr-only"
          type="file"
          multiple
          {...{ webkitdirectory: true }}
          aria-label={t("files.uploadFolder")}
          data-testid="folder-input"
          tabIndex={-1}
          onChange={(e) => {
            upload([...(e.currentTarget.files ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
            e.currentTarget.value = "";
          }}
        />
      </div>
      <p class="hint drop-hint">{t("files.dropHint")}</p>
      <form class="inline-form small" onSubmit={createFolder}>
        <label for="new-folder">{t("files.newFolder")}</label>
        <input id="new-folder" value={newFolder} onInput={(e) => setNewFolder(e.currentTarget.value)} />
        <button type="submit">{t("files.createFolder")}</button>
      </form>

      <ErrorBox message={error} />
      {scopeHint && <Notice kind="warn">{t("scope.listHint")}</Notice>}
      {status && <Notice kind="ok">{status}</Notice>}

      {(selected.size > 0 || selecting !== null) && (
        <div class="selection-bar" data-testid="selection">
          <span>
            {selecting !== null
              ? t("files.selecting", { n: count(selecting, lang) })
              : allMatching
                ? t(allMatching.more ? "files.allMatchingCapped" : "files.allMatching", { n: count(selected.size, lang), prefix: allMatching.prefix || "/" })
                : t("files.selectedN", { n: count(selected.size, lang), page: count(onPage, lang) })}
          </span>
          {allSelected && morePages && !allMatching && selecting === null && (
            <button type="button" onClick={() => void selectAllMatching()}>
              {t("files.selectAllMatching", { prefix: props.prefix + filter || "/" })}
            </button>
          )}
          {selected.size > 0 && (
            <button type="button" onClick={clearSelection}>
              {t("files.clearSelection")}
            </button>
          )}
          {selected.size > DOWNLOAD_LIMIT && (
            <span id="download-limit" class="hint">
              {t("files.downloadLimit", { max: DOWNLOAD_LIMIT })}
            </span>
          )}
        </div>
      )}

      {(page || !error) && (
        <>
          <div class="table-wrap">
            <table class="file-table">
              <caption class="sr-only">{t("files.tableCaption", { prefix: props.prefix || "/" })}</caption>
              <TableHead
                columns={columns}
                sort={sort}
                onSort={toggle}
                actions
                lead={<input type="checkbox" aria-label={t("files.selectAll")} checked={allSelected} disabled={files.length === 0} onChange={() => select(files, !allSelected)} />}
              />
              <tbody ref={tableBody}>
                {!page && <StateRow span={columns.length + 2} />}
                {page && props.prefix && markers.length === 1 && !filter && (
                  <tr>
                    <td />
                    <td colSpan={columns.length + 1}>
                      <a href={"#" + filesPath(props.bucket, crumbs.slice(0, -1).join("/") + (crumbs.length > 1 ? "/" : ""))}>{t("files.up")}</a>
                    </td>
                  </tr>
                )}
                {folders.map((f, i) => (
                  <tr class={`folder ${cursor === i ? "cursor" : ""}`} data-row={i}>
                    <td />
                    <td>
                      <a class="row-open" href={"#" + filesPath(props.bucket, f.Prefix)} onFocus={() => setCursor(i)}>
                        <span class="folder-icon" aria-hidden="true" />
                        {baseName(f.Prefix)}
                      </a>
                    </td>
                    <td class="hide-narrow">{t("files.folder")}</td>
                    <td class="num">—</td>
                    <td class="hide-narrow" />
                    <td class="hide-narrow" />
                    <td />
                  </tr>
                ))}
                {files.map((f, j) => {
                  const i = folders.length + j;
                  const name = baseName(f.Key);
                  return (
                    <tr class={`${selected.has(f.Key) ? "selected" : ""} ${cursor === i ? "cursor" : ""}`} data-row={i}>
                      <td class="check-col">
                        <input type="checkbox" aria-label={t("files.select", { name })} checked={selected.has(f.Key)} onChange={() => select([f], !selected.has(f.Key))} />
                      </td>
                      {columns.map((c) => (
                        <td class={c.cls}>{c.cell(f)}</td>
                      ))}
                      <td>
                        <div class="row-actions">
                          <button type="button" aria-label={t("files.downloadOne", { name })} onClick={() => void download(client, f.Key).catch((e) => setError(explain(t, e)))}>
                            {t("details.download")}
                          </button>
                          <button type="button" class="hide-narrow" aria-label={t("files.linkOne", { name })} onClick={() => setShare(f.Key)}>
                            {t("files.link")}
                          </button>
                          <button type="button" class="hide-narrow" aria-label={t("files.renameOne", { name })} onClick={() => setRenaming(f.Key)}>
                            {t("files.rename")}
                          </button>
                          <button type="button" class="danger" aria-label={t("files.deleteOne", { name })} onClick={() => setPendingDelete([f])}>
                            {t("common.delete")}
                          </button>
                        </div>
                      </td>
                    </tr>
                  );
                })}
                {page && folders.length === 0 && files.length === 0 && <StateRow span={columns.length + 2} empty={{ title: t("files.empty"), step: t("files.firstStep") }} />}
              </tbody>
            </table>
          </div>
          {page && (
            <nav class="pager" aria-label={t("files.pages")}>
              <button type="button" disabled={markers.length === 1} onClick={previousPage}>
                {t("files.previous")}
              </button>
              <span aria-live="polite">{t("files.pageN", { n: markers.length })}</span>
              <button type="button" disabled={!page.IsTruncated} onClick={nextPage}>
                {t("files.next")}
              </button>
            </nav>
          )}
          <p class="hint hide-narrow">{t("keys.hint")}</p>
        </>
      )}

      {pendingDelete && (
        <Confirm
          title={t("files.deleteTitle", { n: count(pendingDelete.length, lang) })}
          message={
            <>
              <p>{t("files.deleteMessage")}</p>
              <ul class="key-list">
                {pendingDelete.slice(0, 20).map((f) => (
                  <li>{f.Key}</li>
                ))}
                {pendingDelete.length > 20 && <li>{t("files.andMore", { n: count(pendingDelete.length - 20, lang) })}</li>}
              </ul>
            </>
          }
          action={t("files.deleteN", { n: count(pendingDelete.length, lang) })}
          onClose={() => setPendingDelete(null)}
          onConfirm={() => void deleteFiles(pendingDelete)}
        />
      )}
      {share && <ShareLinkDialog client={client} fileKey={share} onClose={() => setShare(null)} />}
      {renaming && (
        <RenameDialog
          client={client}
          fileKey={renaming}
          onClose={() => setRenaming(null)}
          onRenamed={(key) => {
            setRenaming(null);
            setStatus(t("details.renamed", { key }));
            select([{ Key: renaming } as ObjectEntry], false);
            void load();
          }}
        />
      )}
      {showKeys && <ShortcutsDialog onClose={() => setShowKeys(false)} />}
      {details && (
        <ObjectDetails
          bucket={props.bucket}
          entry={details}
          onClose={() => setDetails(null)}
          onChanged={(message) => {
            setDetails(null);
            setStatus(message);
            void load();
          }}
        />
      )}
    </section>
  );
}
