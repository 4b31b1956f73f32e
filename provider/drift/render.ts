/** The drift report in each output format. Every format is rendered from the same DriftReport. */
import type { DriftReport, Facts, ResourceDrift, StackDrift } from "./model.js";

export const FORMATS = ["text", "json", "markdown", "junit"] as const;
export type Format = (typeof FORMATS)[number];

const show = (value: Facts[string] | undefined): string =>
  value === null || value === undefined ? "–" : String(value);

/** `status=RUNNING, releasedVersion=1`, or the object's absence. */
export function describeFacts(facts: Facts | null): string {
  if (facts === null) return "deleted in EnOS";
  return Object.entries(facts)
    .map(([key, value]) => `${key}=${show(value)}`)
    .join(", ");
}

/** What differs, e.g. `status: desired RUNNING, observed STOPPED`. */
export function describeDrift(r: ResourceDrift): string {
  if (r.observed === null) return "deleted in EnOS";
  const observed = r.observed;
  const differing = Object.keys(r.desired).filter((key) => r.desired[key] !== observed[key]);
  return differing
    .map((key) => `${key}: desired ${show(r.desired[key])}, observed ${show(observed[key])}`)
    .join("; ");
}

const drifted = (s: StackDrift): ResourceDrift[] => s.resources.filter((r) => r.drift !== "none");

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function headline(report: DriftReport): string {
  const { stacks, resources, drifted: changed, errors } = report.summary;
  return `${plural(stacks, "stack")}, ${plural(resources, "resource")}, ${changed} drifted, ${plural(errors, "error")}`;
}

function renderText(report: DriftReport): string {
  const lines = [`pulumi-enos drift: ${headline(report)}`];
  for (const s of report.stacks) {
    if (s.status === "error") {
      lines.push(`could not check ${s.error ?? s.stack}`);
      continue;
    }
    const changed = drifted(s);
    lines.push(
      s.status === "clean"
        ? `${s.stack}: clean (${plural(s.resources.length, "resource")})`
        : `${s.stack}: drift in ${changed.length} of ${plural(s.resources.length, "resource")}`,
    );
    for (const r of changed) {
      lines.push(`  ${r.name} (${r.type} ${r.id}) [${r.drift}] ${describeDrift(r)}; next up: ${r.plan}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

function markdownStack(s: StackDrift): string[] {
  if (s.status === "error")
    return [`### ❌ \`${s.stack}\`: could not be checked`, "", cell(s.error ?? ""), ""];
  const mark = s.status === "clean" ? "✅" : "⚠️";
  const title = `### ${mark} \`${s.stack}\`: ${s.status === "clean" ? "no drift" : `${drifted(s).length} of ${s.resources.length} drifted`}`;
  if (s.resources.length === 0) return [title, "", "No EnOS resources in this stack.", ""];
  const rows = s.resources.map(
    (r) =>
      `| ${cell(r.name)} | ${r.type} | \`${cell(r.id)}\` | ${r.drift === "none" ? "none" : `**${r.drift}**`} | ${cell(describeFacts(r.desired))} | ${cell(describeFacts(r.observed))} | ${cell(r.plan)} |`,
  );
  return [
    title,
    "",
    "| resource | type | id | drift | desired | observed | next `pulumi up` |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ];
}

function renderMarkdown(report: DriftReport): string {
  const lines = [`## pulumi-enos drift`, "", `${headline(report)} (${report.generatedAt})`, ""];
  for (const s of report.stacks) lines.push(...markdownStack(s));
  return lines.join("\n");
}

const xml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

function junitSuite(s: StackDrift): string[] {
  const name = xml(s.stack);
  if (s.status === "error") {
    const message = xml(s.error ?? "");
    return [
      `  <testsuite name="${name}" tests="1" failures="0" errors="1">`,
      `    <testcase classname="${name}" name="check stack ${name}">`,
      `      <error type="error" message="${message}">${message}</error>`,
      `    </testcase>`,
      `  </testsuite>`,
    ];
  }
  const lines = [
    `  <testsuite name="${name}" tests="${s.resources.length}" failures="${drifted(s).length}" errors="0">`,
  ];
  for (const r of s.resources) {
    const testcase = `    <testcase classname="${name}.${r.type}" name="${xml(`${r.name} (${r.id})`)}"`;
    if (r.drift === "none") {
      lines.push(`${testcase}/>`);
      continue;
    }
    const message = xml(`${describeDrift(r)}; next up: ${r.plan}`);
    const body = xml(
      `desired: ${describeFacts(r.desired)}\nobserved: ${describeFacts(r.observed)}\nurn: ${r.urn}`,
    );
    lines.push(
      `${testcase}>`,
      `      <failure type="${r.drift}" message="${message}">${body}</failure>`,
      `    </testcase>`,
    );
  }
  lines.push(`  </testsuite>`);
  return lines;
}

function renderJunit(report: DriftReport): string {
  const { resources, drifted: failures, errors } = report.summary;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="pulumi-enos drift" tests="${resources + errors}" failures="${failures}" errors="${errors}" timestamp="${report.generatedAt}">`,
    ...report.stacks.flatMap(junitSuite),
    `</testsuites>`,
    "",
  ].join("\n");
}

function renderJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function render(format: Format, report: DriftReport): string {
  switch (format) {
    case "json":
      return renderJson(report);
    case "markdown":
      return renderMarkdown(report);
    case "junit":
      return renderJunit(report);
    case "text":
      return renderText(report);
  }
}
