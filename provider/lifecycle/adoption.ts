import { processGlobal } from "../registry.js";

/**
 * Hand-over: which resource of the running deployment has declared each pipeline (or flow).
 *
 * The engine sends `check` for every resource the program registers, before it deletes anything the program no
 * longer registers (those deletes are scheduled once the program has finished) and before it deletes the old
 * half of a replacement (`deleteBeforeReplace` included). So when a delete arrives, every resource of this
 * deployment that wants the same pipeline has already been checked. A rename, a move under a component, a
 * replace on the same pipeline, or two entries swapping pipelines all end in a delete whose pipeline another
 * resource has just declared: that delete must leave EnOS alone.
 *
 * The knowledge is the program plus Pulumi state, re-derived by every command: a new provider process (one per
 * `pulumi up`) learns it again from the checks of that command. Nothing here outlives the deployment that
 * checked it, and a command that checks nothing (`pulumi destroy`) hands nothing over.
 */
export type AdoptionKind = "pipeline" | "flow";

type Adoptions = Map<string, string>;

const adoptions = (): Adoptions => processGlobal<Adoptions>("adoptions.v1", () => new Map());

const keyOf = (kind: AdoptionKind, target: string): string => `${kind}\u0000${target}`;

/** Record that `adopter` (a URN, or a description when the program did not say) declares `target`. */
export function noteAdoption(kind: AdoptionKind, target: string, adopter: string): void {
  adoptions().set(keyOf(kind, target), adopter);
}

/** The resource of this deployment that declared `target`, if any. */
export function adopterOf(kind: AdoptionKind, target: string): string | undefined {
  return adoptions().get(keyOf(kind, target));
}

/** The name of the internal input that carries a resource's own URN (set by the resource classes). */
export const ADOPTER_INPUT = "adopterUrn";

/** The adopter named by checked-in inputs: the URN the resource class sent, or a plain description. */
export function adopterFrom(news: Record<string, unknown>): string {
  const urn = news[ADOPTER_INPUT];
  return typeof urn === "string" && urn !== "" ? urn : "another resource";
}

/**
 * What a `check` declares: the target in `field` of its checked inputs (when that field passed) is adopted by the
 * resource whose inputs were `news`.
 */
export function noteCheckedAdoption(
  kind: AdoptionKind,
  field: string,
  checked: { readonly inputs: Record<string, unknown>; readonly failures: readonly { property: string }[] },
  news: Record<string, unknown>,
): void {
  const target = checked.inputs[field];
  if (
    (typeof target === "string" || typeof target === "number") &&
    !checked.failures.some((f) => f.property === field)
  )
    noteAdoption(kind, String(target), adopterFrom(news));
}

/** Forget every adoption (tests: the next command, which has checked nothing yet, in the same process). */
export function forgetAdoptions(): void {
  adoptions().clear();
}
