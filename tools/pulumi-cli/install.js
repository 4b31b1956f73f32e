#!/usr/bin/env node
// @ts-check
// `npm run pulumi:install`: builds the Pulumi CLI and its Node.js language host from source with Go (both pinned by
// the go.mod/go.sum beside this file), writes the plugin launchers Pulumi's own distribution ships, and links the
// result to .pulumi-cli/bin. The build lives in a per-user cache keyed by everything that goes into it, so a fresh
// clone, a second worktree or a re-run reuses it in seconds. Plain CommonJS: it runs before anything is compiled.
"use strict";

const { spawn, spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const HERE = __dirname;
const REPO = path.resolve(HERE, "..", "..");
const LINK = path.join(REPO, ".pulumi-cli");

/** What is built: the binary's name, the wrapper module that pins it, and its main package. */
const BUILDS = [
  {
    name: "pulumi",
    module: path.join(HERE, "cli"),
    pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    versionOf: "github.com/pulumi/pulumi/pkg/v3",
  },
  {
    name: "pulumi-language-nodejs",
    module: path.join(HERE, "language-host"),
    pkg: "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
    versionOf: "github.com/pulumi/pulumi/sdk/v3",
  },
];

/**
 * Where the engine finds `@pulumi/pulumi` from the directory it starts a plugin in: Pulumi's own launchers use
 * ./node_modules only; ours ask Node, so a policy pack installed under node_modules/ finds the project's copy.
 */
const resolveFromCwd = (request) =>
  `node -e 'process.stdout.write(require.resolve(process.argv[1], { paths: [process.cwd()] }))' '${request}' 2>/dev/null`;

/** The launcher scripts the engine starts by name (see tools/pulumi-cli/README.md). */
const LAUNCHERS = {
  // Dynamic resources (`pulumi-nodejs:dynamic:*`): the SDK's provider host, started in the project directory.
  "pulumi-resource-pulumi-nodejs": launcher(
    "@pulumi/pulumi/cmd/dynamic-provider/index.js",
    "dynamic resources",
  ),
  // Node.js policy packs when no language host answers RunPlugin; the engine starts it in the pack's directory.
  "pulumi-analyzer-policy": launcher("@pulumi/pulumi/cmd/run-policy-pack/index.js", "policy packs"),
  "pulumi-analyzer-policy-nodejs": launcher("@pulumi/pulumi/cmd/run-policy-pack/index.js", "policy packs"),
};

function launcher(entry, what) {
  return [
    "#!/bin/sh",
    `# Written by pulumi-enos's tools/pulumi-cli/install.js: runs ${entry} for the Pulumi engine (${what}).`,
    `entry=$(${resolveFromCwd(entry)})`,
    'if [ -z "$entry" ]; then',
    `  echo "@pulumi/pulumi is not installed in $(pwd) or above it: run npm install there (needed for ${what})" >&2`,
    "  exit 1",
    "fi",
    'exec node "$entry" "$@"',
    "",
  ].join("\n");
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const say = (line) => process.stderr.write(`pulumi:install: ${line}\n`);
function fail(line) {
  say(line);
  process.exit(1);
}

/** The `go` command: PATH first, then the usual install location. */
function findGo() {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    const result = spawnSync(candidate, ["env", "GOVERSION"], { encoding: "utf8" });
    if (result.status === 0) return { bin: candidate, version: result.stdout.trim() };
  }
  return undefined;
}

/** The version go.mod pins for a module. */
function pinnedVersion(build) {
  const gomod = fs.readFileSync(path.join(build.module, "go.mod"), "utf8");
  const match = new RegExp(
    `^\\s*(?:require\\s+)?${build.versionOf.replace(/[./]/g, "\\$&")}\\s+(v\\S+)`,
    "m",
  ).exec(gomod);
  if (!match?.[1]) fail(`${path.relative(REPO, build.module)}/go.mod does not pin ${build.versionOf}`);
  return match[1];
}

/** Everything that decides what the build produces, hashed: a change to any of it is a new cache entry. */
function cacheKey(goVersion) {
  const hash = crypto.createHash("sha256");
  hash.update(`${goVersion}\n${os.platform()}-${os.arch()}\n`);
  for (const build of BUILDS)
    for (const file of ["go.mod", "go.sum", "tools.go"])
      hash.update(fs.readFileSync(path.join(build.module, file)));
  hash.update(JSON.stringify(LAUNCHERS));
  hash.update(fs.readFileSync(__filename));
  return hash.digest("hex").slice(0, 16);
}

function cacheRoot() {
  if (process.env.PULUMI_ENOS_CLI_CACHE) return process.env.PULUMI_ENOS_CLI_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "pulumi-enos", "cli");
}

/** Runs `go build`, printing a line every 20 s so a long first build is visibly alive. */
function goBuild(go, build, out, version) {
  return new Promise((resolve) => {
    const args = [
      "build",
      "-mod=readonly",
      "-trimpath",
      "-buildvcs=false",
      "-ldflags",
      `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${version}`,
      "-o",
      out,
      build.pkg,
    ];
    const child = spawn(go.bin, args, {
      cwd: build.module,
      env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "" },
      stdio: ["ignore", "inherit", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const tick = setInterval(() => say(`  still building ${build.name} (${elapsed()})`), 20_000);
    child.on("close", (code) => {
      clearInterval(tick);
      if (code !== 0) fail(`go build of ${build.name} failed:\n${stderr.trim()}`);
      resolve(undefined);
    });
  });
}

/** Points .pulumi-cli at the cache entry (replacing an older link; refusing to clobber a real directory). */
function link(target) {
  const existing = fs.lstatSync(LINK, { throwIfNoEntry: false });
  if (existing && !existing.isSymbolicLink())
    fail(`${LINK} exists and is not a link: remove it and run again`);
  if (existing) fs.unlinkSync(LINK);
  fs.symlinkSync(target, LINK, "dir");
}

function works(binDir, version) {
  const result = spawnSync(path.join(binDir, "pulumi"), ["version"], { encoding: "utf8" });
  return result.status === 0 && result.stdout.trim() === version;
}

async function main() {
  const go = findGo();
  if (!go)
    fail(
      "Go is not installed (no `go` on PATH or at /usr/local/go/bin): install Go ≥ 1.25, or install the Pulumi CLI from https://www.pulumi.com/docs/install/ and put it on PATH.",
    );
  const cliVersion = pinnedVersion(BUILDS[0]);
  const entry = path.join(cacheRoot(), `${cliVersion}-${cacheKey(go.version)}`);
  const bin = path.join(entry, "bin");

  if (works(bin, cliVersion)) {
    link(entry);
    say(`pulumi ${cliVersion} already built in ${entry} (${elapsed()}); .pulumi-cli/bin links to it`);
    return;
  }

  say(`building pulumi ${cliVersion} and its Node.js language host with ${go.version} into ${entry}`);
  say(
    "a first build downloads about 2 GB of modules and compiles for 10-20 minutes on 2 cores; later runs reuse it",
  );
  const staging = `${entry}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, "bin"), { recursive: true });
  for (const build of BUILDS) {
    const version = pinnedVersion(build);
    say(`go build ${build.pkg}@${version}`);
    await goBuild(go, build, path.join(staging, "bin", build.name), version);
    say(`  ${build.name} built (${elapsed()})`);
  }
  for (const [name, text] of Object.entries(LAUNCHERS))
    fs.writeFileSync(path.join(staging, "bin", name), text, { mode: 0o755 });
  if (!works(path.join(staging, "bin"), cliVersion)) fail(`the built pulumi does not report ${cliVersion}`);
  fs.rmSync(entry, { recursive: true, force: true });
  fs.renameSync(staging, entry);
  link(entry);
  say(
    `done in ${elapsed()}: .pulumi-cli/bin has pulumi ${cliVersion}, pulumi-language-nodejs and the launchers`,
  );
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
