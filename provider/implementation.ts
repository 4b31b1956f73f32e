import { EnosClient } from "./client/client.js";
import { credentialKey } from "./client/token.js";
import { credentialSettingNames, requireSettings } from "./config.js";
import { processGlobal } from "./registry.js";
import type { ProviderKind } from "./resources/common/thin.js";
import type { PipelineDeps } from "./resources/pipeline/converge.js";
import { PipelineProvider } from "./resources/pipeline/provider.js";
import { FlowProvider } from "./resources/flow/provider.js";

/** One client per (gateway, access key, secret) in the process: one token, one connection pool. */
function sharedClient(): EnosClient {
  const settings = requireSettings();
  const key = credentialKey(settings.apiGateway, settings.accessKey, settings.secretKey);
  const clients = processGlobal<Record<string, EnosClient>>("clients", () => ({}));
  return (clients[key] ??= new EnosClient(
    { apiGateway: settings.apiGateway, accessKey: settings.accessKey, secretKey: settings.secretKey },
    { settingNames: credentialSettingNames() },
  ));
}

/** The dependencies of the real provider: shared client, real clock, stdout (Pulumi shows it under the resource). */
export function defaultDeps(): PipelineDeps {
  return {
    client: sharedClient,
    clock: Date.now,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (line) => {
      console.log(line);
    },
  };
}

/**
 * The implementation behind a thin serialised provider. Internal: called by `__provider` code in the
 * dynamic-provider host; one instance per kind per process.
 * @internal
 */
export function providerImplementation(kind: ProviderKind): PipelineProvider | FlowProvider {
  return processGlobal(`implementation:${kind}`, () =>
    kind === "pipeline" ? new PipelineProvider(defaultDeps()) : new FlowProvider(defaultDeps()),
  );
}
