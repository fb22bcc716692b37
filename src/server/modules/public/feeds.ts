import { Feed } from "feed";
import type { PublicBroadcast } from "../broadcasts/public-broadcasts.service.js";
import { textWithLinks } from "./html.js";
import { absolute, basePath, type PageContext } from "./layout.js";
import { broadcastPath, excerpt, topicName } from "./pages/common.js";
import { t } from "./texts.js";

/** How many broadcasts the feeds carry: the newest; the archive has the rest. */
export const FEED_SIZE = 50;

/**
 * The archive as RSS 2.0 and Atom 1.0 (the `feed` library writes both), a broadcast's file as
 * its enclosure.
 */
export function buildFeed(ctx: PageContext, items: PublicBroadcast[]): Feed {
  const { tenant, locale } = ctx;
  const base = basePath(tenant);
  const archive = absolute(ctx, `${base}/archivio`);
  const newest = items[0]?.publishedAt;
  const feed = new Feed({
    id: archive,
    title: t(locale, "archiveTitle", { service: tenant.serviceName }),
    description: t(locale, "archiveIntro"),
    link: archive,
    language: locale,
    // A feed with no entries still needs an <updated>: the stable date of the regulation.
    updated: newest ? new Date(newest) : new Date(`${tenant.documents.regulation.date}T00:00:00Z`),
    generator: "Banditore",
    copyright: tenant.name,
    author: { name: tenant.name, link: tenant.contacts.website },
    feedLinks: {
      rss: absolute(ctx, `${base}/feed.xml`),
      atom: absolute(ctx, `${base}/feed.atom`),
    },
  });
  for (const b of items) {
    const url = absolute(ctx, broadcastPath(tenant, b.id));
    feed.addItem({
      title: b.title,
      id: url,
      guid: url,
      link: url,
      date: new Date(b.publishedAt),
      published: new Date(b.publishedAt),
      description: excerpt(b.text, 300),
      // HTML, as content:encoded and Atom's type="html" expect: the line breaks and links kept.
      content: textWithLinks(b.text).toString(),
      category: b.topics.map((id) => ({ name: topicName(tenant, id, locale), term: id })),
      // The file it carried, as an enclosure (RSS) and a link rel="enclosure" (Atom).
      ...(b.media
        ? {
            enclosure: {
              url: `${url}/file`,
              type: b.media.mimeType,
              length: b.media.sizeBytes,
            },
          }
        : {}),
      // No item author: RSS wants an e-mail address there, and Atom takes the feed's.
    });
  }
  return feed;
}
