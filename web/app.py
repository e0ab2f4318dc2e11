"""The review desk's ASGI app: pages over the match store, behind a login.

``create_app(DeskConfig(...))`` builds it; ``leaktrack serve`` runs it with uvicorn. Every page
needs a logged-in user (reviewer or admin; the user pages need an admin), every POST needs the
session's CSRF token, every view of evidence and every change is written to the store's audit
trail with the user. Errors a user or the environment can cause are an error page with the
right status code (400, 403, 404, 409, 413, 429, 503), never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import (
    ConcurrentUpdateError,
    InvalidTransitionError,
    LeaktrackError,
    NotFoundError,
    StoreError,
    TakedownTemplateError,
)
from ..index import STATUSES, MatchStore
from ..index.base import utcnow
from ..index.desk import AuditEntry, UserAccount
from ..takedown.sending import SmtpDeliveryError, TakedownSendError
from . import charts, queries, settings
from .auth import LoginThrottle, add_user, check_login, set_disabled
from .dashboard import DashboardCache
from .evidence_view import evidence_for_page
from .notice_sending import NoticeSending, preview_notice, send_previewed
from .sessions import Session, SessionCodec

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent


@dataclass
class DeskConfig:
    open_store: Callable[[], MatchStore]  # opens the store (called once per worker thread)
    secret: bytes  # signs session cookies
    evidence_dir: Path | None = None  # where sweeps keep evidence reports and WARC captures
    recheck: Callable[[str], object] | None = None  # re-fetch one match now (match id -> result)
    sending: NoticeSending | None = None  # how notices are sent by email (None: not from this desk)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


class StoreProvider:
    """One open store per thread (an SQLite connection belongs to the thread that opened it)."""

    def __init__(self, opener: Callable[[], MatchStore]):
        self.opener = opener
        self.local = threading.local()

    def get(self) -> MatchStore:
        store = getattr(self.local, "store", None)
        if store is None:
            store = self.local.store = self.opener()
        return store


@dataclass
class Context:
    request: Request
    session: Session
    store: MatchStore
    user: UserAccount | None = None
    form: dict[str, str] = field(default_factory=dict)

    def audit(self, action: str, target: str | None = None, **details) -> None:
        self.store.record_audit(AuditEntry(self.user.name if self.user else "-", action, target, details))

    @property
    def account(self) -> UserAccount:
        """The logged-in user, on pages that need one (``page()`` has already sent anyone else away)."""
        if self.user is None:
            raise HTTPException(401, "Log in first.")
        return self.user


Handler = Callable[[Context], Awaitable[Response]]


def create_app(config: DeskConfig) -> Starlette:
    desk = _Desk(config)
    routes = [
        Route("/", desk.page(desk.home)),
        Route("/login", desk.page(desk.login_form, role=None)),
        Route("/login", desk.page(desk.login, role=None), methods=["POST"]),
        Route("/logout", desk.page(desk.logout), methods=["POST"]),
        Route("/queue", desk.page(desk.queue)),
        Route("/copy/{match_id}", desk.page(desk.copy)),
        Route("/copy/{match_id}/status", desk.page(desk.change_status), methods=["POST"]),
        Route("/copy/{match_id}/takedown", desk.page(desk.takedown_draft)),
        Route("/copy/{match_id}/takedown", desk.page(desk.takedown_sent), methods=["POST"]),
        Route("/copy/{match_id}/recheck", desk.page(desk.recheck), methods=["POST"]),
        Route("/copy/{match_id}/send", desk.page(desk.notice_preview)),
        Route("/copy/{match_id}/send", desk.page(desk.notice_send), methods=["POST"]),
        Route("/exposure", desk.page(desk.exposure)),
        Route("/sweeps", desk.page(desk.sweeps)),
        Route("/dashboard", desk.page(desk.dashboard)),
        Route("/admin/users", desk.page(desk.users, role="admin")),
        Route("/admin/users", desk.page(desk.save_user, role="admin"), methods=["POST"]),
        Route("/admin/users/{name}/disable", desk.page(desk.disable_user, role="admin"), methods=["POST"]),
        Route("/admin/users/{name}/enable", desk.page(desk.enable_user, role="admin"), methods=["POST"]),
        Route("/admin/audit", desk.page(desk.audit, role="admin")),
        Mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static"),
    ]
    # Starlette picks the handler by exception class; its type for the mapping takes every handler
    # as one of Exception, so the HTTPException one is typed loosely here.
    handlers: dict[Any, Callable[..., Awaitable[Response]]] = {
        HTTPException: desk.http_error,
        Exception: desk.internal_error,
    }

    @contextlib.asynccontextmanager
    async def lifespan(app):
        desk.dashboard_figures.refresh_in_background()  # ready before anyone opens the dashboard
        yield

    return Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)


# -- errors ----------------------------------------------------------------------------------

# Our errors -> status codes of the page that explains them.
_ERROR_STATUS = [
    (NotFoundError, 404),
    (InvalidTransitionError, 409),
    (ConcurrentUpdateError, 409),
    (StoreError, 503),
    (LeaktrackError, 400),
]


def _status_of(error: LeaktrackError) -> int:
    return next(status for kind, status in _ERROR_STATUS if isinstance(error, kind))


class _Desk:
    def __init__(self, config: DeskConfig):
        self.config = config
        self.stores = StoreProvider(config.open_store)
        self.sessions = SessionCodec(config.secret)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.globals.update(statuses=STATUSES)
        self.dashboard_figures = DashboardCache(config.open_store)

    # -- plumbing -----------------------------------------------------------------------

    def render(self, ctx: Context | None, name: str, status_code: int = 200, **values) -> HTMLResponse:
        values.setdefault("title", "")
        html = self.templates.get_template(name).render(
            user=ctx.user if ctx else None, csrf=ctx.session.csrf if ctx else "", **values
        )
        return HTMLResponse(html, status_code=status_code)

    def error_page(self, request: Request, status_code: int, message: str) -> HTMLResponse:
        session = self.sessions.load(request)
        html = self.templates.get_template("error.html").render(
            user=None,
            csrf=session.csrf,
            title=f"Error {status_code}",
            status_code=status_code,
            message=message,
        )
        response = HTMLResponse(html, status_code=status_code)
        self.sessions.save(session, request, response)
        return response

    async def http_error(self, request: Request, error: HTTPException) -> Response:
        return self.error_page(request, error.status_code, error.detail)

    async def internal_error(self, request: Request, error: Exception) -> Response:
        log.exception("review desk: internal error on %s %s", request.method, request.url.path)
        return self.error_page(request, 500, "Something went wrong on our side; it was logged.")

    def page(
        self, handler: Handler, role: str | None = "reviewer"
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: session, store, login and role check, CSRF on POST, errors as pages."""

        async def endpoint(request: Request) -> Response:
            session = self.sessions.load(request)
            try:
                response = await self._run(handler, request, session, role)
            except LeaktrackError as error:
                response = self.error_page(request, _status_of(error), str(error))
            self.sessions.save(session, request, response)
            return response

        return endpoint

    async def _run(self, handler: Handler, request: Request, session: Session, role: str | None) -> Response:
        queries.check_query_string(request)
        form = await queries.read_form(request) if request.method == "POST" else {}
        if request.method == "POST" and not session.csrf_matches(form.get("csrf")):
            raise HTTPException(
                403, "This form has expired or did not come from the desk; reload the page and try again."
            )
        ctx = Context(request, session, self.stores.get(), form=form)
        if session.user:
            ctx.user = self._current_user(ctx, session.user)
        if role is not None:
            if ctx.user is None:
                if request.method == "GET":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
                raise HTTPException(401, "Log in first.")
            if role == "admin" and ctx.user.role != "admin":
                raise HTTPException(403, "Only an admin may do this.")
        return await handler(ctx)

    def _current_user(self, ctx: Context, name: str) -> UserAccount | None:
        try:
            account = ctx.store.get_user(name)
        except NotFoundError:
            account = None
        if account is None or account.disabled:  # removed or disabled since the login: out
            ctx.session.user, ctx.session.changed = None, True
            return None
        return account

    # -- login --------------------------------------------------------------------------

    async def home(self, ctx: Context) -> Response:
        return RedirectResponse("/queue", status_code=303)

    async def login_form(self, ctx: Context) -> Response:
        return self.render(ctx, "login.html", title="Log in", next=queries.safe_next(ctx.request), error=None)

    async def login(self, ctx: Context) -> Response:
        name, password = ctx.form.get("name", ""), ctx.form.get("password", "")
        client = ctx.request.client.host if ctx.request.client else "-"
        keys = (f"ip:{client}", f"user:{name}")
        next_url = queries.safe_next(ctx.request, ctx.form.get("next"))
        if self.config.throttle.blocked(*keys):
            ctx.store.record_audit(AuditEntry(name or "-", "login_throttled", None, {"client": client}))
            return self.render(
                ctx,
                "login.html",
                429,
                title="Log in",
                next=next_url,
                error="Too many failed logins; wait a few minutes.",
            )
        account = check_login(ctx.store, name, password)
        if account is None:
            self.config.throttle.failed(*keys)
            ctx.store.record_audit(AuditEntry(name or "-", "login_failed", None, {"client": client}))
            return self.render(
                ctx, "login.html", 401, title="Log in", next=next_url, error="Wrong name or password."
            )
        self.config.throttle.succeeded(*keys)
        ctx.session.reset(user=account.name)
        ctx.user = account
        ctx.audit("login", None, client=client)
        return RedirectResponse(next_url, status_code=303)

    async def logout(self, ctx: Context) -> Response:
        ctx.audit("logout")
        ctx.session.reset()
        return RedirectResponse("/login", status_code=303)

    # -- the queue ----------------------------------------------------------------------

    async def queue(self, ctx: Context) -> Response:
        where, sort, after = queries.queue_params(ctx.request)
        page = ctx.store.queue_page(where, sort=sort, after=after, limit=settings.QUEUE_PAGE_SIZE)
        next_link = queries.next_page_link(ctx.request, page.next_after) if page.next_after else None
        return self.render(
            ctx,
            "queue.html",
            title="Takedown queue",
            matches=page.matches,
            where=where,
            sort=sort,
            form=dict(ctx.request.query_params),
            next_link=next_link,
            first_link="/queue?" + queries.without_after(ctx.request) if after else None,
        )

    # -- one copy -----------------------------------------------------------------------

    async def copy(self, ctx: Context) -> Response:
        match = ctx.store.get(ctx.request.path_params["match_id"])
        evidence = evidence_for_page(self.config.evidence_dir, match)
        ctx.audit("view_evidence" if evidence.available else "view_copy", match.id)
        return self.render(
            ctx,
            "copy.html",
            title=match.title or match.url,
            match=match,
            history=ctx.store.history(match.id),
            audit=ctx.store.list_audit(target=match.id, limit=settings.AUDIT_SHOWN),
            contact=queries.contact_for(match.host),
            evidence=evidence,
            message=ctx.request.query_params.get("done"),
            can_send=self.config.sending is not None,
        )

    async def change_status(self, ctx: Context) -> Response:
        match_id = ctx.request.path_params["match_id"]
        to_status = ctx.form.get("to", "")
        if to_status not in ("confirmed", "dismissed"):
            raise HTTPException(400, "A reviewer can confirm or dismiss a copy here.")
        version = queries.int_field(ctx.form, "version")
        note = ctx.form.get("note") or None
        ctx.store.change_status(match_id, to_status, ctx.account.name, note=note, expected_version=version)
        ctx.audit(to_status, match_id, note=note)
        return RedirectResponse(f"/copy/{quote(match_id)}?done={to_status}", status_code=303)

    async def takedown_draft(self, ctx: Context) -> Response:
        from ..takedown.notices import draft_notice

        match = ctx.store.get(ctx.request.path_params["match_id"])
        ctx.audit("takedown_drafted", match.id)
        return self.render(
            ctx,
            "takedown.html",
            title="Takedown notice",
            match=match,
            notice=draft_notice(match),
            contact=queries.contact_for(match.host),
        )

    async def takedown_sent(self, ctx: Context) -> Response:
        match_id = ctx.request.path_params["match_id"]
        to, ref, note = ctx.form.get("to", ""), ctx.form.get("ref") or None, ctx.form.get("note") or None
        ctx.store.record_takedown_sent(match_id, to=to, by=ctx.account.name, ref=ref, note=note)
        ctx.audit("takedown_sent", match_id, to=to, ref=ref)
        return RedirectResponse(f"/copy/{quote(match_id)}?done=takedown_sent", status_code=303)

    # -- sending a notice by email (web/notice_sending.py) -------------------------------

    def _sending(self) -> NoticeSending:
        if self.config.sending is None:
            raise HTTPException(503, "Sending notices is not set up for this desk.")
        return self.config.sending

    async def notice_preview(self, ctx: Context) -> Response:
        from starlette.concurrency import run_in_threadpool

        sending = self._sending()
        match = ctx.store.get(ctx.request.path_params["match_id"])
        role = ctx.request.query_params.get("role") or None
        try:
            preview = await run_in_threadpool(preview_notice, sending, self.config.open_store, match.id, role)
        except (TakedownSendError, TakedownTemplateError) as error:
            return self._send_page(ctx, match, 409, error=str(error))
        contact = preview.prepared.contact
        ctx.audit("notice_previewed", match.id, to=contact.address, role=contact.role, source=contact.source)
        return self._send_page(ctx, match, preview=preview, smtp_problem=sending.smtp_problem())

    async def notice_send(self, ctx: Context) -> Response:
        from starlette.concurrency import run_in_threadpool

        sending = self._sending()
        match = ctx.store.get(ctx.request.path_params["match_id"])
        role, to = ctx.form.get("role") or None, ctx.form.get("to", "")
        notices = queries.int_field(ctx.form, "notices")
        if notices is None or not to:
            raise HTTPException(
                400, "This confirmation does not say what was previewed; preview the notice again."
            )
        try:
            notice = await run_in_threadpool(
                send_previewed,
                sending,
                self.config.open_store,
                match.id,
                role,
                to,
                notices,
                ctx.account.name,
                utcnow(),
            )
        except (TakedownSendError, TakedownTemplateError) as error:
            ctx.audit("notice_not_sent", match.id, to=to, role=role, error=str(error))
            status = 502 if isinstance(error, SmtpDeliveryError) else 409
            return self._send_page(ctx, ctx.store.get(match.id), status, error=str(error))
        ctx.audit(
            "notice_sent",
            match.id,
            kind=notice.kind,
            to=notice.recipient,
            role=notice.role,
            contact_source=notice.contact_source,
            message_id=notice.message_id,
        )
        done = f"{notice.kind} sent to {notice.recipient} (Message-ID {notice.message_id})"
        return RedirectResponse(f"/copy/{quote(match.id)}?done={quote(done)}", status_code=303)

    def _send_page(self, ctx: Context, match, status_code: int = 200, **values) -> HTMLResponse:
        values = {"preview": None, "error": None, "smtp_problem": None} | values
        return self.render(
            ctx, "send_notice.html", status_code, title="Send a takedown notice", match=match, **values
        )

    async def recheck(self, ctx: Context) -> Response:
        match = ctx.store.get(ctx.request.path_params["match_id"])
        if self.config.recheck is None:
            raise HTTPException(
                503, "Rechecking is not set up for this desk (no fingerprints were given to serve)."
            )
        from starlette.concurrency import run_in_threadpool

        result = await run_in_threadpool(self.config.recheck, match.id)
        verdict = getattr(result, "verdict", "done")
        ctx.audit("recheck", match.id, verdict=verdict)
        return RedirectResponse(f"/copy/{quote(match.id)}?done=recheck: {quote(verdict)}", status_code=303)

    # -- people, sweeps, dashboard ------------------------------------------------------

    async def exposure(self, ctx: Context) -> Response:
        record_id, after = queries.exposure_params(ctx.request)
        if not record_id:
            return self.render(ctx, "exposure.html", title="A person's exposure", record_id="")
        page = ctx.store.exposure_page(record_id, after=after, limit=settings.EXPOSURE_PAGE_SIZE)
        ctx.audit("view_exposure", record_id, copies=page.total)
        next_link = (
            queries.next_page_link(ctx.request, (page.next_after,), "/exposure") if page.next_after else None
        )
        return self.render(
            ctx,
            "exposure.html",
            title="A person's exposure",
            record_id=record_id,
            page=page,
            next_link=next_link,
            first_link="/exposure?" + queries.without_after(ctx.request) if after else None,
        )

    async def sweeps(self, ctx: Context) -> Response:
        sweeps = ctx.store.list_sweeps(limit=settings.SWEEPS_SHOWN)
        return self.render(ctx, "sweeps.html", title="Sweep log", sweeps=sweeps)

    async def dashboard(self, ctx: Context) -> Response:
        figures, computed_at = self.dashboard_figures.get()
        return self.render(
            ctx,
            "dashboard.html",
            title="Dashboard",
            figures=figures,
            computed_at=computed_at,
            found_chart=charts.stacked_days(figures.found_per_day, STATUSES),
            exposed_chart=charts.cumulative_line(figures.exposed_per_day),
            host_chart=charts.horizontal_bars(figures.removal_days_by_host, "days"),
            source_chart=charts.horizontal_bars(figures.removal_days_by_source, "days"),
        )

    # -- admin --------------------------------------------------------------------------

    async def users(self, ctx: Context, error: str | None = None, status_code: int = 200) -> Response:
        return self.render(
            ctx, "users.html", status_code, title="Users", users=ctx.store.list_users(), error=error
        )

    async def save_user(self, ctx: Context) -> Response:
        try:
            add_user(
                ctx.store,
                ctx.form.get("name", ""),
                ctx.form.get("role", ""),
                ctx.form.get("password", ""),
                ctx.account.name,
            )
        except LeaktrackError as error:
            return await self.users(ctx, error=str(error), status_code=400)
        return RedirectResponse("/admin/users", status_code=303)

    async def disable_user(self, ctx: Context) -> Response:
        name = ctx.request.path_params["name"]
        if name == ctx.account.name:
            raise HTTPException(400, "You cannot disable your own account.")
        set_disabled(ctx.store, name, True, ctx.account.name)
        return RedirectResponse("/admin/users", status_code=303)

    async def enable_user(self, ctx: Context) -> Response:
        set_disabled(ctx.store, ctx.request.path_params["name"], False, ctx.account.name)
        return RedirectResponse("/admin/users", status_code=303)

    async def audit(self, ctx: Context) -> Response:
        user = ctx.request.query_params.get("user") or None
        entries = ctx.store.list_audit(user=user, limit=200)
        return self.render(ctx, "audit.html", title="Audit trail", entries=entries, who=user)
