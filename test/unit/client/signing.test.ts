import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apimSignature, paramsData, tokenEncryption } from "../../../provider/client/index.js";

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

describe("apimSignature: the vectors of docs/ENOS-API.md", () => {
  const base = {
    accessToken: "xxxxaaaxxxx",
    appSecret: "xxxappSecretxxx",
    timestamp: 1572574909697,
    query: "k3=v3&k1=v1&k2=v2",
  };

  it("with a body", () => {
    expect(apimSignature({ ...base, body: '{"count":20,"page":1,"desc":"description"}' })).toBe(
      "41a6685e7d044aeb864bd6b24d90614117c638f2d94627ea5dfe5c24746850de",
    );
  });

  it("without a body", () => {
    expect(apimSignature(base)).toBe("9c7e8810c67a4c1642b41acf89c6d8ebdb697d19ba45a6ee9f170dbbc8ad0e0a");
  });

  it("gives the same answer for the query as a record, URLSearchParams or a string, and a string timestamp", () => {
    const expected = "9c7e8810c67a4c1642b41acf89c6d8ebdb697d19ba45a6ee9f170dbbc8ad0e0a";
    expect(apimSignature({ ...base, query: { k3: "v3", k1: "v1", k2: "v2" } })).toBe(expected);
    expect(apimSignature({ ...base, query: new URLSearchParams(base.query) })).toBe(expected);
    expect(apimSignature({ ...base, timestamp: "1572574909697" })).toBe(expected);
  });

  it("is lowercase hex of sha256(token + paramsData + body + timestamp + secret) over UTF-8", () => {
    const body = '{"name":"流水线 ü"}';
    const sig = apimSignature({
      accessToken: "t",
      appSecret: "s",
      timestamp: 5,
      query: { b: "2", a: "1" },
      body,
    });
    expect(sig).toBe(sha256(`ta1b2${body}5s`));
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
  });

  it("treats no query and an empty query alike", () => {
    const a = apimSignature({ accessToken: "t", appSecret: "s", timestamp: 1 });
    expect(apimSignature({ accessToken: "t", appSecret: "s", timestamp: 1, query: {} })).toBe(a);
    expect(apimSignature({ accessToken: "t", appSecret: "s", timestamp: 1, query: "" })).toBe(a);
  });
});

describe("paramsData", () => {
  it("sorts by name in ASCII order and writes name+value without separators", () => {
    expect(paramsData({ k3: "v3", k1: "v1", k2: "v2" })).toBe("k1v1k2v2k3v3");
    // ASCII: upper case before lower case, "_" between them, digits first.
    expect(paramsData({ b: "1", B: "2", _: "3", "1": "4", a: "5" })).toBe("14B2_3a5b1");
    expect(
      paramsData({ pageSize: "100", orgId: "o1", pageNo: "1", isSystem: "false", ifReleased: "true" }),
    ).toBe("ifReleasedtrueisSystemfalseorgIdo1pageNo1pageSize100");
  });

  it("uses decoded values when given an encoded query string", () => {
    expect(paramsData("b=x%20y&a=%E6%B5%81%26%3D")).toBe("a流&=bx y");
    expect(paramsData("q=a+b")).toBe("qa b");
    expect(paramsData("?z=1&y=")).toBe("yz1");
  });

  it("refuses repeated names instead of guessing", () => {
    expect(() => paramsData("a=1&a=2")).toThrow(/repeated/);
  });

  it("is empty without parameters", () => {
    expect(paramsData()).toBe("");
    expect(paramsData({})).toBe("");
  });
});

describe("tokenEncryption", () => {
  it("is hex(sha256(appKey + timestamp + appSecret))", () => {
    expect(tokenEncryption("myKey", 1572574909697, "mySecret")).toBe(sha256("myKey1572574909697mySecret"));
  });
});
