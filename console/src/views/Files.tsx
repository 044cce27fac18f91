import { useEffect, useRef, useState } from "preact/hooks";
import type { ListObjectsResult, ObjectEntry } from "../lib/api";
import { filesPath, go, useApp } from "../lib/context";
import { explain, isScopeRefusal } from "../lib/explain";
import { download } from "../lib/download";
import { baseName, bytes, dateTime, fileType } from "../lib/format";
import { useT } from "../lib/i18n";
import { Confirm, EmptyState, ErrorBox, Notice } from "../ui/widgets";
import { ObjectDetails } from "./ObjectDetails";

/**
 * One folder of a bucket: ListObjects with delimiter `/`, a page at a time (NextMarker), so a
 * folder of 100,000 keys costs one small request per page. The filter narrows the listing
 * prefix; uploads go into the folder shown.
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

type SortKey = "name" | "type" | "size" | "class" | "modified";

function compareBy(by: SortKey, a: ObjectEntry, b: ObjectEntry): number {
  switch (by) {
    case "name":
      return a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0;
    case "type":
      return fileType(a.MimeType, a.Key).localeCompare(fileType(b.MimeType, b.Key)) || compareBy("name", a, b);
    case "size":
      return Number(a.Size) - Number(b.Size) || compareBy("name", a, b);
    case "class":
      return a.StorageClass.localeCompare(b.StorageClass) || compareBy("name", a, b);
    case "modified":
      return a.LastModified - b.LastModified || compareBy("name", a, b);
  }
}

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
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [details, setDetails] = useState<ObjectEntry | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [newFolder, setNewFolder] = useState("");
  const [sort, setSort] = useState<{ by: SortKey; dir: 1 | -1 } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
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
  };

  // A new folder, filter or page size starts again at the first page.
  useEffect(() => {
    setMarkers([""]);
    setSelected(new Set());
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
    setSelected(new Set());
    void load(page.NextMarker);
  };
  const previousPage = () => {
    const rest = markers.slice(0, -1);
    setMarkers(rest);
    setSelected(new Set());
    void load(rest[rest.length - 1]);
  };

  const toggle = (key: string) => {
    const next = new Set(selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setSelected(next);
  };

  const deleteSelected = async () => {
    setConfirmDelete(false);
    const keys = [...selected];
    const failed: string[] = [];
    let firstError: unknown = null;
    // Four at a time: quick for a page of keys, gentle on the service.
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          try {
            await client.delete(key);
          } catch (e) {
            failed.push(key);
            firstError ??= e;
          }
        }
      }),
    );
    setSelected(new Set());
    setStatus(t("files.deletedN", { n: keys.length - failed.length }));
    if (firstError) setError(`${t("files.deleteFailed", { keys: failed.join(", ") })} ${explain(t, firstError)}`);
    await load();
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
  const listed = page?.Contents ?? [];
  const files = sort ? [...listed].sort((a, b) => sort.dir * compareBy(sort.by, a, b)) : listed;
  const sortHeader = (by: SortKey, label: string, cls = "") => (
    <th scope="col" class={cls} aria-sort={sort?.by === by ? (sort.dir === 1 ? "ascending" : "descending") : "none"}>
      <button type="button" class="sort" onClick={() => setSort({ by, dir: sort?.by === by ? (-sort.dir as 1 | -1) : 1 })}>
        {label}
        <span aria-hidden="true">{sort?.by === by ? (sort.dir === 1 ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
  const folders = page?.CommonPrefixes ?? [];
  const allSelected = files.length > 0 && files.every((f) => selected.has(f.Key));

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
          <input id="filter" type="search" value={filter} placeholder={t("files.filterPlaceholder")} onChange={(e) => setFilter(e.currentTarget.value)} />
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
        <button type="button" class="danger" disabled={selected.size === 0} onClick={() => setConfirmDelete(true)}>
          {t("files.deleteSelected", { n: selected.size })}
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

      {page && (
        <>
          <div class="table-wrap">
            <table class="file-table">
              <caption class="sr-only">{t("files.tableCaption", { prefix: props.prefix || "/" })}</caption>
              <thead>
                <tr>
                  <th scope="col" class="check-col">
                    <input
                      type="checkbox"
                      aria-label={t("files.selectAll")}
                      checked={allSelected}
                      disabled={files.length === 0}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(files.map((f) => f.Key)))}
                    />
                  </th>
                  {sortHeader("name", t("files.name"))}
                  {sortHeader("type", t("files.type"), "hide-narrow")}
                  {sortHeader("size", t("files.size"), "num")}
                  {sortHeader("class", t("files.class"), "hide-narrow")}
                  {sortHeader("modified", t("files.modified"), "hide-narrow")}
                  <th scope="col">
                    <span class="sr-only">{t("files.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {props.prefix && markers.length === 1 && !filter && (
                  <tr>
                    <td />
                    <td colSpan={6}>
                      <a href={"#" + filesPath(props.bucket, crumbs.slice(0, -1).join("/") + (crumbs.length > 1 ? "/" : ""))}>{t("files.up")}</a>
                    </td>
                  </tr>
                )}
                {folders.map((f) => (
                  <tr class="folder">
                    <td />
                    <td>
                      <a href={"#" + filesPath(props.bucket, f.Prefix)}>
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
                {files.map((f) => (
                  <tr class={selected.has(f.Key) ? "selected" : ""}>
                    <td class="check-col">
                      <input type="checkbox" aria-label={t("files.select", { name: baseName(f.Key) })} checked={selected.has(f.Key)} onChange={() => toggle(f.Key)} />
                    </td>
                    <td>
                      <button type="button" class="link" onClick={() => setDetails(f)}>
                        {baseName(f.Key)}
                      </button>
                    </td>
                    <td class="hide-narrow">{fileType(f.MimeType, f.Key)}</td>
                    <td class="num">{bytes(Number(f.Size))}</td>
                    <td class="hide-narrow">{t(`class.${f.StorageClass}`)}</td>
                    <td class="hide-narrow">{dateTime(f.LastModified, lang)}</td>
                    <td>
                      <div class="row-actions">
                        <button type="button" aria-label={t("files.downloadOne", { name: baseName(f.Key) })} onClick={() => void download(client, f.Key).catch((e) => setError(explain(t, e)))}>
                          {t("details.download")}
                        </button>
                        <button
                          type="button"
                          class="danger"
                          aria-label={t("files.deleteOne", { name: baseName(f.Key) })}
                          onClick={() => {
                            setSelected(new Set([f.Key]));
                            setConfirmDelete(true);
                          }}
                        >
                          {t("common.delete")}
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
                {folders.length === 0 && files.length === 0 && (
                  <tr>
                    <td />
                    <td colSpan={6}>
                      <EmptyState title={t("files.empty")} step={t("files.firstStep")} />
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label={t("files.pages")}>
            <button type="button" disabled={markers.length === 1} onClick={previousPage}>
              {t("files.previous")}
            </button>
            <span aria-live="polite">{t("files.pageN", { n: markers.length })}</span>
            <button type="button" disabled={!page.IsTruncated} onClick={nextPage}>
              {t("files.next")}
            </button>
          </nav>
        </>
      )}

      {confirmDelete && (
        <Confirm
          title={t("files.deleteTitle", { n: selected.size })}
          message={
            <>
              <p>{t("files.deleteMessage")}</p>
              <ul class="key-list">
                {[...selected].slice(0, 20).map((k) => (
                  <li>{k}</li>
                ))}
                {selected.size > 20 && <li>{t("files.andMore", { n: selected.size - 20 })}</li>}
              </ul>
            </>
          }
          action={t("files.deleteN", { n: selected.size })}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => void deleteSelected()}
        />
      )}
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
