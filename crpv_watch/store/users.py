"""Editor and admin accounts: creation, password hashing (argon2id) and authentication."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import User, utcnow

ROLES = ("editor", "admin")
# Admin implies editor: a role is allowed wherever a role of lower or equal rank is required.
ROLE_RANK = {"editor": 1, "admin": 2}
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that a wrong address costs as much time as a wrong password
# and response times do not reveal which addresses have an account.
_DUMMY_HASH = _hasher.hash("crpv-watch: no such user")


class UserError(ValueError):
    pass


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def role_allows(role: str | None, required: str) -> bool:
    return ROLE_RANK.get(role or "", 0) >= ROLE_RANK[required]


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(session: Session, email: str, password: str, role: str = "editor") -> User:
    email = normalize_email(email)
    if "@" not in email:
        raise UserError(f"adresse e-mail invalide : {email!r}")
    if role not in ROLES:
        raise UserError(f"rôle inconnu : {role!r} (attendu : {', '.join(ROLES)})")
    if get_user_by_email(session, email) is not None:
        raise UserError(f"un compte existe déjà pour {email}")
    user = User(email=email, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


def set_role(user: User, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"rôle inconnu : {role!r} (attendu : {', '.join(ROLES)})")
    user.role = role


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; records the login time."""
    user = get_user_by_email(session, email)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        # Parameters were raised since this hash was made: upgrade it now that we hold the plain password.
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def other_active_admins(session: Session, user: User) -> int:
    """Active admins besides ``user``: the last one may neither be demoted nor deactivated."""
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0


def count_users(session: Session) -> dict[str, int]:
    rows = session.execute(select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role))
    return {role: n for role, n in rows}


def end_sessions(session: Session, user_id: int) -> None:
    """Every signed-in session of the user ends (their cookies carry the previous ``session_version``)."""
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))
