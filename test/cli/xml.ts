/**
 * A small XML reader for the JUnit reports the tests check: elements, attributes, text and the five predefined
 * entities, with the nesting verified (a mismatched or unclosed tag throws). Enough for JUnit, no DTDs or CDATA.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(\w+);/g, (whole, name: string) => {
    const value = ENTITIES[name];
    if (value === undefined) throw new Error(`unknown entity ${whole}`);
    return value;
  });
}

function attributesOf(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const rest = source.replace(/([\w:-]+)="([^"]*)"/g, (_, key: string, value: string) => {
    attributes[key] = decode(value);
    return "";
  });
  if (rest.trim() !== "") throw new Error(`malformed attributes: ${JSON.stringify(rest.trim())}`);
  return attributes;
}

/** The document's root element. */
export function parseXml(source: string): XmlElement {
  const body = source.replace(/^\s*<\?xml[^?]*\?>/, "");
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const tag = /<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let read = 0;
  while ((match = tag.exec(body)) !== null) {
    read = tag.lastIndex;
    const [, closing, name, attrs, selfClosing, text] = match;
    const parent = stack.at(-1) as XmlElement;
    if (text !== undefined) parent.text += decode(text);
    else if (closing === "/") {
      if (parent.name !== name) throw new Error(`</${String(name)}> closes <${parent.name}>`);
      stack.pop();
    } else {
      const element: XmlElement = {
        name: name ?? "",
        attributes: attributesOf(attrs ?? ""),
        children: [],
        text: "",
      };
      parent.children.push(element);
      if (selfClosing !== "/") stack.push(element);
    }
  }
  if (read !== body.length || stack.length !== 1) {
    throw new Error(`malformed XML at offset ${read} (unclosed or stray markup)`);
  }
  const elements = root.children;
  if (elements.length !== 1 || root.text.trim() !== "")
    throw new Error("an XML document has one root element");
  return elements[0] as XmlElement;
}

/** Every descendant element named `name`. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [
    ...(child.name === name ? [child] : []),
    ...descendants(child, name),
  ]);
}
