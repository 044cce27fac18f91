// @ts-check
// config show|set|ls: the profiles of the config file, and where each setting comes from.
import { CliError, EXIT } from "../lib/errors.mjs";
import { PROFILE_FIELDS, configPath, readConfigFile, resolveSettings, writeConfigFile } from "../lib/config.mjs";
import { emitJson, say, table, tell } from "../lib/output.mjs";

/** @param {import("commander").Command} program */
export function register(program) {
  const config = program
    .command("config")
    .description("profiles: endpoint and keys for each service you use")
    .addHelpText(
      "after",
      `\nThe file is $EDGEFILE_CONFIG, else $XDG_CONFIG_HOME/edgefile/config.json, else ~/.config/edgefile/config.json:
  { "profiles": { "default": { "url": "https://api.example.com", "fileUrl": "https://{bucket}.files.example.com",
                               "publicKey": "…", "privateKey": "…", "region": "cn-bj", "projectId": "…" } } }
Fields: ${PROFILE_FIELDS.join(", ")}. Choose a profile with --profile <name> or EDGEFILE_PROFILE.`,
    );

  config
    .command("show")
    .description("the settings in effect and where each comes from (private key hidden)")
    .action(() => {
      const globals = program.opts();
      const s = resolveSettings(globals);
      const shown = { ...s, privateKey: s.privateKey ? "(set)" : "" };
      emitJson({ file: configPath(), ...shown });
      const rows = PROFILE_FIELDS.map((f) => [f, String(/** @type {any} */ (shown)[f] ?? ""), s.sources[f] ? `(${s.sources[f]})` : ""]);
      say(`config file: ${configPath()}\n` + table(rows));
    });

  config
    .command("set")
    .description("set one field of a profile (creates the file and the profile)")
    .argument("<field>", PROFILE_FIELDS.join(" | "))
    .argument("<value>")
    .action((field, value) => {
      if (!PROFILE_FIELDS.includes(field)) throw new CliError(`unknown field ${field} (use ${PROFILE_FIELDS.join(", ")})`, EXIT.usage);
      const name = program.opts().profile ?? process.env.EDGEFILE_PROFILE ?? "default";
      const data = readConfigFile();
      data.profiles[name] = { ...data.profiles[name], [field]: value };
      writeConfigFile(data);
      tell(`profile ${name}: ${field} set in ${configPath()}`);
    });

  config
    .command("ls")
    .description("list the profiles")
    .action(() => {
      const { profiles } = readConfigFile();
      emitJson(Object.fromEntries(Object.entries(profiles).map(([n, p]) => [n, { ...p, privateKey: p.privateKey ? "(set)" : undefined }])));
      for (const [name, p] of Object.entries(profiles)) say(`${name}\t${p.url ?? ""}`);
    });
}
