/**
 * Sentences that turn a failure caused by a wrong setting into the setting to fix: nothing listening at the
 * gateway, a host that does not resolve, a TLS failure, a server that is not the APIM gateway, a token-service
 * refusal of the access or secret key. The client knows the values; who configured them and under which name
 * (`enos:apiGateway` in a Pulumi stack, a constructor field in a script) comes from {@link SettingNames}.
 */

/** What each credential is called where the user sets it, e.g. `enos:apiGateway` or `ENOS_API_GATEWAY`. */
export interface SettingNames {
  readonly apiGateway: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

/** The constructor's own field names: right for a script that builds an EnosClient itself. */
export const FIELD_NAMES: SettingNames = {
  apiGateway: "apiGateway",
  accessKey: "accessKey",
  secretKey: "secretKey",
};

/** The gateway as the messages name it: the setting, its value, and the host alone for DNS and TLS. */
export interface GatewayLabel {
  readonly setting: string;
  /** Normalised gateway URL; validated at construction, so it never holds credentials, a query or fragment. */
  readonly url: string;
  readonly host: string;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH$)/;

/**
 * For a connection-level failure code, what happened and what to check, naming the gateway setting and its
 * value; undefined for failures that do not point at the setting (a reset mid-call, a closed socket).
 */
export function connectFailureHint(code: string | undefined, gateway: GatewayLabel): string | undefined {
  const check = `check ${gateway.setting} (${gateway.url})`;
  switch (code) {
    case "ECONNREFUSED":
      return `nothing is listening at ${gateway.url}: ${check} is the APIM gateway of your EnOS environment and that it is up (for enos-sim: that it is running on that port)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host ${gateway.host} does not resolve (DNS): ${check} for a typo, and this machine's DNS or VPN`;
    case "ENETUNREACH":
    case "EHOSTUNREACH":
    case "EADDRNOTAVAIL":
      return `no network route to ${gateway.host}: ${check}, and this machine's network, VPN or proxy`;
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return `no connection to ${gateway.host} within the connect timeout: ${check}, and any firewall or proxy between this machine and EnOS`;
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return `the TLS handshake with ${gateway.host} failed: ${check}: the APIM gateway is https:// (http:// only for a local enos-sim), and this machine must trust its certificate (NODE_EXTRA_CA_CERTS for a private CA)`;
  }
  return undefined;
}

/** HTTP statuses the APIM gateway is documented to answer without an EnOS envelope (docs/ENOS-API.md), and proxies'. */
const GATEWAY_STATUSES = new Set([400, 401, 403, 413, 429, 500, 502, 503, 504]);

function looksLikeHtml(contentType: string | undefined, text: string): boolean {
  return /html/i.test(contentType ?? "") || /^\s*</.test(text);
}

/**
 * One sentence for an answer that is not what the APIM gateway sends — an HTTP status the gateway does not use,
 * without an EnOS envelope, or a successful HTML page — or undefined when the answer may well be the gateway's
 * (its documented statuses keep their own, more specific hints, whatever the body).
 */
export function notGatewayHint(
  status: number,
  contentType: string | undefined,
  text: string,
  gateway: GatewayLabel,
): string | undefined {
  const html = looksLikeHtml(contentType, text);
  const ok2xx = status >= 200 && status < 300;
  if (GATEWAY_STATUSES.has(status) || (ok2xx && !html)) return undefined;
  const what = html ? "an HTML page" : `HTTP ${status} without an EnOS envelope`;
  return `the server at ${gateway.url} answered with ${what}, not like the EnOS APIM gateway: check ${gateway.setting} (${gateway.url}) is your environment's APIM gateway URL (e.g. https://apim-ppe1.envisioniot.com), with no extra path`;
}

/** For token-service codes caused by the access key or secret key: the setting to fix (after the code's meaning). */
export function credentialHint(code: number, names: SettingNames): string | undefined {
  switch (code) {
    case 1002:
      return `check ${names.accessKey} (the application's access key, EnOS's appKey)`;
    case 1003:
      return `check that ${names.secretKey} and ${names.accessKey} are the keys of the same application`;
    case 1202:
      return `set ${names.accessKey} and ${names.secretKey}`;
    case 1203:
    case 1204:
      return `check ${names.accessKey} and ${names.secretKey}, and this machine's clock`;
  }
  return undefined;
}

/** Whether an EnOS code means the credentials (not the resource or the call) are at fault. */
export function isCredentialCode(code: number): boolean {
  return code === 1002 || code === 1003 || code === 1202 || code === 1203 || code === 1204;
}
