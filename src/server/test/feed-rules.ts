import { XMLParser, XMLValidator } from "fast-xml-parser";

/**
 * The rules a feed must keep, checked by hand on the parsed XML (a feed parser is lenient by
 * design): the RSS 2.0 specification of the RSS Advisory Board and RFC 4287 (Atom). Each
 * function returns the broken rules, empty when the feed keeps them all.
 */

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  isArray: () => true,
});

type Node = Record<string, unknown[]>;
const nodes = (node: Node | undefined, name: string) => (node?.[name] ?? []) as Node[];
const textOf = (value: unknown): string => {
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (value && typeof value === "object" && "#text" in value) {
    const text = (value as Record<string, unknown>)["#text"];
    return textOf(Array.isArray(text) ? (text as unknown[])[0] : text);
  }
  return "";
};
const one = (node: Node, name: string) => textOf((node[name] ?? [])[0]);
const attr = (node: Node, name: string) => textOf((node[`@${name}`] ?? [])[0] ?? node[`@${name}`]);

/** RFC 822 dates as RSS 2.0 writes them: "Mon, 30 Nov 2026 08:27:28 GMT". */
const RFC822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(:\d{2})? (GMT|UT|[+-]\d{4})$/;
/** RFC 3339 date-times as Atom writes them. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function wellFormed(xml: string): string[] {
  const result = XMLValidator.validate(xml);
  return result === true ? [] : [`not well-formed XML: ${result.err.msg}`];
}

export function rss2Problems(xml: string): string[] {
  const problems = wellFormed(xml);
  if (problems.length) return problems;
  const doc = parser.parse(xml) as Node;
  const rss = nodes(doc, "rss");
  if (rss.length !== 1 || attr(rss[0] as Node, "version") !== "2.0")
    problems.push('the root must be one <rss version="2.0">');
  const channels = nodes(rss[0], "channel");
  if (channels.length !== 1) return [...problems, "<rss> must hold exactly one <channel>"];
  const channel = channels[0] as Node;
  for (const required of ["title", "link", "description"]) {
    if (!one(channel, required)) problems.push(`<channel> needs a <${required}>`);
  }
  for (const date of ["pubDate", "lastBuildDate"]) {
    const value = one(channel, date);
    if (value && !RFC822.test(value))
      problems.push(`<channel><${date}> is not an RFC 822 date: ${value}`);
  }
  const guids = new Set<string>();
  nodes(channel, "item").forEach((item, i) => {
    const where = `<item> ${i + 1}`;
    if (!one(item, "title") && !one(item, "description"))
      problems.push(`${where} needs a <title> or a <description>`);
    const pubDate = one(item, "pubDate");
    if (pubDate && !RFC822.test(pubDate))
      problems.push(`${where}: <pubDate> is not an RFC 822 date`);
    const guid = one(item, "guid");
    if (guid) {
      if (guids.has(guid)) problems.push(`${where}: <guid> ${guid} is not unique`);
      guids.add(guid);
    }
    const author = one(item, "author");
    if (author && !/@/.test(author)) problems.push(`${where}: <author> must be an e-mail address`);
    for (const enclosure of nodes(item, "enclosure")) {
      for (const a of ["url", "length", "type"]) {
        if (!attr(enclosure, a)) problems.push(`${where}: <enclosure> needs its ${a} attribute`);
      }
    }
  });
  return problems;
}

export function atomProblems(xml: string): string[] {
  const problems = wellFormed(xml);
  if (problems.length) return problems;
  const doc = parser.parse(xml) as Node;
  const feeds = nodes(doc, "feed");
  if (feeds.length !== 1) return ["the root must be one <feed>"];
  const feed = feeds[0] as Node;
  if (attr(feed, "xmlns") !== "http://www.w3.org/2005/Atom")
    problems.push("<feed> must be in the Atom namespace");
  for (const required of ["id", "title", "updated"]) {
    if (nodes(feed, required).length !== 1) problems.push(`<feed> needs exactly one <${required}>`);
  }
  if (!RFC3339.test(one(feed, "updated"))) problems.push("<feed><updated> is not an RFC 3339 date");
  const feedHasAuthor = nodes(feed, "author").some((a) => one(a, "name"));
  if (!nodes(feed, "link").some((l) => attr(l, "rel") === "self"))
    problems.push('<feed> should have a <link rel="self">');
  const ids = new Set<string>();
  nodes(feed, "entry").forEach((entry, i) => {
    const where = `<entry> ${i + 1}`;
    for (const required of ["id", "title", "updated"]) {
      if (nodes(entry, required).length !== 1)
        problems.push(`${where} needs exactly one <${required}>`);
    }
    if (!RFC3339.test(one(entry, "updated")))
      problems.push(`${where}: <updated> is not an RFC 3339 date`);
    const id = one(entry, "id");
    if (ids.has(id)) problems.push(`${where}: <id> ${id} is not unique`);
    ids.add(id);
    if (!feedHasAuthor && !nodes(entry, "author").some((a) => one(a, "name")))
      problems.push(`${where} needs an <author> (the feed has none)`);
    const links = nodes(entry, "link");
    if (
      !nodes(entry, "content").length &&
      !links.some((l) => (attr(l, "rel") || "alternate") === "alternate")
    ) {
      problems.push(`${where} needs a <content> or a <link rel="alternate">`);
    }
    for (const link of links.filter((l) => attr(l, "rel") === "enclosure")) {
      if (!attr(link, "href") || !attr(link, "type"))
        problems.push(`${where}: an enclosure link needs href and type`);
    }
  });
  return problems;
}
