"""Users and credentials."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from taskstack.extensions import db
from taskstack.models import User

_password_hasher = PasswordHasher()


class EmailTaken(Exception):
    """Another account already uses this email address."""


class InvalidCredentials(Exception):
    """The email is unknown or the password is wrong (deliberately indistinguishable)."""


@cache
def _unknown_user_hash() -> str:
    """Verified against when the email is unknown, so that costs as much as a wrong password."""
    return _password_hasher.hash("no such user")


def normalise_email(email: str) -> str:
    return email.lower()


def register_user(email: str, password: str) -> User:
    user = User(email=normalise_email(email), password_hash=_password_hasher.hash(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken from None
    return user


def authenticate(email: str, password: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _password_hasher.verify(user.password_hash if user else _unknown_user_hash(), password)
    except VerificationError:
        raise InvalidCredentials from None
    if user is None:
        raise InvalidCredentials
    return user


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
