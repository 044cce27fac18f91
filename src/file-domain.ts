/**
 * FILE_DOMAIN checking, shared by the Worker (src/config.ts) and `npm start` (src/cli/start.mjs,
 * which imports this file directly: keep it free of imports).
 *
 * FILE_DOMAIN is the bare host-name suffix of the data plane: bucket `demo` is served at
 * `demo.<FILE_DOMAIN>`. A scheme, port, path or wildcard there would make hosts such as
 * `demo.https://files.example.com`, which no client can reach, so such values are refused with
 * the value to write instead. A leading dot (the way SDK suffixes are written) is accepted.
 */

export const DEFAULT_FILE_DOMAIN = "localhost";

export type FileDomainCheck = { domain: string; problem?: undefined } | { domain?: undefined; problem: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function isHostName(name: string): boolean {
  const labels = name.split(".");
  // A numeric last label is an IP address (or a typo): no bucket host can be built under it.
  return name.length <= 253 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** The host name hidden in a mistaken value: scheme, user, port, path and wildcard removed. */
function hostNameIn(value: string): string {
  return value
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, "")
    .replace(/[/?#].*$/, "")
    .replace(/^.*@/, "")
    .replace(/:\d*$/, "")
    .replace(/^\*\./, "")
    .replace(/^\.+|\.+$/g, "");
}

export function checkFileDomain(raw: string | undefined): FileDomainCheck {
  const value = (raw ?? "").trim();
  if (value === "") return { domain: DEFAULT_FILE_DOMAIN };
  const name = value.toLowerCase().replace(/^\./, "");
  if (isHostName(name)) return { domain: name };
  const suggestion = hostNameIn(value.toLowerCase());
  const rule = "FILE_DOMAIN is the bare domain that bucket hosts end with, as in <bucket>.<FILE_DOMAIN>, without scheme, port, path or wildcard";
  if (suggestion !== "" && isHostName(suggestion)) {
    const port = value.match(/:\d+/)?.[0];
    const portNote = port ? `; a port belongs in the clients' URLs, as in http://<bucket>.${suggestion}${port}` : "";
    return { problem: `FILE_DOMAIN="${value}" is not a host name: write FILE_DOMAIN="${suggestion}" instead. ${rule}${portNote}` };
  }
  return { problem: `FILE_DOMAIN="${value}" is not a host name: write the domain that bucket hosts end with, for example FILE_DOMAIN="files.example.com". ${rule}` };
}
