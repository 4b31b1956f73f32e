import { describe, expect, it } from "vitest";
import { slug, uniqueNames } from "../../provider/import/names.js";

const VALID = /^[a-z0-9][a-z0-9-]{0,62}$/;

describe("import names", () => {
  it("slugs display names to readable, valid names", () => {
    expect(slug("Ingest Telemetry (v2)")).toBe("ingest-telemetry-v2");
    expect(slug("Météo — vent & pluie")).toBe("meteo-vent-pluie");
    expect(slug("数据清洗")).toBe("");
    expect(slug("x".repeat(100))).toHaveLength(63);
  });

  it("keeps names unique, and which one keeps the plain name does not depend on listing order", () => {
    const items = [
      { id: "2e4f0b2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", displayName: "Ingest" },
      { id: "p-short", displayName: "Ingest" },
      { id: "0aa1bb2c-1c3d-4e5f-8a9b-0c1d2e3f4a5b", displayName: "Ingest" },
      { id: "p-chinese", displayName: "数据清洗" },
    ];
    const names = uniqueNames(items, "pipeline");
    expect(Object.fromEntries(names)).toEqual({
      "0aa1bb2c-1c3d-4e5f-8a9b-0c1d2e3f4a5b": "ingest",
      "2e4f0b2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b": "ingest-2e4f0b2a",
      "p-short": "ingest-p-short",
      "p-chinese": "pipeline-p-chinese",
    });
    expect(Object.fromEntries(uniqueNames([...items].reverse(), "pipeline"))).toEqual(
      Object.fromEntries(names),
    );
  });

  it("stays valid and unique for long names and ids that collide after shortening", () => {
    const long = "A very long pipeline name ".repeat(5);
    const items = Array.from({ length: 30 }, (_, i) => ({
      id: `ffffffff-0000-0000-0000-${String(i).padStart(12, "0")}`,
      displayName: long,
    }));
    const names = [...uniqueNames(items, "pipeline").values()];
    expect(new Set(names).size).toBe(30);
    for (const name of names) expect(name).toMatch(VALID);
  });
});
