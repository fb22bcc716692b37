import { useEffect } from "react";
import { Link, Navigate, Route, Routes, useParams } from "react-router";
import { Layout } from "./components/Layout";
import { useI18n, type MessageKey } from "./i18n";
import { RequireSession, type Me } from "./lib/session";
import { BroadcastDetail } from "./pages/BroadcastDetail";
import { BroadcastsList } from "./pages/BroadcastsList";
import { ComposerPage } from "./pages/Composer";
import { LoginPage } from "./pages/Login";
import { SetupPage } from "./pages/Setup";
import { mayOpen, SECTIONS } from "./sections";

/** The page's title, as a screen reader announces a new page: "Comunicazioni – Banditore". */
function useTitle(key: MessageKey) {
  const { t } = useI18n();
  useEffect(() => {
    document.title = `${t(key)} – ${t("app.name")}`;
  }, [key, t]);
}

function NotFound() {
  const { t } = useI18n();
  useTitle("app.notFound");
  return (
    <>
      <h1 className="h2">{t("app.notFound")}</h1>
      <Link to="/">{t("app.backHome")}</Link>
    </>
  );
}

/** "/": the first comune of the person's roles (they switch in the header). */
function Start({ me }: { me: Me }) {
  const { t } = useI18n();
  const first = me.comuni[0];
  // Who reads the figures starts from the dashboard; the others from the broadcasts.
  if (first) {
    const home = first.permissions.includes("reports.read") ? "dashboard" : "broadcasts";
    return <Navigate to={`/${first.tenant}/${home}`} replace />;
  }
  return (
    <Layout me={me}>
      <p>{t("login.noComune")}</p>
    </Layout>
  );
}

type TenantPage = "list" | "new" | "edit" | "detail";
const TITLES: Record<TenantPage, MessageKey> = {
  list: "broadcasts.title",
  new: "composer.titleNew",
  edit: "composer.titleEdit",
  detail: "broadcasts.title",
};

/** The broadcasts' addresses under a comune, and the page each opens. */
const BROADCAST_ROUTES: [path: string, page: TenantPage][] = [
  ["/:tenant/broadcasts", "list"],
  ["/:tenant/broadcasts/new", "new"],
  ["/:tenant/broadcasts/:id", "detail"],
  ["/:tenant/broadcasts/:id/edit", "edit"],
];

function TenantRoute({ me, page }: { me: Me; page: TenantPage }) {
  const { tenant = "", id } = useParams();
  useTitle(TITLES[page]);
  const comune = me.comuni.find((c) => c.tenant === tenant);
  if (!comune) {
    return (
      <Layout me={me}>
        <NotFound />
      </Layout>
    );
  }
  const number = Number(id);
  const writer = comune.permissions.includes("broadcasts.write");
  const reader = comune.permissions.includes("broadcasts.read");
  let body;
  if (!reader && page === "detail") page = "list";
  switch (page) {
    case "list":
      // A role without broadcasts (a technician) is told so, and offered nothing.
      body = reader ? (
        <BroadcastsList tenant={tenant} comune={comune} />
      ) : (
        <NotAllowed title="broadcasts.title" text="broadcasts.notAllowed" />
      );
      break;
    case "new":
    case "edit":
      // A role that may not write sees no composer, not even by its address.
      body = writer ? (
        <ComposerPage tenant={tenant} {...(page === "edit" ? { id: number } : {})} />
      ) : (
        <Navigate to={`/${tenant}/broadcasts`} replace />
      );
      break;
    case "detail":
      body = <BroadcastDetail tenant={tenant} id={number} comune={comune} me={me} />;
      break;
  }
  return (
    <Layout me={me}>
      {/* A new key per broadcast: the page's local state starts afresh. */}
      <div key={`${tenant}/${page}/${id ?? ""}`}>{body}</div>
    </Layout>
  );
}

/** One of the comune's other pages (sections.tsx), for those whose roles may open it. */
function SectionRoute({ me }: { me: Me }) {
  const { tenant = "", section: path } = useParams();
  const section = SECTIONS.find((s) => s.path === path);
  const comune = me.comuni.find((c) => c.tenant === tenant);
  const title: MessageKey = section && comune ? section.label : "app.notFound";
  useTitle(title);
  if (!section || !comune) {
    return (
      <Layout me={me}>
        <NotFound />
      </Layout>
    );
  }
  const { Page } = section;
  return (
    <Layout me={me}>
      {mayOpen(section, comune) ? (
        <div key={`${tenant}/${section.path}`}>
          <Page tenant={tenant} comune={comune} me={me} />
        </div>
      ) : (
        <NotAllowed title={section.label} text="app.notAllowed" />
      )}
    </Layout>
  );
}

/** A page the person's roles do not open: its title, and why there is nothing under it. */
function NotAllowed({ title, text }: { title: MessageKey; text: MessageKey }) {
  const { t } = useI18n();
  return (
    <>
      <h1 className="h2">{t(title)}</h1>
      <p className="alert alert-info" role="status">
        {t(text)}
      </p>
    </>
  );
}

function Titled({ title, children }: { title: MessageKey; children: React.ReactNode }) {
  useTitle(title);
  return <>{children}</>;
}

export function App() {
  const session = (render: (me: Me) => React.ReactNode) => (
    <RequireSession>{render}</RequireSession>
  );
  return (
    <Routes>
      <Route
        path="/setup"
        element={
          <Titled title="setup.title">
            <SetupPage />
          </Titled>
        }
      />
      <Route
        path="/login"
        element={
          <Titled title="login.title">
            <LoginPage />
          </Titled>
        }
      />
      <Route
        path="/"
        element={session((me) => (
          <Start me={me} />
        ))}
      />
      {BROADCAST_ROUTES.map(([path, page]) => (
        <Route
          key={path}
          path={path}
          element={session((me) => (
            <TenantRoute me={me} page={page} />
          ))}
        />
      ))}
      <Route
        path="/:tenant/:section"
        element={session((me) => (
          <SectionRoute me={me} />
        ))}
      />
      <Route
        path="*"
        element={
          <Layout>
            <NotFound />
          </Layout>
        }
      />
    </Routes>
  );
}
