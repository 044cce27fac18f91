import { describe, expect, it } from "vitest";
import { childrenNamed, childText, escapeXml, parseXml, xmlDocument, XmlParseError } from "../src/s3/xml";

describe("xml writer", () => {
  it("escapes text and writes nested lists", () => {
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;&#x1;");
    const doc = xmlDocument(["R", ["K", "x&y"], [["C", 1], ["C", true]], null]);
    expect(doc).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><K>x&amp;y</K><C>1</C><C>true</C></R>');
  });
});

describe("xml parser", () => {
  it("reads a CompleteMultipartUpload body as SDKs send it (namespace, declaration, entities)", () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Part><ETag>&quot;abc&quot;</ETag><PartNumber>1</PartNumber></Part><!-- c --><Part><ETag>"d"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`,
    );
    expect(root.name).toBe("CompleteMultipartUpload");
    const parts = childrenNamed(root, "Part");
    expect(parts.map((p) => [childText(p, "ETag"), childText(p, "PartNumber")])).toEqual([['"abc"', "1"], ['"d"', "2"]]);
  });

  it("reads Delete with Quiet, keys with entities and character references, self-closing elements", () => {
    const root = parseXml("<Delete><Quiet>true</Quiet><Object><Key>a&amp;b&#x20;c&#233;</Key></Object><Object><Key><![CDATA[<x>]]></Key></Object><Empty/></Delete>");
    expect(childText(root, "Quiet")).toBe("true");
    expect(childrenNamed(root, "Object").map((o) => childText(o, "Key"))).toEqual(["a&b cé", "<x>"]);
  });

  it("refuses malformed, too deep, DOCTYPE and trailing content", () => {
    for (const bad of ["<a><b></a>", "<a>", "", "text", "<a></a><b/>", "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "<a>&bogus;</a>", "<a><b>".repeat(20) + "</b></a>".repeat(20)]) {
      expect(() => parseXml(bad), bad.slice(0, 30)).toThrow(XmlParseError);
    }
  });
});
