// Key pair for the bench tools: EDGEFILE_PUBLIC_KEY / EDGEFILE_PRIVATE_KEY, else the development keys
// of .dev.vars, else .dev.vars.example (what `npm start` uses on a fresh clone). The CLI reads the
// same files (cli/lib/config.mjs), plus its profiles.
import { devKeys } from "../../cli/lib/config.mjs";

export function localKeys() {
  const vars = devKeys()?.vars ?? {};
  return {
    publicKey: process.env.EDGEFILE_PUBLIC_KEY ?? vars.ROOT_PUBLIC_KEY,
    privateKey: process.env.EDGEFILE_PRIVATE_KEY ?? vars.ROOT_PRIVATE_KEY,
  };
}
