import { z } from "zod";
import { processGlobal } from "./registry.js";

/**
 * Provider settings: stack config (`enos:*`, handed to the provider by the engine's Configure call, secrets
 * already decrypted) with `ENOS_*` environment variables as the fallback. Settings live only in the provider
 * process; they are never captured in `__provider` and never written to state.
 */
export interface ProviderSettings {
  readonly apiGateway: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Default organisation for resources that do not name one. */
  readonly orgId: string | undefined;
  /** Default flow owner for EnosFlowSchedule. */
  readonly userId: string | undefined;
}

/** Each setting with its stack-config key and environment variable. */
export const SETTING_SOURCES = {
  apiGateway: { config: "enos:apiGateway", env: "ENOS_API_GATEWAY" },
  accessKey: { config: "enos:accessKey", env: "ENOS_ACCESS_KEY" },
  secretKey: { config: "enos:secretKey", env: "ENOS_SECRET_KEY" },
  orgId: { config: "enos:orgId", env: "ENOS_ORG_ID" },
  userId: { config: "enos:userId", env: "ENOS_USER_ID" },
  haltRolloutOnUnhealthy: { config: "enos:haltRolloutOnUnhealthy", env: "ENOS_HALT_ROLLOUT_ON_UNHEALTHY" },
} as const;

type SettingName = keyof typeof SETTING_SOURCES;
type RawSettings = Partial<Record<SettingName, string>>;

const CONFIGURED = "configured-settings";

/** The stack config the engine last sent, shared by every resource in the process. */
const configuredHolder = (): { raw: RawSettings } => processGlobal(CONFIGURED, () => ({ raw: {} }));

/** Remember the stack config the engine sent (called from the provider's `configure`). */
export function rememberStackConfig(get: (key: string) => unknown): void {
  const raw: RawSettings = {};
  for (const [name, source] of Object.entries(SETTING_SOURCES) as [SettingName, { config: string }][]) {
    const value = get(source.config);
    if (typeof value === "string" && value !== "") raw[name] = value;
  }
  configuredHolder().raw = raw;
}

function rawSetting(name: SettingName, env: NodeJS.ProcessEnv): string | undefined {
  const configured = configuredHolder().raw[name];
  const fromEnv = env[SETTING_SOURCES[name].env];
  return configured ?? (fromEnv === "" ? undefined : fromEnv);
}

/** Where a setting comes from, for messages: "stack config enos:orgId (or ENOS_ORG_ID)". */
export function settingSource(name: SettingName): string {
  const { config, env } = SETTING_SOURCES[name];
  return `stack config ${config} (or ${env})`;
}

/**
 * `enos:haltRolloutOnUnhealthy` (default true): whether a failed health check halts the rest of the rollout in
 * its organisation. `problem` says what is wrong with a malformed value (the value then counts as true).
 */
export function haltRolloutSetting(env = process.env): { enabled: boolean; problem?: string } {
  const raw = rawSetting("haltRolloutOnUnhealthy", env);
  if (raw === undefined) return { enabled: true };
  const text = raw.trim().toLowerCase();
  if (text === "true" || text === "false") return { enabled: text === "true" };
  const { config } = SETTING_SOURCES.haltRolloutOnUnhealthy;
  return {
    enabled: true,
    problem: `${settingSource("haltRolloutOnUnhealthy")} must be true or false (got ${JSON.stringify(raw.slice(0, 40))}): run \`pulumi config set ${config} false\` to turn the rollout halt off`,
  };
}

/**
 * The name each credential was set under, for error messages: the stack-config key when the engine sent it,
 * otherwise the environment variable it came from.
 */
export function credentialSettingNames(
  env = process.env,
): Record<"apiGateway" | "accessKey" | "secretKey", string> {
  const configured = configuredHolder().raw;
  const nameOf = (name: "apiGateway" | "accessKey" | "secretKey"): string => {
    const { config, env: variable } = SETTING_SOURCES[name];
    return configured[name] === undefined && env[variable] !== undefined ? variable : config;
  };
  return { apiGateway: nameOf("apiGateway"), accessKey: nameOf("accessKey"), secretKey: nameOf("secretKey") };
}

/**
 * A resource default (orgId, userId) from the stack config the engine sent, without requiring credentials.
 * Never from the environment: a resource's inputs must not depend on the machine that ran `check`, or the same
 * stack run from two machines would plan a replace of every resource that leaves it to the default.
 */
export function stackDefault(name: "orgId" | "userId"): string | undefined {
  return configuredHolder().raw[name];
}

/** Where a resource default comes from, for messages: only the stack config (see {@link stackDefault}). */
export function stackDefaultSource(name: "orgId" | "userId"): string {
  return `stack config ${SETTING_SOURCES[name].config}`;
}

const CONFIG_ERROR_BRAND = Symbol.for("pulumi-enos.EnosConfigError");

/** The provider cannot reach EnOS because settings are missing or malformed. Names each key and the fix. */
export class EnosConfigError extends Error {
  readonly [CONFIG_ERROR_BRAND] = true;
  constructor(readonly problems: readonly string[]) {
    super(`EnOS provider configuration: ${problems.join("; ")}`);
    this.name = "EnosConfigError";
  }
  static isInstance(value: unknown): value is EnosConfigError {
    return typeof value === "object" && value !== null && CONFIG_ERROR_BRAND in value;
  }
}

const gatewaySchema = z
  .url()
  .refine((url) => /^https?:\/\//.test(url), "must start with http:// or https://");

/**
 * What is wrong with a gateway URL, if anything. Credentials, a query or a fragment would be sent (or signed)
 * with every call, so they are refused here, by key, rather than deeper in the client; the value is echoed
 * only when it cannot hold a credential.
 */
function checkGateway(text: string): string | undefined {
  const example = "https://apim.example.envisioniot.com";
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || !gatewaySchema.safeParse(text).success) {
    const shown = text.includes("@")
      ? "a value that may hold credentials"
      : JSON.stringify(text.slice(0, 100));
    return `must be an http(s) URL such as ${example} (got ${shown})`;
  }
  if (url.username !== "" || url.password !== "") {
    return "must not contain credentials (user:password@): set enos:accessKey and enos:secretKey instead";
  }
  if (url.search !== "" || url.hash !== "") {
    return `must not contain a query or fragment (?… or #…): use the gateway's base URL, e.g. ${example}`;
  }
  return undefined;
}

/** Settings needed to call EnOS; throws EnosConfigError naming every missing or bad key. */
export function requireSettings(env = process.env): ProviderSettings {
  const problems: string[] = [];
  const required = (name: "apiGateway" | "accessKey" | "secretKey", hint: string): string => {
    const value = rawSetting(name, env);
    if (value === undefined) {
      const { config, env: variable } = SETTING_SOURCES[name];
      const secret = name === "secretKey" ? "--secret " : "";
      problems.push(
        `${config} is not set: run \`pulumi config set ${secret}${config} <${hint}>\` or set ${variable}`,
      );
    }
    return value ?? "";
  };
  const apiGateway = required("apiGateway", "https://your-apim-gateway");
  const accessKey = required("accessKey", "app access key");
  const secretKey = required("secretKey", "app secret key");
  const gatewayProblem = apiGateway === "" ? undefined : checkGateway(apiGateway);
  if (gatewayProblem !== undefined) problems.push(`${SETTING_SOURCES.apiGateway.config} ${gatewayProblem}`);
  if (problems.length > 0) throw new EnosConfigError(problems);
  return {
    apiGateway: apiGateway.replace(/\/+$/, ""),
    accessKey,
    secretKey,
    orgId: rawSetting("orgId", env),
    userId: rawSetting("userId", env),
  };
}
