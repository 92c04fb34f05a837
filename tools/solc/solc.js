#!/usr/bin/env node
// A native-style `solc` command line over the official compiler from the npm package `solc`
// (soljson, the same compiler build the Solidity team publishes; no download at run time).
//
// py-solc-x (and so ape-solidity) finds executables named `solc-v<version>` in the folder named
// by SOLCX_BINARY_PATH. Each of those is a symlink to this script, which reads the version from
// the name it was called by and loads the npm package pinned for it in package.json: `solc` for
// the main version, `solc-<version>` (an npm alias of solc@<version>) for any other. It answers
// the three ways py-solc-x and analysers call a compiler:
//   --version                      -> "Version: 0.8.28+commit.<hash>.<platform>"
//   --standard-json [path options] -> standard JSON in on stdin, standard JSON out on stdout
//   --combined-json a,b,c files... -> the legacy combined JSON that crytic-compile reads
// Path options (--base-path, --include-path, --allow-paths) drive the import callback the same
// way the native compiler resolves imports: base path first, then each include path. Last comes
// the project that owns this wrapper: ape compiles in an isolated temporary copy of contracts/,
// so imports remapped into node_modules/ are only found there.
"use strict";

const fs = require("fs");
const path = require("path");

const REPO_ROOT = path.resolve(__dirname, "..", "..");
// process.argv[1] is the path as invoked (the symlink), unlike __filename (the link target).
const EXPECTED = path.basename(process.argv[1]).replace(/^solc-v/, "");

function fail(message, code = 1) {
  process.stderr.write(`solc-v${EXPECTED}: ${message}\n`);
  process.exit(code);
}

function loadCompiler() {
  if (!/^\d+\.\d+\.\d+$/.test(EXPECTED)) fail("call this script through a solc-v<version> link", 2);
  for (const name of [`solc-${EXPECTED}`, "solc"]) {
    let solc;
    try {
      solc = require(path.join(REPO_ROOT, "node_modules", name));
    } catch (err) {
      continue;
    }
    if (solc.version().startsWith(`${EXPECTED}+`)) return solc;
  }
  fail(`no npm package in ${REPO_ROOT}/node_modules provides solc ${EXPECTED}: ` +
       `pin "solc-${EXPECTED}": "npm:solc@${EXPECTED}" in package.json and run 'npm ci'`);
}

/** Split argv into flags with values, boolean flags and positional arguments. */
function parseArgs(argv) {
  const valued = new Set(["--base-path", "--include-path", "--allow-paths", "--combined-json",
                          "--optimize-runs", "--evm-version", "--output-dir"]);
  const opts = { includePaths: [], positional: [], flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (valued.has(arg)) {
      value = argv[++i];
      if (value === undefined) fail(`option ${arg} needs a value`, 2);
    }
    if (arg === "--include-path") opts.includePaths.push(value);
    else if (valued.has(arg)) opts[arg.slice(2)] = value;
    else if (arg.startsWith("--")) opts.flags.add(arg);
    else opts.positional.push(arg);
  }
  return opts;
}

/** Import callback: resolve like the native compiler (base path, then include paths). */
function makeImportCallback(opts) {
  const roots = [...new Set([opts["base-path"] || process.cwd(), ...opts.includePaths, REPO_ROOT])];
  return function findImport(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function standardJson(solc, opts) {
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: makeImportCallback(opts) }));
}

/** Map combined-json selectors to standard-json outputSelection entries and back. */
const COMBINED = {
  abi: { select: "abi", read: (c) => c.abi },
  bin: { select: "evm.bytecode.object", read: (c) => c.evm.bytecode.object },
  "bin-runtime": { select: "evm.deployedBytecode.object", read: (c) => c.evm.deployedBytecode.object },
  srcmap: { select: "evm.bytecode.sourceMap", read: (c) => c.evm.bytecode.sourceMap },
  "srcmap-runtime": { select: "evm.deployedBytecode.sourceMap", read: (c) => c.evm.deployedBytecode.sourceMap },
  hashes: { select: "evm.methodIdentifiers", read: (c) => c.evm.methodIdentifiers },
  metadata: { select: "metadata", read: (c) => c.metadata },
  userdoc: { select: "userdoc", read: (c) => c.userdoc },
  devdoc: { select: "devdoc", read: (c) => c.devdoc },
  "storage-layout": { select: "storageLayout", read: (c) => c.storageLayout },
};

function combinedJson(solc, opts) {
  const wanted = opts["combined-json"].split(",").filter(Boolean);
  const wantAst = wanted.includes("ast");
  const unknown = wanted.filter((w) => w !== "ast" && !(w in COMBINED));
  if (unknown.length) fail(`unsupported --combined-json selector(s): ${unknown.join(", ")}`, 2);

  const remappings = opts.positional.filter((p) => p.includes("="));
  const files = opts.positional.filter((p) => !p.includes("="));
  if (!files.length) fail("--combined-json needs at least one source file", 2);

  const sources = {};
  for (const file of files) sources[file] = { content: fs.readFileSync(file, "utf8") };
  const settings = {
    remappings,
    outputSelection: { "*": { "*": wanted.filter((w) => w in COMBINED).map((w) => COMBINED[w].select),
                               "": wantAst ? ["ast"] : [] } },
  };
  if (opts.flags.has("--optimize")) {
    settings.optimizer = { enabled: true, runs: Number(opts["optimize-runs"] || 200) };
  }
  if (opts["evm-version"]) settings.evmVersion = opts["evm-version"];

  const raw = solc.compile(JSON.stringify({ language: "Solidity", sources, settings }),
                           { import: makeImportCallback(opts) });
  const output = JSON.parse(raw);
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  if (errors.length) process.exit(1);

  const result = { contracts: {}, sources: {}, version: solc.version() };
  for (const [source, contracts] of Object.entries(output.contracts || {})) {
    for (const [name, contract] of Object.entries(contracts)) {
      const entry = {};
      for (const w of wanted) if (w in COMBINED) entry[w] = COMBINED[w].read(contract);
      result.contracts[`${source}:${name}`] = entry;
    }
  }
  for (const [source, out] of Object.entries(output.sources || {})) {
    result.sources[source] = wantAst ? { AST: out.ast, id: out.id } : { id: out.id };
  }
  process.stdout.write(JSON.stringify(result));
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.flags.has("--help")) {
    process.stdout.write(`solc-v${EXPECTED} (soljson from npm)\n` +
      "  --version | --standard-json [--base-path P] [--include-path P]... [--allow-paths P]\n" +
      "  --combined-json abi,bin,... [--optimize] [--optimize-runs N] [--evm-version V] files...\n");
    return;
  }
  const solc = loadCompiler();
  if (opts.flags.has("--version")) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  } else if (opts.flags.has("--standard-json")) {
    standardJson(solc, opts);
  } else if (opts["combined-json"]) {
    combinedJson(solc, opts);
  } else {
    fail("supported modes: --version, --standard-json, --combined-json (see --help)", 2);
  }
}

main();
