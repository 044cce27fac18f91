// wrangler dev's standard output, as `npm start` prints it: a table wrangler prints again, byte for byte
// the same, is left out. Why: wrangler prints its bindings table once at start and again each time
// miniflare's dev registry reports a change; for a Worker that consumes a queue, the first "change" is
// the Worker's own registration, so the same table came twice at every start (wrangler 4: no
// `wrangler dev` flag turns the dev registry off; only the experimental unstable_dev() API has one).
//
// A block is one of wrangler's titled tables (TITLES): its title line up to the blank line that ends
// it, with the "⎔ Connection status updated" line that announces a reprint. Only those are held and
// compared; every other line (the Worker's own logs included, repeated or not) passes at once. Bounded:
// a block longer than MAX_LINES is printed as it is, at most MAX_BLOCKS printed blocks are remembered,
// and a block still incomplete after HOLD_MS of silence is printed as it is. Standard error is never
// read here: errors and warnings reach the terminal unfiltered.

/** Titles of wrangler's tables (printBindings); one per table it may print again. */
const TITLES = [/ has access to the following bindings:$/, / is sending Tail events to the following Workers:$/];
/** A line wrangler prints just before it prints a table again. */
const LEAD = /^⎔ Connection status updated$/;
const MAX_LINES = 200;
const MAX_BLOCKS = 16;
const HOLD_MS = 1000;

/** @param {string} line */
const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, "").replace(/\r?\n$/, "");

/**
 * A filter for a text stream: `push(text)` as it arrives, `end()` once it ends; what is to be printed
 * goes to `write`, in order.
 * @param {(text: string) => void} write
 * @returns {{ push(chunk: string): void, end(): void }}
 */
export function withoutRepeatedBlocks(write) {
  /** @type {string[]} the blocks printed so far, oldest first (≤ MAX_BLOCKS) */
  const printed = [];
  let lead = ""; // a held LEAD line, waiting for the table it may announce
  /** @type {{ text: string, lines: number } | null} the block being read */
  let block = null;
  let rest = ""; // the unfinished last line of the input
  let midLine = false; // the start of the current line was already written (so it is no title)
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  const held = () => lead !== "" || block !== null || rest !== "";
  const release = () => {
    const text = lead + (block?.text ?? "") + rest;
    if (rest) midLine = true;
    lead = "";
    block = null;
    rest = "";
    if (text) write(text);
  };
  const hold = () => {
    clearTimeout(timer);
    timer = held() ? setTimeout(release, HOLD_MS) : undefined;
    timer?.unref?.();
  };

  /** One complete line, with its newline. @param {string} text */
  const line = (text) => {
    const bare = plain(text);
    if (block) {
      block.text += text;
      block.lines += 1;
      if (bare === "") {
        const done = block.text;
        if (!printed.includes(done)) {
          write(lead + done);
          printed.push(done);
          if (printed.length > MAX_BLOCKS) printed.shift();
        }
        lead = "";
        block = null;
      } else if (block.lines > MAX_LINES) release();
      return;
    }
    if (TITLES.some((t) => t.test(bare))) {
      block = { text, lines: 1 };
      return;
    }
    if (lead) {
      write(lead);
      lead = "";
    }
    if (LEAD.test(bare)) lead = text;
    else write(text);
  };

  return {
    push(chunk) {
      let text = rest + chunk;
      rest = "";
      if (midLine) {
        const end = text.indexOf("\n");
        if (end < 0) {
          write(text);
          return;
        }
        write(text.slice(0, end + 1));
        text = text.slice(end + 1);
        midLine = false;
      }
      const lines = text.split(/(?<=\n)/);
      const last = lines.at(-1)?.endsWith("\n") ? "" : (lines.pop() ?? "");
      for (const l of lines) line(l);
      rest = last; // a line still being written: it may be a title (held until HOLD_MS at most)
      hold();
    },
    end() {
      clearTimeout(timer);
      release();
    },
  };
}
