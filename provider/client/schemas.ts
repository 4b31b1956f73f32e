/**
 * zod schemas of the envelope `data` of every call the client makes, producing the types in types.ts.
 *
 * Tolerant where docs/ENOS-API.md marks a detail as inferred (ids and versions as number or string, 0/1 or boolean
 * flags, absent optional fields); strict where a wrong value would mislead the provider (ids, status, active).
 */
import { z } from "zod";
import type { Flow, OffsetLag, PipelineDetails, PipelineSummary } from "./types.js";

/** A string, or a number normalised to its decimal text. */
const stringish = z.union([z.string(), z.number().transform(String)]);
const optionalStringish = stringish.nullish().transform((v) => v ?? undefined);
const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
/** A number, or a string holding one. */
const numberish = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const optionalNumberish = numberish.nullish().transform((v) => v ?? undefined);
/** 0/1, "0"/"1" or boolean, as a boolean; absent means false. */
const flag = z
  .union([z.boolean(), z.literal(0), z.literal(1), z.literal("0"), z.literal("1")])
  .nullish()
  .transform((v) => v === true || v === 1 || v === "1");

export const pipelineSummarySchema = z
  .looseObject({
    pipelineId: stringish,
    pipelineName: stringish.nullish(),
    status: z.string(),
    version: optionalStringish,
    orgId: optionalStringish,
    executionMode: optionalNumberish,
  })
  .transform((p): PipelineSummary => ({
    pipelineId: p.pipelineId,
    pipelineName: p.pipelineName ?? "",
    status: p.status,
    version: p.version,
    orgId: p.orgId,
    executionMode: p.executionMode,
  }));

/** One page of List Pipelines. `count` is kept but never trusted as a total. */
export const pipelinePageSchema = z
  .looseObject({
    count: optionalNumberish,
    pipelines: z
      .array(pipelineSummarySchema)
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((page) => ({ count: page.count, pipelines: page.pipelines }));

export const pipelineDetailsSchema = z
  .looseObject({
    pipelineId: stringish,
    pipelineName: stringish.nullish(),
    version: optionalStringish,
    desc: optionalString,
    templateType: optionalStringish,
  })
  .transform((p): PipelineDetails => ({
    pipelineId: p.pipelineId,
    pipelineName: p.pipelineName ?? "",
    version: p.version,
    desc: p.desc,
    templateType: p.templateType,
  }));

const offsetLagObjectSchema = z
  .looseObject({
    pipelineId: stringish,
    topicName: optionalString,
    lagAndOffset: z
      .array(z.looseObject({ lag: numberish, offset: numberish, ts: numberish }))
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform((o): OffsetLag => ({
    pipelineId: o.pipelineId,
    topicName: o.topicName,
    lagAndOffset: o.lagAndOffset.map(({ lag, offset, ts }) => ({ lag, offset, ts })),
  }));

/**
 * Get Pipeline Offset and Lag. The vendor's sample answers one object; its table types `data` as a list of them
 * (and lag/offset as strings): both are accepted, and a list gives its first entry (one pipeline, one topic).
 */
export const offsetLagSchema = z.union([
  offsetLagObjectSchema,
  z
    .array(offsetLagObjectSchema)
    .min(1, "an empty list: no offset-lag entry for the pipeline")
    .transform((list) => list[0] as OffsetLag),
]);

const flowObjectSchema = z
  .looseObject({
    flowId: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
    flowName: stringish.nullish(),
    active: z
      .union([z.literal(0), z.literal(1), z.literal("0"), z.literal("1"), z.boolean()])
      .transform((v): 0 | 1 => (v === 1 || v === "1" || v === true ? 1 : 0)),
    freq: optionalString,
    cycle: optionalString,
    owner: optionalString,
    locked: flag,
    isUserLocked: flag,
  })
  .transform((f): Flow => ({
    flowId: f.flowId,
    flowName: f.flowName ?? "",
    active: f.active,
    freq: f.freq,
    cycle: f.cycle,
    owner: f.owner,
    locked: f.locked,
    isUserLocked: f.isUserLocked,
  }));

/** Get Flow: the flow object, also accepted wrapped as `{flow: {...}}`. */
export const flowSchema = z.union([
  flowObjectSchema,
  z.looseObject({ flow: flowObjectSchema }).transform((w) => w.flow),
]);

/** Token get/refresh `data`. `expire` is the lifetime in seconds. */
export const tokenDataSchema = z.looseObject({
  accessToken: z.string().min(1),
  expire: numberish.pipe(z.number().positive()),
});

/** Mutations answer with no data, `""` or anything else; it is not used. */
export const ignoredDataSchema = z.unknown();
