"""Accounts of the review desk: argon2id password hashes, roles, and login rate limiting.

The accounts themselves live in the match store (``MatchStore.save_user``); this module hashes
and checks passwords and counts failed logins. ``add_user`` is what ``leaktrack users add`` calls.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import replace
from threading import Lock

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import LeaktrackError, NotFoundError
from ..index import MatchStore
from ..index.desk import AuditEntry, UserAccount, check_role
from . import settings

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 "low memory") parameters
# Checked when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(LeaktrackError):
    """An account cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    if len(password) < settings.MIN_PASSWORD_CHARS:
        raise AccountError(f"a desk password needs at least {settings.MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def add_user(store: MatchStore, name: str, role: str, password: str, by: str) -> UserAccount:
    """Create the account, or give an existing one a new role and password (audited)."""
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise AccountError("a user name is 1 to 64 printable characters")
    check_role(role)
    account = UserAccount(name, role, hash_password(password))
    store.save_user(account)
    store.record_audit(AuditEntry(by, "user_saved", name, {"role": role}))
    return account


def set_disabled(store: MatchStore, name: str, disabled: bool, by: str) -> UserAccount:
    account = replace(store.get_user(name), disabled=disabled)
    store.save_user(account)
    store.record_audit(AuditEntry(by, "user_disabled" if disabled else "user_enabled", name))
    return account


def check_login(store: MatchStore, name: str, password: str) -> UserAccount | None:
    """The account when the name and password are right and the account is enabled; else None."""
    try:
        account = store.get_user(name)
    except NotFoundError:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(account.password_hash, password) or account.disabled:
        return None
    return account


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginThrottle:
    """Failed logins per key (client address, user name) in a sliding window, in memory."""

    def __init__(
        self,
        max_failures: int = settings.LOGIN_MAX_FAILURES,
        window_seconds: float = settings.LOGIN_WINDOW_SECONDS,
        clock=time.monotonic,
    ):
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        with self._lock:
            return any(len(self._recent(key)) >= self.max_failures for key in keys)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(self.clock())

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
