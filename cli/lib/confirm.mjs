// @ts-check
// Yes/no confirmation for destructive commands. Without a terminal there is nobody to ask: the
// command must be given --yes.
import { createInterface } from "node:readline/promises";
import { CliError, EXIT } from "./errors.mjs";

/** @param {string} question @param {boolean} yes --yes was given */
export async function confirm(question, yes) {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError(`${question.replace(/\?$/, "")}: not confirmed (no terminal to ask; pass --yes)`, EXIT.notConfirmed);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const interrupted = new Promise((resolve) => rl.on("SIGINT", () => (process.stderr.write("\n"), resolve(null)))); // Ctrl-C at the prompt
  const answer = await Promise.race([rl.question(`${question} [y/N] `), interrupted]);
  rl.close();
  if (answer === null) throw new CliError("interrupted; nothing was changed", EXIT.interrupted);
  if (!/^y(es)?$/i.test(String(answer).trim())) throw new CliError("not confirmed; nothing was changed", EXIT.notConfirmed);
}
