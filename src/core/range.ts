import { ApiError } from "../errors";

/**
 * Single byte ranges (docs/protocol.md §5.6): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 * Returns the inclusive [start, end] to serve, or null to serve the whole object (no Range, a
 * syntactically invalid or multi-range header — RFC 9110 lets a server ignore those). An
 * unsatisfiable range → 416 with `Content-Range: bytes *\/size`. An empty object has no byte to
 * serve, so every range of it is unsatisfiable (RFC 9110 §14.1.1; S3 answers 416 InvalidRange),
 * except `bytes=0-`, which downloaders send for "everything" and which gets the (empty) object.
 */
export function parseRange(header: string | null, size: number): { start: number; end: number } | null {
  if (header === null) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (size === 0 && m[1] === "0" && m[2] === "") return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return null; // a-b with b < a is invalid: ignore it
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end };
}

const unsatisfiable = (size: number) => new ApiError("RangeNotSatisfiable", undefined, { "Content-Range": `bytes */${size}` });
