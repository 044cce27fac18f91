// Key pair for the CLI helpers: EDGEFILE_PUBLIC_KEY / EDGEFILE_PRIVATE_KEY, else .dev.vars, else
// .dev.vars.example (the development keys `npm start` uses on a fresh clone).
import { existsSync, readFileSync } from "node:fs";

function readVars(file) {
  const vars = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

export function localKeys() {
  const file = existsSync(".dev.vars") ? ".dev.vars" : ".dev.vars.example";
  const vars = readVars(file);
  return {
    publicKey: process.env.EDGEFILE_PUBLIC_KEY ?? vars.ROOT_PUBLIC_KEY,
    privateKey: process.env.EDGEFILE_PRIVATE_KEY ?? vars.ROOT_PRIVATE_KEY,
  };
}
