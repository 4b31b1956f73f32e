/**
 * A deliberately small YAML reader for the shape of `Pulumi.<stack>.yaml` files: block mappings, block
 * sequences, plain / single-quoted / double-quoted scalars and comments. Anything else (flow collections,
 * block scalars, anchors, tags, multi-document files) is rejected with its line number rather than guessed at,
 * so the demo and the tests read the stack files exactly as written or fail loudly. No dependency needed.
 */

/** A value of the supported YAML subset. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly no: number;
}

/** A line of the file that this reader does not accept. */
export class YamlSubsetError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "YamlSubsetError";
  }
}

const KEY =
  /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#&*!|>%@`[\]{},-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s+(.*))?$/;

/** Parses a YAML document of the supported subset. An empty document is `null`. */
export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const no = index + 1;
    if (/^ *\t/.test(raw)) throw new YamlSubsetError(no, "tabs are not allowed for indentation");
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (trimmed === "---" || trimmed === "...") {
      if (lines.length === 0 && trimmed === "---") return;
      throw new YamlSubsetError(no, "only one document per file is supported");
    }
    lines.push({ indent: raw.length - raw.trimStart().length, text: raw.trim(), no });
  });
  if (lines.length === 0) return null;
  const [value, next] = parseNode(lines, 0, lines[0]?.indent ?? 0);
  const extra = lines[next];
  if (extra) throw new YamlSubsetError(extra.no, "unexpected indentation");
  return value;
}

const isSeqItem = (text: string): boolean => text === "-" || text.startsWith("- ");

function parseNode(lines: Line[], i: number, indent: number): [YamlValue, number] {
  const first = lines[i];
  if (!first) return [null, i];
  return isSeqItem(first.text) ? parseSeq(lines, i, indent) : parseMap(lines, i, indent);
}

function parseMap(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const out: Record<string, YamlValue> = {};
  let i = start;
  for (let line = lines[i]; line && line.indent === indent && !isSeqItem(line.text); line = lines[i]) {
    const match = KEY.exec(line.text);
    if (!match) throw new YamlSubsetError(line.no, `expected "key: value", got ${JSON.stringify(line.text)}`);
    const key = unquoteKey(match[1] ?? "", line.no);
    if (Object.hasOwn(out, key)) throw new YamlSubsetError(line.no, `duplicate key ${JSON.stringify(key)}`);
    const rest = match[2];
    i++;
    if (rest !== undefined && stripComment(rest) !== "") {
      out[key] = scalar(rest, line.no);
      continue;
    }
    // `key:` with nothing after it: a nested block (more indented, or a sequence at the same indent), else null.
    const next = lines[i];
    if (next && (next.indent > indent || (next.indent === indent && isSeqItem(next.text)))) {
      [out[key], i] = parseNode(lines, i, next.indent);
    } else {
      out[key] = null;
    }
  }
  const stray = lines[i];
  if (stray && stray.indent > indent) throw new YamlSubsetError(stray.no, "unexpected indentation");
  return [out, i];
}

function parseSeq(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const out: YamlValue[] = [];
  let i = start;
  for (let line = lines[i]; line && line.indent === indent && isSeqItem(line.text); line = lines[i]) {
    const rest = line.text.slice(1).trimStart();
    if (rest === "" || rest.startsWith("#")) {
      const next = lines[i + 1];
      if (next && next.indent > indent) {
        let value: YamlValue;
        [value, i] = parseNode(lines, i + 1, next.indent);
        out.push(value);
      } else {
        out.push(null);
        i++;
      }
      continue;
    }
    if (isSeqItem(rest)) throw new YamlSubsetError(line.no, "nested sequences on one line are not supported");
    if (KEY.test(rest)) {
      // `- key: value` starts a mapping whose keys line up with `key`.
      const column = indent + (line.text.length - rest.length);
      lines[i] = { indent: column, text: rest, no: line.no };
      let value: YamlValue;
      [value, i] = parseMap(lines, i, column);
      out.push(value);
      continue;
    }
    out.push(scalar(rest, line.no));
    i++;
  }
  const stray = lines[i];
  if (stray && stray.indent > indent) throw new YamlSubsetError(stray.no, "unexpected indentation");
  return [out, i];
}

function stripComment(text: string): string {
  return text.replace(/(^|\s)#.*$/, "").trim();
}

function unquoteKey(raw: string, no: number): string {
  const key = raw.trim();
  if (key.startsWith('"') || key.startsWith("'")) {
    return scalar(key, no) as string;
  }
  return key;
}

function scalar(raw: string, no: number): YamlValue {
  const text = raw.trim();
  if (text.startsWith('"')) {
    const end = /^"(?:[^"\\]|\\.)*"/.exec(text);
    if (!end) throw new YamlSubsetError(no, "unterminated double-quoted string");
    trailing(text.slice(end[0].length), no);
    try {
      return JSON.parse(end[0]) as string;
    } catch {
      throw new YamlSubsetError(no, `unsupported escape in ${end[0]}`);
    }
  }
  if (text.startsWith("'")) {
    const end = /^'(?:[^']|'')*'/.exec(text);
    if (!end) throw new YamlSubsetError(no, "unterminated single-quoted string");
    trailing(text.slice(end[0].length), no);
    return end[0].slice(1, -1).replace(/''/g, "'");
  }
  const plain = stripComment(text);
  if (/^[[{|>&*!%@`]/.test(plain)) {
    throw new YamlSubsetError(
      no,
      `unsupported YAML (flow collection, block scalar, anchor or tag): ${plain}`,
    );
  }
  if (/^(true|True|TRUE)$/.test(plain)) return true;
  if (/^(false|False|FALSE)$/.test(plain)) return false;
  if (/^(null|Null|NULL|~)$/.test(plain)) return null;
  if (/^[-+]?\d+$/.test(plain)) return Number.parseInt(plain, 10);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(plain)) return Number.parseFloat(plain);
  return plain;
}

function trailing(rest: string, no: number): void {
  if (stripComment(rest) !== "")
    throw new YamlSubsetError(no, `unexpected text after a quoted string: ${rest}`);
}

/**
 * The `config:` of a stack file as the engine hands it to a program (`PULUMI_CONFIG`): namespaced keys, string
 * values, structured values as JSON text.
 */
export function stackConfigFromYaml(text: string): Record<string, string> {
  const doc = parseYaml(text);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return {};
  const config = doc.config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new Error("config: must be a mapping");
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== null && typeof value === "object" && "secure" in value && !Array.isArray(value)) {
      throw new Error(`config ${key} is an encrypted secret; this reader cannot decrypt it`);
    }
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}
