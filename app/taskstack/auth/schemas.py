from marshmallow import Schema, fields, validate

from taskstack.models import EMAIL_MAX_LENGTH

PASSWORD_MIN_LENGTH = 8
# Long enough for any passphrase, short enough that hashing cannot be used for denial of service.
PASSWORD_MAX_LENGTH = 256


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX_LENGTH))
    password = fields.String(
        required=True,
        validate=validate.Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH),
    )


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX_LENGTH))
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=PASSWORD_MAX_LENGTH)
    )


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    created_at = fields.DateTime()
