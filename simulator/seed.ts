/**
 * The simulator's seed: the orgs, apps, users, pipelines and flows it starts with (and returns to on reset).
 * Validated with zod; every field but the ids has a default so hand-written seed files stay short.
 */
import { z } from "zod";

/** Statuses a seed may give a pipeline. `UNRELEASED` = designed but never released. */
export const SEED_PIPELINE_STATUSES = [
  "UNRELEASED",
  "PUBLISHED",
  "RUNNING",
  "PAUSED",
  "STOPPED",
  "RUN_ERROR",
] as const;

/** Versions are strings on the wire ("1", "2"); accept numbers and normalise. */
const versionSchema = z
  .union([z.string().min(1), z.number().int().nonnegative()])
  .transform((v) => String(v));

const idSchema = z.string().min(1);

const orgSchema = z.object({
  orgId: idSchema,
  name: z.string().optional(),
  /** CUs the org may run at once per execution mode; a mode left out has no resources (61128). */
  quotas: z
    .object({
      standalone: z.number().nonnegative().optional(),
      cluster: z.number().nonnegative().optional(),
    })
    .default({}),
});

const appSchema = z.object({
  accessKey: idSchema,
  secretKey: idSchema,
  /** The org the app is registered in; calls naming another org get 99403. Omit for an all-org app. */
  orgId: idSchema.optional(),
});

const userSchema = z.object({
  userId: idSchema,
  orgId: idSchema,
  locked: z.boolean().default(false),
});

const pipelineSchema = z
  .object({
    pipelineId: idSchema,
    orgId: idSchema,
    pipelineName: z.string().optional(),
    desc: z.string().default(""),
    status: z.enum(SEED_PIPELINE_STATUSES).default("PUBLISHED"),
    draftVersion: versionSchema.default("1"),
    /** Defaults to draftVersion for a released pipeline; must be absent/null for an UNRELEASED one. */
    releasedVersion: versionSchema.nullable().optional(),
    executionMode: z.union([z.literal(0), z.literal(1)]).default(0),
    templateType: z.string().default("Data Processing"),
    templateName: z.string().default("Multi-Source Data Processing"),
    messageChannel: z.string().default("kafka"),
    pipelineJson: z.string().default("{}"),
    isSystem: z.boolean().default(false),
    alarmConfig: z.unknown().optional(),
    /** CUs a seeded RUNNING pipeline holds against its org's quota (in its executionMode). */
    cu: z.number().positive().default(1),
    /** Records/s on the input topic until the first start sets it from the start body. */
    kafkaRate: z.number().int().positive().default(1000),
    /** How every run of this pipeline behaves for offset-lag (the health faults, for every run). */
    kafka: z
      .object({
        lagPerSecond: z.number().int().nonnegative().optional(),
        stalled: z.boolean().optional(),
        crashAfterMs: z.number().int().nonnegative().optional(),
        crashAfterSamples: z.number().int().nonnegative().optional(),
        crashStatus: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .superRefine((p, ctx) => {
    if (p.status === "UNRELEASED" && p.releasedVersion != null) {
      ctx.addIssue({
        code: "custom",
        path: ["releasedVersion"],
        message: "an UNRELEASED pipeline has no released version",
      });
    }
  })
  .transform((p) => ({
    ...p,
    pipelineName: p.pipelineName ?? p.pipelineId,
    releasedVersion: p.status === "UNRELEASED" ? null : (p.releasedVersion ?? p.draftVersion),
    alarmConfig: p.alarmConfig ?? null,
  }));

const flowSchema = z
  .object({
    flowId: z.number().int().positive(),
    orgId: idSchema,
    flowName: z.string().optional(),
    active: z.union([z.literal(0), z.literal(1), z.boolean()]).default(0),
    /** ";"-separated user ids. */
    owner: z.string().default(""),
    visitor: z.string().default(""),
    creator: z.string().optional(),
    locked: z.boolean().default(false),
    freq: z.string().default("0 0 * * * ? *"),
    cycle: z.string().default("H"),
    type: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    desc: z.string().default(""),
    parameters: z.array(z.unknown()).default([]),
    alertMode: z.number().int().default(0),
    startTime: z.number().nullable().default(null),
  })
  .transform((f) => ({
    ...f,
    flowName: f.flowName ?? `flow-${f.flowId}`,
    active: f.active === true || f.active === 1 ? (1 as const) : (0 as const),
    creator: f.creator ?? f.owner.split(";")[0] ?? "",
  }));

function duplicates(values: readonly (string | number)[]): (string | number)[] {
  const seen = new Set<string | number>();
  const dups = new Set<string | number>();
  for (const v of values) {
    if (seen.has(v)) dups.add(v);
    seen.add(v);
  }
  return [...dups];
}

/** zod schema of a seed file. `seedSchema.parse(json)` gives the normalised form the simulator runs on. */
export const seedSchema = z
  .object({
    orgs: z.array(orgSchema).default([]),
    apps: z.array(appSchema).default([]),
    users: z.array(userSchema).default([]),
    pipelines: z.array(pipelineSchema).default([]),
    flows: z.array(flowSchema).default([]),
  })
  .superRefine((seed, ctx) => {
    const orgIds = new Set(seed.orgs.map((o) => o.orgId));
    const unique: [string, (string | number)[]][] = [
      ["orgs", seed.orgs.map((o) => o.orgId)],
      ["apps", seed.apps.map((a) => a.accessKey)],
      ["users", seed.users.map((u) => u.userId)],
      ["pipelines", seed.pipelines.map((p) => p.pipelineId)],
      ["flows", seed.flows.map((f) => f.flowId)],
    ];
    for (const [key, ids] of unique) {
      for (const dup of duplicates(ids)) {
        ctx.addIssue({ code: "custom", path: [key], message: `duplicate id ${String(dup)}` });
      }
    }
    const refs: [string, { orgId?: string | undefined }[]][] = [
      ["apps", seed.apps],
      ["users", seed.users],
      ["pipelines", seed.pipelines],
      ["flows", seed.flows],
    ];
    for (const [key, items] of refs) {
      items.forEach((item, i) => {
        if (item.orgId !== undefined && !orgIds.has(item.orgId)) {
          ctx.addIssue({ code: "custom", path: [key, i, "orgId"], message: `unknown org ${item.orgId}` });
        }
      });
    }
  });

/** A seed as written (JSON file or object literal): defaults not yet applied. */
export type Seed = z.input<typeof seedSchema>;
/** A validated seed with every default applied. */
export type ParsedSeed = z.output<typeof seedSchema>;

/** Validate a seed; throws an Error listing the problems (path: message) when it is invalid. */
export function parseSeed(seed: unknown): ParsedSeed {
  const result = seedSchema.safeParse(seed);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid simulator seed:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** The built-in seed `npx enos-sim` runs with. */
export const defaultSeed: Seed = {
  orgs: [{ orgId: "o-demo", name: "Demo organisation", quotas: { standalone: 32, cluster: 64 } }],
  apps: [{ accessKey: "demo-access-key", secretKey: "demo-secret-key", orgId: "o-demo" }],
  users: [{ userId: "u-demo", orgId: "o-demo", locked: false }],
  pipelines: [1, 2, 3].map((n) => ({
    pipelineId: `demo-pipeline-${n}`,
    orgId: "o-demo",
    pipelineName: `Demo pipeline ${n}`,
    status: "PUBLISHED" as const,
    draftVersion: "1",
    releasedVersion: "1",
    executionMode: 0 as const,
  })),
  flows: [
    { flowId: 3377, orgId: "o-demo", flowName: "Demo flow 3377", active: 0, owner: "u-demo" },
    { flowId: 3378, orgId: "o-demo", flowName: "Demo flow 3378", active: 1, owner: "u-demo" },
  ],
};

/** Options of {@link makeSeed}. */
export interface MakeSeedOptions {
  /** Extra pipelines `sim-pipeline-0001`… in o-demo (PUBLISHED unless `pipelineStatus` says otherwise). */
  readonly pipelines?: number;
  /** Extra flows 100001… in o-demo owned by u-demo; odd ones active. */
  readonly flows?: number;
  readonly pipelineStatus?: (typeof SEED_PIPELINE_STATUSES)[number];
  /** Standalone CU quota of o-demo (default 32 + 4 per extra pipeline). */
  readonly standaloneQuota?: number;
  /** Cluster CU quota of o-demo (default 64 + 8 per extra pipeline); `null` = no cluster resources. */
  readonly clusterQuota?: number | null;
}

/** The default seed plus many generated pipelines and flows, for tests and the bench. */
export function makeSeed(options: MakeSeedOptions = {}): Seed {
  const pipelineCount = options.pipelines ?? 0;
  const flowCount = options.flows ?? 0;
  const cluster = options.clusterQuota === undefined ? 64 + 8 * pipelineCount : options.clusterQuota;
  const quotas: { standalone: number; cluster?: number } = {
    standalone: options.standaloneQuota ?? 32 + 4 * pipelineCount,
  };
  if (cluster !== null) quotas.cluster = cluster;
  const pad = (n: number): string => String(n).padStart(4, "0");
  return {
    ...defaultSeed,
    orgs: [{ orgId: "o-demo", name: "Demo organisation", quotas }],
    pipelines: [
      ...(defaultSeed.pipelines ?? []),
      ...Array.from({ length: pipelineCount }, (_, i) => ({
        pipelineId: `sim-pipeline-${pad(i + 1)}`,
        orgId: "o-demo",
        status: options.pipelineStatus ?? ("PUBLISHED" as const),
        draftVersion: "1",
      })),
    ],
    flows: [
      ...(defaultSeed.flows ?? []),
      ...Array.from({ length: flowCount }, (_, i) => ({
        flowId: 100001 + i,
        orgId: "o-demo",
        active: ((i + 1) % 2) as 0 | 1,
        owner: "u-demo",
      })),
    ],
  };
}
