import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../../test/build-test-app.js";
import { consoleRoutes } from "./console.routes.js";

describe("the console's files under /console/", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "console-build-"));
    await mkdir(path.join(dir, "assets"));
    await writeFile(path.join(dir, "index.html"), "<!doctype html><title>console</title>");
    await writeFile(path.join(dir, "assets", "app-abc123.js"), "console.log(1)");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("serves index.html for the app's own paths, hashed files for good, and a CSP", async () => {
    const app = Fastify();
    await app.register(consoleRoutes({ dir }));
    for (const url of ["/console/", "/console/setup", "/console/concorezzo/broadcasts/3"]) {
      const page = await app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body).toContain("<title>console</title>");
      expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(page.headers["cache-control"]).toBe("no-cache");
    }
    const asset = await app.inject({ url: "/console/assets/app-abc123.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toContain("immutable");
    expect((await app.inject({ url: "/console" })).headers.location).toBe("/console/");
    await app.close();
  });

  it("says the console is not built, instead of a bare 404, when it is not", async () => {
    const app = Fastify();
    await app.register(consoleRoutes({ dir: path.join(dir, "missing") }));
    const page = await app.inject({ url: "/console/setup" });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain("npm run build");
    await app.close();
  });
});

describe("the home page /", () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await buildTestApp();
  });
  afterAll(() => test.close());

  it("says what this is in Italian, with the console, the sandbox and each comune's page", async () => {
    const page = await test.app.inject({ url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).toContain('<html lang="it">');
    expect(page.body).toContain('href="/console/"');
    expect(page.body).toContain('href="/sandbox"');
    expect(page.body).toContain('href="/c/concorezzo/"');
    expect(page.body).toContain('href="/c/casale-marittimo/"');
    expect(page.body).toContain("+39 366 578 4663");
  });

  it("answers in English when the browser prefers it, and escapes the comuni's texts", async () => {
    const page = await test.app.inject({ url: "/", headers: { "accept-language": "en-GB,en" } });
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain("Open the console");
    expect(page.body).not.toMatch(/<script/);
  });
});
