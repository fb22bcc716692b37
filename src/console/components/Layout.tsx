import { useQueryClient } from "@tanstack/react-query";
import { Header, HeaderBrand, HeaderContent, HeaderRightZone, Headers } from "design-react-kit";
import type { ReactNode } from "react";
import { Link, NavLink, useNavigate, useParams } from "react-router";
import { api, call, setCsrfToken } from "../api/client";
import { useI18n, type Lang, type MessageKey } from "../i18n";
import { ME_KEY, useTenants, type Me } from "../lib/session";
import { mayOpen, SECTIONS } from "../sections";

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const other: Lang = lang === "it" ? "en" : "it";
  return (
    <button
      type="button"
      className="btn btn-link text-white p-0 me-3"
      lang={other}
      onClick={() => setLang(other)}
    >
      {t(`app.languages.${other}`)}
    </button>
  );
}

/** The page frame: Bootstrap Italia's slim and centre headers, the comune's menu, the footer. */
export function Layout({ me, children }: { me?: Me | undefined; children: ReactNode }) {
  const { t } = useI18n();
  const { tenant } = useParams();
  const tenants = useTenants();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const nameOf = (slug: string) => tenants.data?.tenants.find((x) => x.slug === slug)?.name ?? slug;
  const logout = async () => {
    await call(api.POST("/api/auth/logout")).catch(() => undefined);
    setCsrfToken(undefined);
    queryClient.clear();
    queryClient.setQueryData(ME_KEY, null);
    void navigate("/login?reason=logout");
  };
  const comune = me?.comuni.find((c) => c.tenant === tenant);
  return (
    <>
      <a className="visually-hidden-focusable skiplink-item" href="#main">
        {t("app.skipToContent")}
      </a>
      <Headers>
        <Header type="slim">
          <HeaderContent>
            <HeaderBrand href="/console/">{t("app.name")}</HeaderBrand>
            <HeaderRightZone>
              <LanguageSwitch />
              {me ? (
                <>
                  <span className="text-white d-none d-md-inline me-3">{me.user.displayName}</span>
                  <button
                    type="button"
                    className="btn btn-primary btn-sm"
                    onClick={() => void logout()}
                  >
                    {t("nav.logout")}
                  </button>
                </>
              ) : null}
            </HeaderRightZone>
          </HeaderContent>
        </Header>
        <Header type="center" small>
          <HeaderContent>
            <div className="it-brand-wrapper">
              <Link to={tenant ? `/${tenant}/broadcasts` : "/"}>
                <div className="it-brand-text">
                  <div className="it-brand-title">{tenant ? nameOf(tenant) : t("app.name")}</div>
                  <div className="it-brand-tagline d-none d-md-block">{t("app.tagline")}</div>
                </div>
              </Link>
            </div>
          </HeaderContent>
        </Header>
      </Headers>
      {tenant && comune ? (
        <nav className="border-bottom bg-light" aria-label={t("nav.main")}>
          <div className="container d-flex flex-wrap align-items-center gap-3 py-2">
            {comune.permissions.includes("broadcasts.read") ? (
              <NavItem to={`/${tenant}/broadcasts`} label="nav.broadcasts" />
            ) : null}
            {SECTIONS.filter((s) => mayOpen(s, comune)).map((s) => (
              <NavItem key={s.path} to={`/${tenant}/${s.path}`} label={s.label} />
            ))}
            <span className="ms-auto small text-secondary">
              {comune.roles.map((r) => t(`roles.${r}` as MessageKey)).join(", ")}
            </span>
            {me && me.comuni.length > 1 ? (
              <span className="d-flex align-items-center gap-2">
                <label htmlFor="comune-switch" className="small mb-0">
                  {t("nav.switchComune")}
                </label>
                <select
                  id="comune-switch"
                  className="form-select form-select-sm w-auto"
                  value={tenant}
                  onChange={(e) => void navigate(`/${e.target.value}/broadcasts`)}
                >
                  {me.comuni.map((c) => (
                    <option key={c.tenant} value={c.tenant}>
                      {nameOf(c.tenant)}
                    </option>
                  ))}
                </select>
              </span>
            ) : null}
          </div>
        </nav>
      ) : null}
      <main id="main" className="container my-4" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function NavItem({ to, label }: { to: string; label: MessageKey }) {
  const { t } = useI18n();
  return (
    <NavLink
      to={to}
      className={({ isActive }) =>
        `fw-semibold text-decoration-none${isActive ? " text-primary" : ""}`
      }
      end={false}
    >
      {t(label)}
    </NavLink>
  );
}
