"""Operators: accounts, password hashes and API tokens.

Passwords are hashed with scrypt from the standard library (memory-hard, so a stolen table is
expensive to crack, and no extra dependency); the stored form names its parameters so they can
be raised later without invalidating existing hashes. API tokens are long random strings, so a
single SHA-256 is enough to keep them useless if the table leaks, and it lets a request find
its user by an indexed equality lookup instead of trying every hash.

Every function flushes; the caller commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import ROLES, User

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
TOKEN_PREFIX = "anbu_"  # noqa: S105 (a prefix, not a secret): recognisable in a leaked config file or a secret scanner

# Verified against when the username is unknown, so that timing does not reveal which users exist.
_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` for ``password`` with a fresh random salt."""
    if not password:
        raise ValueError("empty password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed hash never matches."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def hash_token(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"invalid role {role!r}; expected one of {sorted(ROLES)}")


def _check_username(username: str) -> None:
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise ValueError("username must be 1-64 printable characters without spaces")
    if ":" in username:
        raise ValueError("username may not contain ':' (HTTP Basic separates on it)")


def create_user(s: Session, username: str, password: str, *, role: str = "operator") -> User:
    """Add a user; a taken username fails on the unique constraint (or here, if seen first)."""
    _check_username(username)
    _check_role(role)
    if get_user(s, username) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    s.add(user)
    s.flush()
    return user


def get_user(s: Session, username: str) -> User | None:
    """The user with this name, disabled or not."""
    return s.exec(select(User).where(User.username == username)).first()


def list_users(s: Session) -> list[User]:
    """Every user, by name."""
    return list(s.exec(select(User).order_by(col(User.username))))


def count_users(s: Session) -> int:
    """How many users exist (zero means the first admin still has to be created)."""
    return int(s.exec(select(func.count()).select_from(User)).one())


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The enabled user with these credentials, or ``None``.

    An unknown name costs the same scrypt work as a wrong password.
    """
    user = get_user(s, username)
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok or user.disabled:
        return None
    return user


def set_password(s: Session, username: str, password: str) -> User:
    """Replace a user's password (sessions signed for the old one stop working)."""
    user = _require(s, username)
    user.password_hash = hash_password(password)
    s.add(user)
    s.flush()
    return user


def set_disabled(s: Session, username: str, disabled: bool) -> User:
    """Disable or re-enable a user; a disabled user can neither log in nor use a token."""
    user = _require(s, username)
    user.disabled = disabled
    s.add(user)
    s.flush()
    return user


def set_role(s: Session, username: str, role: str) -> User:
    """Change a user's role."""
    _check_role(role)
    user = _require(s, username)
    user.role = role
    s.add(user)
    s.flush()
    return user


def issue_api_token(s: Session, username: str) -> str:
    """A new API token for the user, replacing any earlier one; shown once, stored hashed."""
    user = _require(s, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = hash_token(token)
    s.add(user)
    s.flush()
    return token


def revoke_api_token(s: Session, username: str) -> None:
    """Forget the user's API token."""
    user = _require(s, username)
    user.api_token_hash = None
    s.add(user)
    s.flush()


def user_for_token(s: Session, token: str) -> User | None:
    """The enabled user owning this API token, or ``None``."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    user = s.exec(select(User).where(User.api_token_hash == hash_token(token))).first()
    if user is None or user.disabled:
        return None
    return user


def ensure_first_admin(s: Session, password: str, username: str = "admin") -> bool:
    """Create the first admin if there are no users at all; whether one was created."""
    if count_users(s) > 0:
        return False
    create_user(s, username, password, role="admin")
    return True


def _require(s: Session, username: str) -> User:
    user = get_user(s, username)
    if user is None:
        raise LookupError(f"no user {username!r}")
    return user
